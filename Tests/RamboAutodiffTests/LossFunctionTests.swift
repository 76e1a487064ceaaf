import Rambo
import RamboAutodiff
import Testing
import _Differentiation

@Suite("Loss autodiff")
struct LossAutodiffTests {
    @Test func gradientAtMatchesValueAndGradient() {
        let y = [0.9, 0.8, 0.7, 0.6, 0.5]
        let rel = [true, false, true, false, true]
        let f = APLossFunction(loss: APLoss(lambda: 5), relevance: rel)
        let (value, g) = valueWithGradient(at: y, of: { f($0) })
        #expect(close(value, 11.0 / 45.0))
        #expect(close(Array(g.base), [0, 0.2, -0.2, 0.2, -0.2]))

        let recall = RecallLossFunction(loss: RecallLoss(lambda: 1), relevance: [[true, false]])
        #expect(gradient(at: [0.5, 0.6], of: { recall($0) }).base == [-1, 1])

        let scores = [[0.9, 0.3], [0.2, 0.8]]
        let targets = [[true, true], [false, false]]
        let map = MAPLossFunction(loss: MAPLoss(lambda: 7, interclass: 1.0 / 3.0), targets: targets)
        let direct = MAPLoss(lambda: 7, interclass: 1.0 / 3.0).valueAndGradient(scores: scores, targets: targets)
        #expect(close(Array(gradient(at: scores.flatMap { $0 }, of: { map($0) }).base), direct.gradient.flatMap { $0 }))
    }

    @Test func chainRuleScalesThePerturbation() {
        // d(3L)/dy: the pullback gets v = 3, so the push is λ·3·dL/drk = 15·dL/drk and the result is
        // −(rk − rk_15)/5 = 3 · (−(rk − rk_15)/15) = 3 × the λ = 15 gradient (as the code's autograd would give).
        let y = [0.9, 0.8, 0.7, 0.6, 0.5]
        let rel = [true, false, true, false, true]
        let f = APLossFunction(loss: APLoss(lambda: 5), relevance: rel)
        let scaled = gradient(at: y, of: { 3 * f($0) }).base
        let at15 = APLoss(lambda: 15).valueAndGradient(scores: y, relevance: rel).gradient
        #expect(close(Array(scaled), at15.map { 3 * $0 }))
    }
}
