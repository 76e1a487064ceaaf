import Support
import Testing

@testable import Rambo

@Suite("Recall loss")
struct LossRecallTests {
    @Test func eq20ClosedFormsAreTelescopingSums() {
        // Σ_{K=1}^{r} w_K with w_K = ℓ(K) − ℓ(K−1) telescopes to ℓ(r) − ℓ(0) = ℓ(r).
        for weighting in [RecallWeighting.log, .loglog] {
            for r in 0...60 {
                let sum = (0..<r).reduce(0.0) { $0 + weighting.weight(atK: $1 + 1) }
                #expect(close(sum, weighting.value(Double(r)), 1e-12))
            }
        }
        // w_K ≈ 1/K (log) and ≈ 1/(K log K) (loglog) for large K.
        #expect(abs(RecallWeighting.log.weight(atK: 1000) * 1000 - 1) < 1e-3)
        // loglog: w_K ≈ ℓ'(K) = 1/((1 + log(1+K))(1+K)), which is 1/(K log K) to leading order.
        #expect(
            abs(RecallWeighting.loglog.weight(atK: 100_000) / RecallWeighting.loglog.derivative(100_000) - 1) < 1e-4)
    }

    @Test func lossIsTheWeightedSumOfRefinedRecalls() {
        // L_rec = Σ_K w_K (1 − r̃@K) (Eq. 19) for one row, against the metric in Metrics.swift.
        var rng = SplitMix64(seed: 3)
        let y = (0..<40).map { _ in rng.nextGaussian() }
        let rel = (0..<40).map { _ in rng.nextUnit() < 0.25 }
        for weighting in [RecallWeighting.log, .loglog] {
            let explicit = (1...40).reduce(0.0) { sum, k in
                sum + weighting.weight(atK: k) * (1 - refinedRecallAtK(scores: y, relevance: rel, k: k)!)
            }
            let loss = RecallLoss(lambda: 1, weighting: weighting).forward(scores: [y], relevance: [rel])
            #expect(close(loss, explicit, 1e-12))
        }
    }

    @Test func handDerivedRow() {
        // Sorted row, positives at ranks 3 and 4: r = 3 − 1 = 2 and 4 − 2 = 2. identity: 2; log: log 3.
        let y = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        let rel = [false, false, true, true, false, false]
        #expect(RecallLoss(lambda: 1, weighting: .identity).forward(scores: [y], relevance: [rel]) == 2)
        #expect(close(RecallLoss(lambda: 1).forward(scores: [y], relevance: [rel]), 1.0986122886681098))
        #expect(
            close(
                RecallLoss(lambda: 1, weighting: .loglog).forward(scores: [y], relevance: [rel]),
                log1pHelper(1.0986122886681098)))
    }

    @Test func handDerivedGradient() {
        // Row [0.5, 0.6], positive first: r = 1, L = log 2, dL/drk_0 = ℓ'(1)/(1·1) = 1/2.
        // λ = 1: ỹ_λ = [1.0, 0.6] → rk_λ = [1, 2] vs rk = [2, 1] → dL/dy = −([2,1] − [1,2])/1 = [−1, 1].
        // λ = 0.1: ỹ_λ = [0.55, 0.6], no swap → 0.
        let result = RecallLoss(lambda: 1).valueAndGradient(scores: [[0.5, 0.6]], relevance: [[true, false]])
        #expect(close(result.loss, 0.6931471805599453))
        #expect(result.gradient == [[-1, 1]])
        #expect(
            RecallLoss(lambda: 0.1).valueAndGradient(scores: [[0.5, 0.6]], relevance: [[true, false]]).gradient
                == [[0, 0]])
    }

    @Test func marginReorders() {
        // [0.6, 0.5] with the positive first: r = 0 without margin; α = 0.2 → ỹ = [0.5, 0.6] → r = 1 → log 2.
        #expect(RecallLoss(lambda: 1).forward(scores: [[0.6, 0.5]], relevance: [[true, false]]) == 0)
        #expect(
            close(
                RecallLoss(lambda: 1, margin: 0.2).forward(scores: [[0.6, 0.5]], relevance: [[true, false]]),
                0.6931471805599453))
    }

    @Test func noPositiveAllPositiveSingle() {
        let loss = RecallLoss(lambda: 1)
        let none = loss.valueAndGradient(scores: [[0.1, 0.2]], relevance: [[false, false]])
        #expect(none.loss == 0 && none.gradient == [[0, 0]])
        let all = loss.valueAndGradient(scores: [[0.1, 0.2, 0.3]], relevance: [[true, true, true]])
        #expect(all.loss == 0 && all.gradient == [[0, 0, 0]])  // every r = 0; pushes keep the order
        let single = loss.valueAndGradient(scores: [[0.1]], relevance: [[true]])
        #expect(single.loss == 0 && single.gradient == [[0]])
        // Ties: the earlier (negative) wins → r = 1.
        #expect(close(loss.forward(scores: [[0.3, 0.3]], relevance: [[false, true]]), 0.6931471805599453))
    }

    @Test func macroAverageOverRowsWithAPositive() {
        // Row 0: positive at rank 2 → r = 1. Row 1: positives at ranks 1, 2 → r = 0, 0. Row 2: none (skipped).
        // identity: mean(1, mean(0, 0)) = 0.5.
        let y = [[0.9, 0.8, 0.7], [0.9, 0.8, 0.7], [0.9, 0.8, 0.7]]
        let rel = [[false, true, false], [true, true, false], [false, false, false]]
        #expect(RecallLoss(lambda: 1, weighting: .identity).forward(scores: y, relevance: rel) == 0.5)
    }

    @Test func retrievalFormDropsTheDiagonal() {
        // labels [0, 0, 1]. Row 0: [S01 = 0.2 (pos), S02 = 0.5 (neg)] → r = 1. Row 1: [S10 = 0.2 (pos), S12 = 0.1]
        // → r = 0. Row 2: no positive (skipped). log: L = (log 2 + 0)/2.
        // λ = 4, row 0: upstream ℓ'(1)/(1·2) = 1/4 → [0.2 + 1, 0.5] swaps → [−1/4, 1/4]. Row 1 stays first → 0.
        let s = [[1, 0.2, 0.5], [0.2, 1, 0.1], [0.5, 0.1, 1]]
        let result = RecallLoss(lambda: 4).retrievalValueAndGradient(similarities: s, labels: [0, 0, 1])
        #expect(close(result.loss, 0.6931471805599453 / 2))
        #expect(result.gradient == [[0, -0.25, 0.25], [0, 0, 0], [0, 0, 0]])
        #expect(close(RecallLoss(lambda: 4).retrievalForward(similarities: s, labels: [0, 0, 1]), result.loss))
        #expect(throws: RamboError.lengthMismatch(name: "similarities[1]", expected: 2, actual: 1)) {
            try RecallLoss(lambda: 1).validateRetrieval(similarities: [[1, 0], [1]], labels: [0, 0])
        }
    }

    @Test func validation() {
        let loss = RecallLoss(lambda: 1)
        #expect(throws: RamboError.notBinary(name: "relevance[1]", index: 0, value: 0.5)) {
            _ = try loss.checkedValueAndGradient(scores: [[0.1], [0.2]], relevance: [[1], [0.5]])
        }
        #expect(throws: RamboError.lengthMismatch(name: "memory[0].scores", expected: 2, actual: 1)) {
            try loss.validate(
                scores: [[0.1], [0.2]], relevance: [[true], [false]],
                memory: [ScoreBatch(scores: [[0.3]], relevance: [[false]])])
        }
        #expect(throws: RamboError.outOfRange(name: "lambda", value: -2, allowed: "finite and > 0")) {
            try RecallLoss(lambda: -2).validate(scores: [[0.1]], relevance: [[true]])
        }
        #expect(throws: RamboError.nonFinite(name: "scores[0]", index: 1, value: -.infinity)) {
            try loss.validate(scores: [[0.1, -.infinity]], relevance: [[true, false]])
        }
    }
}

/// log(1 + x) through the module's weighting, so tests need no libm import.
func log1pHelper(_ x: Double) -> Double { RecallWeighting.log.value(x) }
