import Rambo
import Testing

@Suite("Choosing λ")
struct LambdaTests {
    @Test("the course's default λ = n/2")
    func defaultRule() {
        #expect(defaultLambda(length: 639) == 319.5)
        #expect(defaultLambda(length: 1) == 0.5)
    }

    @Test("the ICLR scale rule λ = mean|w| / mean|dL/dy|")
    func scaleRule() throws {
        #expect(try scaleRuleLambda(weights: [1, -3], upstream: [0.5, -0.5]) == 4)
        #expect(abs(try scaleRuleLambda(weights: [0.2, 0.4, -0.6], upstream: [3, 0, 0]) - 0.4) <= 1e-15)
        #expect(throws: RamboError.self) { _ = try scaleRuleLambda(weights: [1, 2], upstream: [0, 0]) }
        #expect(throws: RamboError.self) { _ = try scaleRuleLambda(weights: [0, 0], upstream: [1, 0]) }
        #expect(throws: RamboError.empty(name: "weights")) { _ = try scaleRuleLambda(weights: [], upstream: []) }
        #expect(throws: RamboError.lengthMismatch(name: "upstream", expected: 2, actual: 1)) {
            _ = try scaleRuleLambda(weights: [1, 2], upstream: [1])
        }
        do {
            _ = try scaleRuleLambda(weights: [1, .nan], upstream: [1, 1])
            Issue.record("NaN weights accepted")
        } catch let RamboError.nonFinite(name, index, _) {
            #expect(name == "weights" && index == 1)
        }
        #expect(throws: RamboError.outOfRange(name: "lambda", value: -1, allowed: "finite and > 0")) {
            _ = try checkedRankBackward(scores: [1, 2], upstream: [1, 1], lambda: -1)
        }
    }
}
