import Support
import Testing

@testable import Rambo

/// `MAPLoss`'s class term (one workspace and one gradient buffer for every class list) against the per-list
/// reference: `APLoss` on the class columns written out as lists [batch column c, memory column c, oldest first].
@Suite struct LossMAPListsTests {
    @Test(arguments: [0.0, 0.2])
    func classTermEqualsAPLossOnTheWrittenOutLists(margin: Double) {
        var generator = SplitMix64(seed: 7)
        func batch(_ rows: Int) -> ScoreBatch {
            // Scores on a coarse grid (ties), labels that leave class 3 without any positive.
            ScoreBatch(
                scores: (0..<rows).map { _ in (0..<4).map { _ in (generator.nextUnit() * 8).rounded() / 8 } },
                relevance: (0..<rows).map { _ in (0..<4).map { c in c < 3 && generator.nextUnit() < 0.4 } })
        }
        let current = batch(9)
        let memory = [batch(9), batch(9)]
        let loss = MAPLoss(lambda: 3, margin: margin)
        let got = loss.valueAndGradient(scores: current.scores, targets: current.relevance, memory: memory)
        var lists = [[Double]]()
        var relevance = [[Bool]]()
        for c in 0..<4 {
            var list = current.scores.map { $0[c] } + memory.flatMap { $0.scores.map { $0[c] } }
            let rel = current.relevance.map { $0[c] } + memory.flatMap { $0.relevance.map { $0[c] } }
            applyMargin(&list, relevance: rel, alpha: margin)
            lists.append(list)
            relevance.append(rel)
        }
        let want = APLoss(lambda: 3).valueAndGradient(scores: lists, relevance: relevance)
        #expect(got.loss == want.loss)
        for b in 0..<9 {
            for c in 0..<4 { #expect(got.gradient[b][c] == want.gradient[c][b], "[\(b)][\(c)]") }
        }
        #expect(got.gradient.contains { $0.contains { $0 != 0 } })
    }
}
