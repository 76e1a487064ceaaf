import Rambo
import Testing

/// The three losses behind `RankLoss`: the protocol's methods answer exactly what each loss's own methods answer.
@Suite("RankLoss")
struct RankLossTests {
    let scores = [[0.9, 0.3, 0.5], [0.2, 0.8, 0.1]]
    let relevance = [[true, false, true], [false, true, true]]
    /// One stored batch that fits both readings: a block per query row (recall) and rows of C = 3 classes (mAP).
    let memory = [
        ScoreBatch(
            scores: [[0.4, 0.6, 0.7], [0.5, 0.05, 0.3]],
            relevance: [[true, true, false], [false, false, true]])
    ]

    /// The loss through the protocol, with no knowledge of which loss it is.
    func generic<L: RankLoss>(_ loss: L, memory: [ScoreBatch], upstream: Double) -> (Double, LossResult) {
        (
            loss.forward(scores: scores, relevance: relevance, memory: memory),
            loss.valueAndGradient(scores: scores, relevance: relevance, memory: memory, upstream: upstream)
        )
    }

    @Test func protocolMethodsAreTheLossesOwn() {
        let ap = APLoss(lambda: 3, margin: 0.1)
        let (apValue, apResult) = generic(ap, memory: [], upstream: 2)
        #expect(apValue == ap.forward(scores: scores, relevance: relevance))
        #expect(apResult == ap.valueAndGradient(scores: scores, relevance: relevance, upstream: 2))

        let recall = RecallLoss(lambda: 2, margin: 0.05, weighting: .loglog)
        let (recallValue, recallResult) = generic(recall, memory: memory, upstream: 0.5)
        #expect(recallValue == recall.forward(scores: scores, relevance: relevance, memory: memory))
        #expect(
            recallResult
                == recall.valueAndGradient(scores: scores, relevance: relevance, memory: memory, upstream: 0.5))

        // λ large enough for the perturbation to reorder, so the gradient is not zero.
        let map = MAPLoss(lambda: 1000, margin: 0.1, interclass: 0.25)
        let (mapValue, mapResult) = generic(map, memory: memory, upstream: 1)
        #expect(mapValue == map.forward(scores: scores, targets: relevance, memory: memory))
        #expect(mapResult == map.valueAndGradient(scores: scores, targets: relevance, memory: memory))
        #expect(mapResult.gradient.flatMap { $0 }.contains { $0 != 0 })
    }

    @Test func apRejectsMemoryByName() throws {
        let ap = APLoss(lambda: 3)
        try ap.validate(scores: scores, relevance: relevance, memory: [])
        #expect(throws: RamboError.self) { try ap.validate(scores: scores, relevance: relevance, memory: memory) }
        #expect(throws: RamboError.self) {
            try MAPLoss(lambda: -1).validate(scores: scores, relevance: relevance, memory: [])
        }
    }
}
