import Learning
import Rambo
import Support
import Testing

@Suite struct Samplers {
    /// Classes 0, 1, 2 with 6 items, class 3 with 2, class 4 with 1 (interleaved in the dataset).
    static let labels: [Int] = {
        var labels = [Int]()
        for round in 0..<6 {
            for c in 0..<5 where (c < 3) || (c == 3 && round < 2) || (c == 4 && round == 0) { labels.append(c) }
        }
        return labels
    }()

    func checkBatch(_ batch: [Int], p: Int, k: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(batch.count == p * k, sourceLocation: sourceLocation)
        let groups = stride(from: 0, to: batch.count, by: k).map { Array(batch[$0..<($0 + k)]) }
        let groupLabels = groups.map { Set($0.map { Self.labels[$0] }) }
        #expect(
            groupLabels.allSatisfy { $0.count == 1 }, "each group of K shares one label", sourceLocation: sourceLocation
        )
        #expect(Set(groupLabels.map { $0.first! }).count == p, "P distinct classes", sourceLocation: sourceLocation)
    }

    @Test func skipPolicyDrawsOnlyFullClassesWithoutRepeats() {
        var sampler = PKSampler(labels: Self.labels, p: 3, k: 4, policy: .skip, seed: 1)
        #expect(sampler.eligibleClasses == [0, 1, 2])
        for _ in 0..<20 {
            let batch = sampler.nextBatch()
            checkBatch(batch, p: 3, k: 4)
            #expect(Set(batch).count == 12, "no item twice in a batch")
        }
    }

    @Test func replacementPolicyFillsSmallClasses() {
        var sampler = PKSampler(labels: Self.labels, p: 3, k: 4, policy: .withReplacement, seed: 2)
        #expect(sampler.eligibleClasses == [0, 1, 2, 3], "the singleton class 4 has no positive and is never drawn")
        var sawSmallClass = false
        for _ in 0..<40 {
            let batch = sampler.nextBatch()
            checkBatch(batch, p: 3, k: 4)
            for g in stride(from: 0, to: 12, by: 4) where Self.labels[batch[g]] == 3 {
                sawSmallClass = true
                #expect(Set(batch[g..<(g + 4)]).count == 2, "both items of class 3, then repeats")
            }
        }
        #expect(sawSmallClass)
    }

    @Test func sameSeedSameBatches() {
        var a = PKSampler(labels: Self.labels, p: 2, k: 2, seed: 5)
        var b = PKSampler(labels: Self.labels, p: 2, k: 2, seed: 5)
        var c = PKSampler(labels: Self.labels, p: 2, k: 2, seed: 6)
        let fromA = (0..<5).map { _ in a.nextBatch() }
        #expect(fromA == (0..<5).map { _ in b.nextBatch() })
        #expect(fromA != (0..<5).map { _ in c.nextBatch() })
    }

    @Test func minibatchesPartitionEachEpoch() {
        var sampler = MinibatchSampler(count: 10, batchSize: 4, seed: 1)
        let epoch1 = sampler.epoch()
        let epoch2 = sampler.epoch()
        #expect(epoch1.map(\.count) == [4, 4, 2])
        #expect(epoch1.flatMap { $0 }.sorted() == Array(0..<10))
        #expect(epoch2.flatMap { $0 }.sorted() == Array(0..<10))
        #expect(epoch1 != epoch2, "a fresh permutation each epoch")
        var dropping = MinibatchSampler(count: 10, batchSize: 4, dropLast: true, seed: 1)
        #expect(dropping.epoch() == Array(epoch1.prefix(2)))
    }

    @Test func shuffleIsAPermutation() {
        var rng = Support.SplitMix64(seed: 3)
        var values = Array(0..<100)
        seededShuffle(&values, using: &rng)
        #expect(values.sorted() == Array(0..<100))
        #expect(values != Array(0..<100))
    }
}
