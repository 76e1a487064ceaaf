import Support
import Testing

@testable import Rambo

@Suite("mAP loss")
struct LossMAPTests {
    // Class 0: [0.9 (pos), 0.2] → AP 1. Class 1: [0.3 (pos), 0.8] → AP 1/2. L_mAP = 1 − 3/4 = 1/4.
    // Flat (row-major) [0.9 p, 0.3 p, 0.2, 0.8]: ranks 1 and 3 → AP = (1 + 2/3)/2 = 5/6 → L_APC = 1/6.
    let scores = [[0.9, 0.3], [0.2, 0.8]]
    let targets = [[true, true], [false, false]]

    @Test func interclassCombination() {
        #expect(close(MAPLoss(lambda: 1).forward(scores: scores, targets: targets), 0.25))
        #expect(close(MAPLoss(lambda: 1, interclass: 1).forward(scores: scores, targets: targets), 1.0 / 6.0))
        // β = 1/3 (the paper's 2 : 1): 2/3 · 1/4 + 1/3 · 1/6 = 2/9.
        let third = MAPLoss(lambda: 1, interclass: 1.0 / 3.0)
        #expect(close(third.forward(scores: scores, targets: targets), 2.0 / 9.0))
        #expect(close(third.valueAndGradient(scores: scores, targets: targets).loss, 2.0 / 9.0))
    }

    @Test func interclassTermIsAPOnTheFlatBatch() {
        let loss = MAPLoss(lambda: 4, interclass: 1)
        let result = loss.valueAndGradient(
            scores: scores, targets: targets,
            memory: [ScoreBatch(scores: [[5, 5]], relevance: [[false, false]])])
        let ap = APLoss(lambda: 4).valueAndGradient(
            scores: [0.9, 0.3, 0.2, 0.8], relevance: [true, true, false, false])
        #expect(close(result.loss, ap.loss))  // memory ignored by L_APC
        #expect(close(result.gradient.flatMap { $0 }, ap.gradient))
    }

    @Test func classesWithoutPositiveAreDropped() {
        // A third class with no positive in batch + memory does not change the mean; with a stored positive it counts.
        let wide = [[0.9, 0.3, 0.5], [0.2, 0.8, 0.4]]
        let wideTargets = [[true, true, false], [false, false, false]]
        #expect(close(MAPLoss(lambda: 1).forward(scores: wide, targets: wideTargets), 0.25))
        // Stored row [_, _, 0.45 (pos)]: class 2 = [0.5, 0.4, 0.45 p] → rank 2 → AP 1/2; class 0/1 unchanged
        // (stored negatives 0.1 below every positive) → L = 1 − (1 + 1/2 + 1/2)/3 = 1/3.
        let memory = [ScoreBatch(scores: [[0.1, 0.1, 0.45]], relevance: [[false, false, true]])]
        #expect(close(MAPLoss(lambda: 1).forward(scores: wide, targets: wideTargets, memory: memory), 1.0 / 3.0))
        // Nothing positive anywhere: 0 and a zero gradient.
        let none = MAPLoss(lambda: 1, interclass: 0.5).valueAndGradient(
            scores: wide, targets: wideTargets.map { $0.map { _ in false } })
        #expect(none.loss == 0 && none.gradient.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    @Test func validation() {
        let loss = MAPLoss(lambda: 1)
        #expect(throws: RamboError.lengthMismatch(name: "scores[1]", expected: 2, actual: 1)) {
            try loss.validate(scores: [[0.1, 0.2], [0.3]], targets: [[true, false], [true]])
        }
        #expect(throws: RamboError.notBinary(name: "targets[0]", index: 0, value: -1)) {
            _ = try loss.checkedValueAndGradient(scores: [[0.1]], targets: [[-1]])
        }
        #expect(throws: RamboError.outOfRange(name: "interclass", value: 1.5, allowed: "in [0, 1]")) {
            try MAPLoss(lambda: 1, interclass: 1.5).validate(scores: [[0.1]], targets: [[true]])
        }
        #expect(throws: RamboError.lengthMismatch(name: "memory[0].scores[0]", expected: 1, actual: 2)) {
            try loss.validate(
                scores: [[0.1]], targets: [[true]],
                memory: [ScoreBatch(scores: [[0.1, 0.2]], relevance: [[true, false]])])
        }
        #expect(throws: RamboError.lengthMismatch(name: "memory[0].targets", expected: 1, actual: 0)) {
            try loss.validate(scores: [[0.1]], targets: [[true]], memory: [ScoreBatch(scores: [[0.1]], relevance: [])])
        }
    }
}
