import Learning
import Rambo
import Testing

@Suite struct EndToEnd {
    /// Four classes of noisy points around random centres in 12-D, hidden behind a fixed random rotation-ish mix.
    static func toyData(count: Int, seed: UInt64) -> (Matrix, [Int]) {
        var rng = SplitMix64(seed: seed)
        let centres = Matrix.randomNormal(rows: 4, cols: 12, using: &rng)
        let labels = (0..<count).map { $0 % 4 }
        var x = Matrix.randomNormal(rows: count, cols: 12, std: 1.2, using: &rng)
        for i in 0..<count { for j in 0..<12 { x[i, j] += centres[labels[i], j] } }
        return (x, labels)
    }

    @Test func tripletTrainingImprovesRecall() throws {
        let (x, labels) = Self.toyData(count: 200, seed: 1)
        let model = MLP(sizes: [12, 32, 8], seed: 2)
        let normalise = L2Normalize()
        let adam = Adam(learningRate: 3e-3)
        var sampler = PKSampler(labels: labels, p: 4, k: 6, seed: 3)
        func recallAt1() throws -> Double {
            try retrievalRanking(embeddings: model.forward(x), labels: labels).recallAtK([1])![1]!
        }
        let before = try recallAt1()
        var firstLosses = [Double](), lastLosses = [Double]()
        for step in 0..<150 {
            let batch = sampler.nextBatch()
            model.zeroGradients()
            let embeddings = normalise.forward(model.forward(x.rows(batch)))
            let (loss, dS) = batchHardTripletLoss(similarities: similarityMatrix(embeddings),
                                                  labels: batch.map { labels[$0] }, margin: 0.3)
            _ = model.backward(normalise.backward(similarityMatrixBackward(dS, embeddings: embeddings)))
            adam.update(model)
            if step < 20 { firstLosses.append(loss) }
            if step >= 130 { lastLosses.append(loss) }
        }
        let after = try recallAt1()
        #expect(lastLosses.reduce(0, +) < 0.7 * firstLosses.reduce(0, +), "\(firstLosses) → \(lastLosses)")
        #expect(after > before + 0.05, "R@1 \(before) → \(after)")
    }
}
