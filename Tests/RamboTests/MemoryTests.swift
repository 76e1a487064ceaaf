import Testing

@testable import Rambo

@Suite("Score memory")
struct MemoryTests {
    func batch(_ k: Double) -> ScoreBatch { ScoreBatch(scores: [[k]], relevance: [[true]]) }

    @Test func ringHoldsExactlyTauBatchesOldestFirst() {
        var memory = ScoreMemory(capacity: 3)
        for k in 0..<5 { memory.append(batch(Double(k))) }
        #expect(memory.count == 3)
        #expect(memory.batches.map { $0.scores[0][0] } == [2, 3, 4])
        memory.append(batch(5))
        #expect(memory.batches.map { $0.scores[0][0] } == [3, 4, 5])
        memory.removeAll()
        #expect(memory.batches.isEmpty)
    }

    @Test func tauZeroHoldsNothing() {
        var memory = ScoreMemory(capacity: 0)
        memory.append(batch(1))
        #expect(memory.count == 0 && memory.batches.isEmpty)
        // And the losses run without memory.
        let result = MAPLoss(lambda: 1).valueAndGradient(scores: [[0.1]], targets: [[true]], memory: memory.batches)
        #expect(result.loss == 0)
    }

    @Test func mapMemoryLengthensEachClassListAndGetsNoGradient() {
        // Class list = current column then stored column: same loss and (prefix) gradient as APLoss on that list.
        let scores = [[0.2, 0.9], [0.7, 0.1]]
        let targets = [[true, false], [false, true]]
        let stored = ScoreBatch(scores: [[0.8, 0.3], [0.1, 0.6]], relevance: [[false, false], [true, true]])
        let loss = MAPLoss(lambda: 30)
        let result = loss.valueAndGradient(scores: scores, targets: targets, memory: [stored])
        let ap = APLoss(lambda: 30).valueAndGradient(
            scores: [[0.2, 0.7, 0.8, 0.1], [0.9, 0.1, 0.3, 0.6]],
            relevance: [[true, false, false, true], [false, true, false, true]])
        #expect(close(result.loss, ap.loss))
        #expect(result.gradient.count == 2 && result.gradient.allSatisfy { $0.count == 2 })
        #expect(
            close(result.gradient, [[ap.gradient[0][0], ap.gradient[1][0]], [ap.gradient[0][1], ap.gradient[1][1]]]))
        #expect(result.gradient.flatMap { $0 }.contains { $0 != 0 })
        // Memory changes the value: without it, class 0 = [0.2 (pos), 0.7] → AP 1/2, class 1 = [0.9, 0.1 (pos)] → 1/2.
        #expect(close(loss.forward(scores: scores, targets: targets), 0.5))
        #expect(!close(result.loss, 0.5))
    }

    @Test func recallMemoryAddsColumnsInPaperConvention() {
        // Row [0.5 (pos)] alone: r = 0. Stored column [0.7 (neg)] ahead of it: r = 1 → log 2.
        let loss = RecallLoss(lambda: 1)
        let memory = [ScoreBatch(scores: [[0.7]], relevance: [[false]])]
        #expect(loss.forward(scores: [[0.5]], relevance: [[true]]) == 0)
        let result = loss.valueAndGradient(scores: [[0.5]], relevance: [[true]], memory: memory)
        #expect(close(result.loss, 0.6931471805599453))
        #expect(result.gradient.count == 1 && result.gradient[0].count == 1)  // no gradient slot for memory
        // Same numbers as ranking the concatenated row; the current part of the gradient is the prefix.
        let y = [[0.4, 0.9, 0.2]]
        let rel = [[true, false, true]]
        let m = [
            ScoreBatch(scores: [[0.5, 0.1]], relevance: [[false, true]]),
            ScoreBatch(scores: [[0.95]], relevance: [[false]]),
        ]
        let withMemory = RecallLoss(lambda: 5).valueAndGradient(scores: y, relevance: rel, memory: m)
        let concatenated = RecallLoss(lambda: 5).valueAndGradient(
            scores: [[0.4, 0.9, 0.2, 0.5, 0.1, 0.95]], relevance: [[true, false, true, false, true, false]])
        #expect(close(withMemory.loss, concatenated.loss))
        #expect(close(withMemory.gradient[0], Array(concatenated.gradient[0][0..<3])))
    }
}
