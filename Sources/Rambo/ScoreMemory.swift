// Score memory τ (paper §4.3): the detached scores of the last τ batches, to lengthen the ranked lists.

/// One stored batch: scores and their 0/1 relevance, as plain values (so "detached": they get no gradient).
///
/// For `MAPLoss` a batch is `[B][C]` (images × classes); for `RecallLoss` it is `[Q][m]`: m extra gallery
/// columns for each of the Q query rows (RamboOfficial's `OfficialRecallLoss` takes `[Q'][n]` extra query rows).
public struct ScoreBatch: Sendable, Equatable {
    public var scores: [[Double]]
    public var relevance: [[Bool]]

    public init(scores: [[Double]], relevance: [[Bool]]) {
        self.scores = scores
        self.relevance = relevance
    }
}

/// A ring buffer of the last `capacity` (τ) batches, oldest first.
///
/// Use: compute the loss with `memory.batches`, then `append` the current batch. After k appends it holds
/// min(k, τ) batches. τ = 0 is allowed and holds nothing (the official `MapLoss` crashes on τ = 0; docs/paper-vs-code.md).
///
/// The loss functions put the current batch first and the stored batches after it, oldest first, as the
/// official code concatenates them; with the stable tie rule this order decides ties.
public struct ScoreMemory: Sendable {
    /// τ, the number of batches kept.
    public let capacity: Int
    private var storage: [ScoreBatch] = []
    private var start = 0  // index of the oldest batch once the ring is full

    /// - Precondition: `capacity >= 0`.
    public init(capacity: Int) {
        precondition(capacity >= 0, "memory capacity must be ≥ 0")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    /// The stored batches, oldest first.
    public var batches: [ScoreBatch] {
        Array(storage[start...] + storage[..<start])
    }

    /// How many batches are stored: min(appends so far, τ).
    public var count: Int { storage.count }

    /// Stores a batch, dropping the oldest when τ batches are already stored. Does nothing when τ = 0.
    ///
    /// - Complexity: O(1) (the batch is stored by value, copy-on-write).
    public mutating func append(_ batch: ScoreBatch) {
        guard capacity > 0 else { return }
        if storage.count < capacity {
            storage.append(batch)
        } else {
            storage[start] = batch
            start = (start + 1) % capacity
        }
    }

    /// Convenience for `append(ScoreBatch(scores:relevance:))`.
    public mutating func append(scores: [[Double]], relevance: [[Bool]]) {
        append(ScoreBatch(scores: scores, relevance: relevance))
    }

    /// Forgets every stored batch.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        start = 0
    }
}
