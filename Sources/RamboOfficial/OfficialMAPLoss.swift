// The detection loss as the authors' mAP.py computes it (Rambo's `MAPLoss` is the paper's).

import Rambo

/// The mAP loss on a batch of B images × C classes as mAP.py's `MapLoss` computes it, its margin noise fixed to
/// |ξ| = 1 unless a generator is passed. The lists are those of Rambo's `MAPLoss` (class columns of batch + memory,
/// the flat current batch for β), and so are the rules for empty classes; the arithmetic is the code's:
/// - ranks normalised by the list length (B + stored rows for L_mAP, B·C for L_APC); one λ_code for both terms,
///   so in paper units λ_paper = λ_code·N for L_mAP and λ_code·B·C for L_APC; +1e-8 in the backward;
/// - AP = Σ_pos (rk⁺/rk) / (#pos + 1e-5), ranks in Float32 with the later index first among ties, AP ratios and
///   the backward in Float32 (`OfficialAPLoss`);
/// - τ = 0 is a fresh `MapLoss(batch_memory=1)` (the code raises IndexError on 0);
/// - a current batch without a positive gives NaN for every β (the code always computes both terms, and
///   0 · NaN = NaN); the gradient is then that of the class term alone (zero if no class has a positive).
public struct OfficialMAPLoss: Sendable {
    /// λ_code > 0, in normalised-rank units (one λ for both terms).
    public var lambda: Double
    /// α ≥ 0, the margin.
    public var margin: Double
    /// β ∈ [0, 1], the weight of the interclass term L_APC.
    public var interclass: Double

    public init(lambda: Double, margin: Double = 0, interclass: Double = 0) {
        self.lambda = lambda
        self.margin = margin
        self.interclass = interclass
    }

    /// The paper's loss with the same parameters: its lists, checks and assembly, into which the official AP terms go.
    var assembly: MAPLoss { MAPLoss(lambda: lambda, margin: margin, interclass: interclass) }

    /// The loss of `scores` [B][C] with 0/1 `targets` and stored `memory` batches ([B_k][C] each, oldest first).
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func forward(scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = []) -> Double {
        evaluate(scores: scores, targets: targets, memory: memory, upstream: nil) { list, relevance in
            applyMargin(&list, relevance: relevance, alpha: margin)
        }.loss
    }

    /// The loss and dOuter/dscores [B][C] (the current batch only) with the margin of |ξ| ≡ 1.
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func valueAndGradient(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1
    )
        -> LossResult
    {
        evaluate(scores: scores, targets: targets, memory: memory, upstream: upstream) { list, relevance in
            applyMargin(&list, relevance: relevance, alpha: margin)
        }
    }

    /// The loss and gradient with mAP.py's noisy margin: each entry of each ranked list is shifted by
    /// −α·|ξ|·(t − 0.5), ξ ~ N(0,1) fresh per entry from `generator` (see `noisyMarginShifted`).
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func valueAndGradient(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1,
        using generator: inout some RandomNumberGenerator
    ) -> LossResult {
        evaluate(scores: scores, targets: targets, memory: memory, upstream: upstream) { list, relevance in
            list = noisyMarginShifted(list, relevance: relevance, alpha: margin, using: &generator)
        }
    }

    /// Checks what `MAPLoss.validate` checks: λ > 0, α ≥ 0, β ∈ [0, 1], a non-empty finite B×C matrix with
    /// targets of its shape, memory batches with C columns.
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = []) throws {
        try assembly.validate(scores: scores, targets: targets, memory: memory)
    }

    private func evaluate(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch], upstream: Double?,
        shift: (inout [Double], [Bool]) -> Void
    ) -> LossResult {
        var ap = OfficialListAP(lambda: lambda)
        var result = assembly.assemble(
            scores: scores, targets: targets, memory: memory, upstream: upstream, lists: &ap, shift: shift)
        // mAP.py computes both terms for every β, and a batch without a positive makes the interclass term a
        // mean over no class: NaN, and 0 · NaN is NaN. Its gradient is zero.
        if !targets.contains(where: { $0.contains(true) }) { result.loss = .nan }
        return result
    }
}

/// The rows are examples and the columns classes; `relevance` is the 0/1 `targets`.
extension OfficialMAPLoss: RankLoss {
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
