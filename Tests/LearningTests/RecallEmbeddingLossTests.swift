import Rambo
import Support
import Testing

@testable import Learning

/// The recall loss of an embedding batch with score memory, in both gradient readings.
@Suite struct RecallEmbeddingLossTests {
    func unitBatch(_ rows: Int, seed: UInt64) -> Matrix {
        L2Normalize().forward(randomMatrix(rows, 6, seed: seed))
    }

    func labels(_ rows: Int, offset: Int) -> [Int] { (0..<rows).map { ($0 / 3 + offset) % 4 } }

    /// `.detached` is the recall loss on [batch row without the self-pair, memory columns] chained through
    /// S = E·Eᵀ, batch after batch, memory included; `.query` has the same value and adds only memory terms.
    @Test(arguments: [0, 2])
    func detachedIsTheRetrievalLossWithConstantMemoryColumns(memory: Int) {
        let recall = RecallLoss(lambda: 3, margin: 0.1)
        var detached = RecallEmbeddingLoss(loss: recall, memorySize: memory, memoryGradient: .detached)
        var query = RecallEmbeddingLoss(loss: recall, memorySize: memory, memoryGradient: .query)
        var past = [(e: Matrix, y: [Int])]()
        for step in 0..<4 {
            let e = unitBatch(12, seed: UInt64(step))
            let y = labels(12, offset: step)
            // The oracle: the library's retrieval form with the memory similarities as constant columns.
            let columns = past.map { old in
                ScoreBatch(
                    scores: matmul(e, old.e, transposeB: true).doubleRows,
                    relevance: y.map { q in old.y.map { $0 == q } })
            }
            let reference = recall.retrievalValueAndGradient(
                similarities: similarityMatrix(e).doubleRows,
                labels: y, memory: columns)
            let expected = similarityMatrixBackward(Matrix(reference.gradient), embeddings: e)
            let got = detached.evaluate(embeddings: e, labels: y)
            #expect(abs(got.loss - reference.loss) <= 1e-12)
            #expect(zip(got.gradient.storage, expected.storage).allSatisfy { abs($0 - $1) <= 1e-6 })
            let withQuery = query.evaluate(embeddings: e, labels: y)
            #expect(
                abs(withQuery.loss - reference.loss) <= 1e-12, "the forward pass does not depend on the gradient mode")
            if memory == 0 || step == 0 {
                #expect(zip(withQuery.gradient.storage, expected.storage).allSatisfy { abs($0 - $1) <= 1e-6 })
            }
            if memory > 0 { past = Array((past + [(e, y)]).suffix(memory)) }
        }
        #expect(detached.storedBatches == min(4, memory))
    }

    /// A stored negative that outranks a query's positive: with `.query` the extra gradient on the query points
    /// towards that negative, so a descent step moves the query away from it.
    @Test func queryGradientPushesTheQueryAwayFromAStoredNegative() {
        // Batch: query 0 and its positive 1 (cosine 0.6), an unrelated negative 2. Memory: a negative at cosine
        // 0.9 to the query, ahead of the positive, and one at cosine 0, behind it.
        let e = Matrix([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]] as [[Double]])
        let stored = Matrix([[0.9, 0, 0.435889894354], [0, -1, 0]] as [[Double]])
        let recall = RecallLoss(lambda: 2)
        var query = RecallEmbeddingLoss(loss: recall, memorySize: 1, memoryGradient: .query)
        var detached = RecallEmbeddingLoss(loss: recall, memorySize: 1, memoryGradient: .detached)
        _ = query.evaluate(embeddings: stored, labels: [9, 8])  // fills the memory
        _ = detached.evaluate(embeddings: stored, labels: [9, 8])
        let withQuery = query.evaluate(embeddings: e, labels: [0, 0, 1])
        let without = detached.evaluate(embeddings: e, labels: [0, 0, 1])
        let extra = (0..<3).map { withQuery.gradient[0, $0] - without.gradient[0, $0] }
        let alongStored = zip(extra, stored.row(0)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(alongStored > 0, "extra query gradient \(extra)")
        #expect(abs(withQuery.loss - without.loss) <= 1e-12)
    }

    /// Training with a memory of τ = 4 batches still improves retrieval, and the memory holds τ batches.
    @Test func trainingWithQueryMemoryImprovesRetrieval() throws {
        var rng = SplitMix64(seed: 3)
        let centres = (0..<4).map { _ in (0..<16).map { _ in rng.nextGaussian() } }
        var rows = [[Double]]()
        var y = [Int]()
        for i in 0..<160 {
            rows.append(centres[i % 4].map { $0 + 1.2 * rng.nextGaussian() })
            y.append(i % 4)
        }
        let x = Matrix(rows)
        func recallAt1(_ e: Matrix) throws -> Double {
            try RetrievalRanking(embeddings: e.doubleRows, labels: y).recallAtK([1])![1]!
        }
        let trainer = EmbeddingTrainer(sizes: [16, 32, 8], learningRate: 3e-3, seed: 5)
        var loss = RecallEmbeddingLoss(loss: RecallLoss(lambda: 4, margin: 0.1), memorySize: 4)
        var sampler = PKSampler(labels: y, p: 4, k: 4, seed: 9)
        let before = try recallAt1(trainer.embed(x))
        for _ in 0..<150 {
            let batch = sampler.nextBatch()
            trainer.step(inputs: x.rows(batch), labels: batch.map { y[$0] }, loss: &loss)
        }
        let after = try recallAt1(trainer.embed(x))
        #expect(after > before, "R@1 \(before) → \(after)")
        #expect(loss.storedBatches == 4)
    }
}
