import Rambo
import Support
import Testing

@testable import Learning

/// Short training runs through the shared loops: each must improve what it optimises.
@Suite struct TrainingTests {
    /// Four classes in 16-D, separable only by a non-trivial direction; R@1 of the raw inputs is the baseline.
    func clusters(seed: UInt64) -> (x: Matrix, labels: [Int]) {
        var rng = SplitMix64(seed: seed)
        let centres = (0..<4).map { _ in (0..<16).map { _ in rng.nextGaussian() } }
        var rows = [[Double]]()
        var labels = [Int]()
        for i in 0..<160 {
            let c = i % 4
            rows.append(centres[c].map { $0 + 1.2 * rng.nextGaussian() })
            labels.append(c)
        }
        return (Matrix(rows), labels)
    }

    func recallAt1(_ e: Matrix, _ labels: [Int]) throws -> Double {
        try RetrievalRanking(embeddings: e.doubleRows, labels: labels).recallAtK([1])![1]!
    }

    @Test(arguments: [0, 2])
    func recallLossWithMemoryImprovesRetrieval(memory: Int) throws {
        let (x, labels) = clusters(seed: 3)
        let trainer = EmbeddingTrainer(sizes: [16, 32, 8], learningRate: 3e-3, seed: 5)
        var loss = RecallEmbeddingLoss(loss: RecallLoss(lambda: 4, margin: 0.1), memorySize: memory)
        var sampler = PKSampler(labels: labels, p: 4, k: 8, seed: 9)
        let before = try recallAt1(trainer.embed(x), labels)
        var first = 0.0
        var last = 0.0
        for step in 0..<150 {
            let batch = sampler.nextBatch()
            let value = trainer.step(inputs: x.rows(batch), labels: batch.map { labels[$0] }, loss: &loss)
            if step < 10 { first += value / 10 }
            if step >= 140 { last += value / 10 }
        }
        let after = try recallAt1(trainer.embed(x), labels)
        #expect(last < 0.7 * first, "recall loss \(first) → \(last)")
        #expect(after > before, "R@1 \(before) → \(after)")
    }

    @Test func mapLossAndBCEBothRaiseMeanAveragePrecision() throws {
        let data = (0..<200).map { i -> (features: [Double], targets: [Bool]) in
            var rng = SplitMix64(seed: UInt64(i))
            let f = (0..<6).map { _ in rng.nextGaussian() }
            return (f, [f[0] + 0.5 * f[1] > 0.8, f[2] - f[3] > 0, f[4] > 1.2])
        }
        let x = Matrix(data.map(\.features))
        let targets = data.map(\.targets)
        func map(_ trainer: ScoreTrainer) -> Double {
            let s = trainer.scores(x)
            return meanAveragePrecision(
                scores: (0..<3).map { c in (0..<200).map { Double(s[$0, c]) } },
                relevance: (0..<3).map { c in targets.map { $0[c] } })!
        }
        // λ = 20 is the authors' λ_code = 0.5 on lists of 40 (λ_paper = λ_code · n).
        var apLoss = MAPScoreLoss(loss: MAPLoss(lambda: 20, margin: 0.1, interclass: 1.0 / 3), memorySize: 2)
        var bce = BCEScoreLoss()
        for seed: UInt64 in [1, 2] {
            let ap = ScoreTrainer(sizes: [6, 3], learningRate: 1e-2, seed: seed)
            let plain = ScoreTrainer(sizes: [6, 3], learningRate: 1e-2, seed: seed)
            let start = map(ap)
            var batches = MinibatchSampler(count: 200, batchSize: 40, dropLast: true, seed: seed)
            for _ in 0..<15 {
                for batch in batches.epoch() {
                    let t = batch.map { targets[$0] }
                    ap.step(inputs: x.rows(batch), targets: t, loss: &apLoss)
                    plain.step(inputs: x.rows(batch), targets: t, loss: &bce)
                }
            }
            #expect(map(ap) > start + 0.1, "mAP loss: \(start) → \(map(ap))")
            #expect(map(plain) > start + 0.1, "BCE: \(start) → \(map(plain))")
        }
        #expect(apLoss.memory.count == 2)  // the ring holds τ batches
    }

    @Test func fitIsTheHandWrittenLoopWithPartialLastEpoch() {
        var rng = SplitMix64(seed: 9)
        let x = Matrix((0..<50).map { _ in (0..<4).map { _ in rng.nextGaussian() } })
        let targets = (0..<50).map { i in [i % 3 == 0, i % 5 == 0] }
        // 50 rows in batches of 16 (drop last): 3 batches per epoch; 7 steps = 2 full epochs + 1 step.
        let byHand = ScoreTrainer(sizes: [4, 2], learningRate: 1e-2, seed: 3)
        var handLoss = MAPScoreLoss(loss: MAPLoss(lambda: 10, margin: 0.1), memorySize: 1)
        var handSampler = MinibatchSampler(count: 50, batchSize: 16, dropLast: true, seed: 4)
        var handLosses = [Double]()
        var handEpochs = 0
        while handLosses.count < 7 {
            for batch in handSampler.epoch() where handLosses.count < 7 {
                let t = batch.map { targets[$0] }
                handLosses.append(byHand.step(inputs: x.rows(batch), targets: t, loss: &handLoss))
            }
            handEpochs += 1
        }

        let fitted = ScoreTrainer(sizes: [4, 2], learningRate: 1e-2, seed: 3)
        var loss = MAPScoreLoss(loss: MAPLoss(lambda: 10, margin: 0.1), memorySize: 1)
        var sampler = MinibatchSampler(count: 50, batchSize: 16, dropLast: true, seed: 4)
        var epochs = 0
        var stepsSeen = [Int]()
        let losses = fitted.fit(
            inputs: x, targets: targets, loss: &loss, sampler: &sampler, steps: 7,
            afterStep: { stepsSeen.append($0) }, afterEpoch: { _ in epochs += 1 })
        #expect(losses == handLosses && losses.count == 7)
        #expect(epochs == 3 && handEpochs == 3)
        #expect(stepsSeen == Array(1...7))
        #expect(fitted.scores(x).storage == byHand.scores(x).storage)
        #expect(fitted.fit(inputs: x, targets: targets, loss: &loss, sampler: &sampler, steps: 0).isEmpty)
    }
}
