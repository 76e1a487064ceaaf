// Batch samplers. Both are deterministic functions of their seed (SplitMix64), and both shuffle with the same
// explicit Fisher–Yates, so a port can reproduce the batches: for i from n−1 down to 1, swap i with
// j = generator.next(upperBound: i + 1).
import Support

/// Shuffles `array` in place with the Fisher–Yates rule stated above.
public func seededShuffle<T, G: RandomNumberGenerator>(_ array: inout [T], using generator: inout G) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
        let j = Int(generator.next(upperBound: UInt64(i + 1)))
        array.swapAt(i, j)
    }
}

/// Plain shuffled minibatches: every epoch is a fresh permutation of `0..<count` cut into batches.
public struct MinibatchSampler {
    public let count: Int
    public let batchSize: Int
    /// When true, a last batch smaller than `batchSize` is dropped.
    public let dropLast: Bool
    private var generator: SplitMix64

    /// - Precondition: `count ≥ 0`, `batchSize ≥ 1`.
    public init(count: Int, batchSize: Int, dropLast: Bool = false, seed: UInt64) {
        precondition(count >= 0 && batchSize >= 1, "MinibatchSampler needs count ≥ 0 and batchSize ≥ 1")
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.generator = SplitMix64(seed: seed)
    }

    /// The next epoch: disjoint batches of indices that together cover `0..<count` (less the dropped tail).
    /// - Complexity: O(count).
    public mutating func epoch() -> [[Int]] {
        var order = Array(0..<count)
        seededShuffle(&order, using: &generator)
        var batches = [[Int]]()
        var start = 0
        while start < count {
            let end = min(start + batchSize, count)
            if end - start < batchSize && dropLast { break }
            batches.append(Array(order[start..<end]))
            start = end
        }
        return batches
    }
}

/// What a `PKSampler` does with a class that has fewer than K items.
public enum SmallClassPolicy: Sendable {
    /// Take all of the class's items, then fill up to K by drawing from them again with replacement, so the
    /// batch holds repeats of that class's items.
    case withReplacement
    /// Never pick such a class.
    case skip
}

/// P×K sampling for metric learning: each batch has P distinct classes and K items of each, so every item has
/// K − 1 positives and (P − 1)·K negatives in its batch.
///
/// Batch layout: `P·K` dataset indices, class by class (items `c·K ..< (c+1)·K` share a label). Classes are
/// drawn uniformly without replacement within a batch, and items without replacement within their class
/// (see `SmallClassPolicy` for classes with fewer than K items). Classes with a single item are never drawn
/// (they have no positive). Batches are drawn independently; there is no notion of epoch.
public struct PKSampler {
    public let p: Int
    public let k: Int
    public let policy: SmallClassPolicy
    /// The dataset labels the sampler was built from.
    public let labels: [Int]
    /// The classes that can be drawn, in increasing label order, and their item indices.
    public let eligibleClasses: [Int]
    private let itemsByClass: [Int: [Int]]
    private var generator: SplitMix64

    /// - Precondition: `p ≥ 1`, `k ≥ 2`, and at least `p` classes are eligible under `policy`.
    public init(labels: [Int], p: Int, k: Int, policy: SmallClassPolicy = .withReplacement, seed: UInt64) {
        precondition(p >= 1 && k >= 2, "PKSampler needs p ≥ 1 and k ≥ 2, got p = \(p), k = \(k)")
        var byClass = [Int: [Int]]()
        for (i, label) in labels.enumerated() { byClass[label, default: []].append(i) }
        let eligible = byClass.keys.sorted().filter { c in
            let size = byClass[c]!.count
            return size >= 2 && (policy == .withReplacement || size >= k)
        }
        precondition(eligible.count >= p, "PKSampler: only \(eligible.count) classes are eligible, need p = \(p)")
        self.p = p
        self.k = k
        self.policy = policy
        self.labels = labels
        self.eligibleClasses = eligible
        self.itemsByClass = byClass
        self.generator = SplitMix64(seed: seed)
    }

    /// The next batch of `p·k` dataset indices, class by class.
    /// - Complexity: O(number of classes + p · largest class size).
    public mutating func nextBatch() -> [Int] {
        var classes = eligibleClasses
        seededShuffle(&classes, using: &generator)
        var batch = [Int]()
        batch.reserveCapacity(p * k)
        for c in classes.prefix(p) {
            var items = itemsByClass[c]!
            seededShuffle(&items, using: &generator)
            if items.count >= k {
                batch.append(contentsOf: items.prefix(k))
            } else {
                batch.append(contentsOf: items)
                for _ in items.count..<k { batch.append(items[Int(generator.next(upperBound: UInt64(items.count)))]) }
            }
        }
        return batch
    }
}
