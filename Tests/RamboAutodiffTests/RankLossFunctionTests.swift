import Rambo
import RamboAutodiff
import RamboOfficial
import Testing
import _Differentiation

/// The one generic autodiff wrapper gives the same gradient as each loss's `valueAndGradient`, the authors'-code
/// losses included.
@Suite("RankLossFunction")
struct RankLossFunctionTests {
    let scores = [[0.9, 0.3, 0.5], [0.2, 0.8, 0.1]]
    let relevance = [[true, false, true], [false, true, true]]
    /// One stored batch that fits both readings: a block per query row (recall) and rows of C = 3 classes (mAP).
    let memory = [
        ScoreBatch(
            scores: [[0.4, 0.6, 0.7], [0.5, 0.05, 0.3]],
            relevance: [[true, true, false], [false, false, true]])
    ]

    @Test func oneWrapperDifferentiatesEveryLoss() {
        let flat = scores.flatMap { $0 }
        func check<L: RankLoss>(_ loss: L, memory: [ScoreBatch]) {
            let f = RankLossFunction(loss: loss, relevance: relevance, memory: memory)
            let (value, g) = valueWithGradient(at: flat, of: { f($0) })
            let direct = loss.valueAndGradient(scores: scores, relevance: relevance, memory: memory, upstream: 1)
            #expect(value == direct.loss)
            #expect(Array(g.base) == direct.gradient.flatMap { $0 })
        }
        check(APLoss(lambda: 4), memory: [])
        check(RecallLoss(lambda: 1), memory: memory)
        check(MAPLoss(lambda: 5, interclass: 0.5), memory: memory)
        check(OfficialAPLoss(lambda: 0.5), memory: [])
        check(OfficialMAPLoss(lambda: 0.5, interclass: 0.5), memory: memory)
    }

    @Test func apWrapperCutsFlatRelevanceIntoListsOfTheGivenLength() {
        let f = APLossFunction(loss: APLoss(lambda: 4), relevance: relevance.flatMap { $0 }, length: 3)
        #expect(f.relevance == relevance)
        #expect(APLossFunction(loss: APLoss(lambda: 4), relevance: [true, false]).relevance == [[true, false]])
    }
}
