import Support
import Testing

@testable import Rambo

@Suite("AP loss")
struct LossAPTests {
    // Scores already in descending order, so rk = [1, 2, 3, 4, 5]; positives at ranks 1, 3, 5.
    let scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    let relevance = [true, false, true, false, true]

    @Test func handDerivedValue() {
        // Prec = 1/1, 2/3, 3/5; AP = (15 + 10 + 9)/45 / 3·... = (1 + 2/3 + 3/5)/3 = 34/45; L = 11/45.
        let loss = APLoss(lambda: 1).forward(scores: scores, relevance: relevance)
        #expect(close(loss, 11.0 / 45.0))
        #expect(close(1 - loss, averagePrecision(scores: scores, relevance: relevance)!))
    }

    @Test func handDerivedGradient() {
        // dL/drk for positives = rk⁺/(rk²·3): 1/3, 2/27, 3/75 = 1/25.
        // λ = 5: ỹ_λ = [0.9 + 5/3, 0.8, 0.7 + 10/27, 0.6, 0.5 + 1/5] = [2.567, 0.8, 1.070, 0.6, 0.7]
        // → rk_λ = [1, 3, 2, 5, 4]; dL/dy = −([1,2,3,4,5] − [1,3,2,5,4])/5 = [0, 0.2, −0.2, 0.2, −0.2].
        let result = APLoss(lambda: 5).valueAndGradient(scores: scores, relevance: relevance)
        #expect(close(result.loss, 11.0 / 45.0))
        #expect(close(result.gradient, [0, 0.2, -0.2, 0.2, -0.2]))
        // λ = 1 moves nothing past anything: ỹ_λ = [1.233, 0.8, 0.774, 0.6, 0.54] keeps the order → zero gradient.
        #expect(APLoss(lambda: 1).valueAndGradient(scores: scores, relevance: relevance).gradient == [0, 0, 0, 0, 0])
    }

    @Test func noPositive() {
        let result = APLoss(lambda: 1).valueAndGradient(scores: [0.3, 0.1], relevance: [false, false])
        #expect(result.loss == 0)
        #expect(result.gradient == [0, 0])
    }

    @Test func allPositive() {
        // Every Prec = rk/rk = 1 → L = 0. Upstream 1/(3·rk) is largest for the top item, so no λ reorders: grad 0.
        for lambda in [0.1, 1, 100, 1e6] {
            let result = APLoss(lambda: lambda).valueAndGradient(
                scores: [0.3, 0.9, 0.1], relevance: [true, true, true])
            #expect(result.loss == 0)
            #expect(result.gradient == [0, 0, 0])
        }
    }

    @Test func singleItem() {
        let positive = APLoss(lambda: 1).valueAndGradient(scores: [0.4], relevance: [true])
        #expect(positive.loss == 0 && positive.gradient == [0])
        let negative = APLoss(lambda: 1).valueAndGradient(scores: [0.4], relevance: [false])
        #expect(negative.loss == 0 && negative.gradient == [0])
    }

    @Test func tiesFollowTheStableRule() {
        // Equal scores: the earlier index ranks higher. Negative first → the positive has rank 2 → AP = 1/2.
        #expect(APLoss(lambda: 1).forward(scores: [0.5, 0.5], relevance: [false, true]) == 0.5)
        #expect(APLoss(lambda: 1).forward(scores: [0.5, 0.5], relevance: [true, false]) == 0)
    }

    @Test func marginReorders() {
        // α = 0.2: ỹ = [0.6 − 0.1, 0.5 + 0.1] = [0.5, 0.6] → the positive drops to rank 2 → L = 1/2 (0 without margin).
        // dL/drk_0 = 1/(2²·1) = 1/4; λ = 1: ỹ_λ = [0.75, 0.6] → rk_λ = [1, 2]; dL/dy = −([2,1] − [1,2]) = [−1, 1].
        let loss = APLoss(lambda: 1, margin: 0.2)
        let result = loss.valueAndGradient(scores: [0.6, 0.5], relevance: [true, false])
        #expect(result.loss == 0.5)
        #expect(result.gradient == [-1, 1])
        #expect(APLoss(lambda: 1).forward(scores: [0.6, 0.5], relevance: [true, false]) == 0)
    }

    @Test func severalListsSkipListsWithoutPositive() {
        // Lists: the 34/45 list, one without positive (skipped), one all-positive (AP 1): L = 1 − (34/45 + 1)/2 = 11/90.
        // The first list's upstream is halved, so λ = 10 perturbs as λ = 5 did alone: same rk_λ, gradient /10.
        let loss = APLoss(lambda: 10)
        let result = loss.valueAndGradient(
            scores: [scores, [0.2, 0.1], [0.5, 0.4]],
            relevance: [relevance, [false, false], [true, true]])
        #expect(close(result.loss, 11.0 / 90.0))
        #expect(close(result.gradient[0], [0, 0.1, -0.1, 0.1, -0.1]))
        #expect(result.gradient[1] == [0, 0] && result.gradient[2] == [0, 0])
        #expect(
            close(loss.forward(scores: [scores, [0.2, 0.1]], relevance: [relevance, [false, false]]), 11.0 / 45.0))
    }

    @Test func gradientSignsAndSum() {
        // Only positives are pushed (upstream ≥ 0 on positives, 0 on negatives), so a negative can only fall:
        // dL/dy ≥ 0 on negatives. Both rankings are permutations of 1...n, so the gradient sums to 0.
        var rng = SplitMix64(seed: 7)
        let y = (0..<50).map { _ in rng.nextGaussian() }
        let rel = (0..<50).map { _ in rng.nextUnit() < 0.3 }
        let g = APLoss(lambda: 50).valueAndGradient(scores: y, relevance: rel).gradient
        for i in y.indices where !rel[i] { #expect(g[i] >= 0) }
        #expect(close(g.reduce(0, +), 0))
        #expect(g.contains { $0 != 0 })
    }

    @Test func validation() {
        let loss = APLoss(lambda: 1)
        #expect(throws: RamboError.outOfRange(name: "lambda", value: 0, allowed: "finite and > 0")) {
            try APLoss(lambda: 0).validate(scores: [0.1], relevance: [true])
        }
        #expect(throws: RamboError.nonFinite(name: "scores[1]", index: 2, value: .infinity)) {
            try loss.validate(scores: [[0], [1, 2, .infinity]], relevance: [[true], [true, false, false]])
        }
        #expect(throws: RamboError.empty(name: "scores[0]")) { try loss.validate(scores: [[]], relevance: [[]]) }
        #expect(throws: RamboError.empty(name: "scores")) { try loss.validate(scores: [[Double]](), relevance: []) }
        #expect(throws: RamboError.lengthMismatch(name: "relevance[0]", expected: 2, actual: 1)) {
            try loss.validate(scores: [[0.1, 0.2]], relevance: [[true]])
        }
        #expect(throws: RamboError.notBinary(name: "relevance[0]", index: 1, value: 2)) {
            _ = try loss.checkedValueAndGradient(scores: [[0.1, 0.2]], relevance: [[1, 2]])
        }
        #expect(throws: RamboError.outOfRange(name: "margin", value: -1, allowed: "finite and ≥ 0")) {
            try APLoss(lambda: 1, margin: -1).validate(scores: [0.1], relevance: [true])
        }
        #expect(throws: RamboError.self) { try APLoss(lambda: .nan).validate(scores: [0.1], relevance: [true]) }
        #expect(throws: RamboError.self) { try APLoss(lambda: -1).validate(scores: [0.1], relevance: [true]) }
    }
}
