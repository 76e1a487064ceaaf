// One protocol for the three rank losses, so that autodiff, training and the chapters handle them generically.

/// A rank-based loss of a batch of score lists: `scores` [rows][columns] with 0/1 `relevance` of the same shape
/// (the targets, for `MAPLoss`) and the stored `memory` of earlier batches, oldest first.
///
/// `APLoss`, `RecallLoss` and `MAPLoss` conform; each one's own methods document what a row is (a ranked list for
/// AP and recall, an example with one score per class for mAP), the units of λ and the complexity.
public protocol RankLoss: Sendable {
    /// The loss value only (one argsort per list fewer than `valueAndGradient`).
    ///
    /// - Precondition: valid inputs (see `validate`).
    func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) -> Double

    /// The loss and dL/dscores (same shape as `scores`; memory gets no gradient).
    ///
    /// - Parameters:
    ///   - scores: the current batch, [rows][columns] finite scores.
    ///   - relevance: 0/1 flags of the same shape as `scores` (the targets, for `MAPLoss`).
    ///   - memory: stored batches of earlier steps, oldest first (empty for `APLoss`); ranked, no gradient.
    ///   - upstream: dOuter/dL (1 for the plain gradient); the blackbox perturbation uses
    ///     λ · upstream · dL/drk, as autograd would.
    /// - Returns: the loss and dOuter/dscores, shaped like `scores`.
    /// - Precondition: valid inputs (see `validate`).
    func valueAndGradient(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double
    )
        -> LossResult

    /// Checks the loss's parameters and the shapes and values of the inputs.
    ///
    /// - Throws: `RamboError` naming the argument and the index that is wrong.
    func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) throws
}

extension RankLoss {
    /// The loss and dL/dscores with no memory and upstream 1.
    public func valueAndGradient(scores: [[Double]], relevance: [[Bool]]) -> LossResult {
        valueAndGradient(scores: scores, relevance: relevance, memory: [], upstream: 1)
    }
}

extension RecallLoss: RankLoss {}

/// AP keeps no score memory: `memory` must be empty (use `MAPLoss` to rank against stored batches).
extension APLoss: RankLoss {
    public func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) -> Double {
        precondition(memory.isEmpty, "APLoss keeps no score memory")
        return forward(scores: scores, relevance: relevance)
    }

    public func valueAndGradient(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double
    )
        -> LossResult
    {
        precondition(memory.isEmpty, "APLoss keeps no score memory")
        return valueAndGradient(scores: scores, relevance: relevance, upstream: upstream)
    }

    /// Checks λ and the lists (see `validate(scores:relevance:)`), and that `memory` is empty.
    ///
    /// - Throws: `RamboError.invalid` when `memory` is not empty, else as `validate(scores:relevance:)`.
    public func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) throws {
        guard memory.isEmpty else {
            throw RamboError.invalid("APLoss keeps no score memory, but memory holds \(memory.count) batches")
        }
        try validate(scores: scores, relevance: relevance)
    }
}

/// The rows are examples and the columns classes; `relevance` is the 0/1 `targets`.
extension MAPLoss: RankLoss {
    public func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) -> Double {
        forward(scores: scores, targets: relevance, memory: memory)
    }

    public func valueAndGradient(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double
    )
        -> LossResult
    {
        valueAndGradient(scores: scores, targets: relevance, memory: memory, upstream: upstream)
    }

    public func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) throws {
        try validate(scores: scores, targets: relevance, memory: memory)
    }
}
