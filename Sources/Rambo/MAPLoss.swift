// The detection loss (paper §4.3, §4.6, Eqs. 21–23): (1 − β) · L_mAP over per-class lists lengthened by the score
// memory, plus β · L_APC over the current batch flattened to one list.

/// The mAP loss on a batch of B images × C classes, with score memory, margin and the interclass term.
///
///     L = (1 − β) · L_mAP + β · L_APC
///
/// - L_mAP: for each class c, the ranked list is column c of the current batch followed by column c of every
///   stored batch (oldest first); L_mAP = 1 − mean AP over the classes with a positive in batch + memory
///   (others are dropped; 0 if none has one). Memory entries are ranked (also in the backward's perturbed ranking)
///   but get no gradient.
/// - L_APC: the current batch only (no memory), flattened row-major (index b·C + c) to one list of B·C;
///   1 − its AP, or 0 when the batch has no positive.
/// - β = `interclass`; the paper's 2 : 1 ratio is β = 1/3. A term whose weight is 0 is not computed.
/// - Margin: the deterministic ±α/2 of Eq. 14, on both terms; or the official code's noisy α|ξ|(t − 0.5) with
///   `valueAndGradient(…, using:)`, which draws |ξ| class by class, item by item, then for the flat list.
///
/// `official` (mAP.py `MapLoss`, its margin noise fixed to |ξ| = 1 unless a generator is passed):
/// - ranks normalised by the list length (B + stored rows for L_mAP, B·C for L_APC); one λ_code for both terms,
///   so in paper units λ_paper = λ_code·N for L_mAP and λ_code·B·C for L_APC; +1e-8 in the backward;
/// - AP = Σ_pos (rk⁺/rk) / (#pos + 1e-5);
/// - ranks in Float32 with the later index first among ties, AP ratios and the backward in Float32 (`APLoss`);
/// - τ = 0 is a fresh `MapLoss(batch_memory=1)` (the code raises IndexError on 0);
/// - a current batch without a positive gives NaN for every β (the code always computes both terms, and
///   0 · NaN = NaN); the gradient is then that of the class term alone (zero if no class has a positive).
public struct MAPLoss: Sendable {
    /// λ > 0: integer-rank units (`paper`) or normalised-rank units (`official`).
    public var lambda: Double
    /// α ≥ 0, the margin.
    public var margin: Double
    /// β ∈ [0, 1], the weight of the interclass term L_APC.
    public var interclass: Double
    public var convention: Convention

    public init(lambda: Double, margin: Double = 0, interclass: Double = 0, convention: Convention = .paper) {
        self.lambda = lambda
        self.margin = margin
        self.interclass = interclass
        self.convention = convention
    }

    /// The loss of `scores` [B][C] with 0/1 `targets` and stored `memory` batches ([B_k][C] each, oldest first).
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func forward(scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = []) -> Double {
        evaluate(scores: scores, targets: targets, memory: memory, upstream: nil) { list, relevance in
            applyMargin(&list, relevance: relevance, alpha: margin)
        }.loss
    }

    /// The loss and dL/dscores [B][C] with the deterministic margin.
    ///
    /// - Parameters:
    ///   - scores: the current batch, [B][C] finite scores (B images × C classes).
    ///   - targets: [B][C] flags, `true` where image b has class c.
    ///   - memory: stored batches, [B_k][C] each, oldest first; ranked in each class list, no gradient.
    ///   - upstream: dOuter/dL (1 for the plain gradient), passed into the blackbox perturbation.
    /// - Returns: the loss and dOuter/dscores, [B][C] (the current batch only).
    /// - Precondition: valid inputs (see `validate`).
    /// - Complexity: two argsorts per class list (length B + stored rows) and two on the flat list (B·C).
    public func valueAndGradient(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1
    )
        -> LossResult
    {
        evaluate(scores: scores, targets: targets, memory: memory, upstream: upstream) { list, relevance in
            applyMargin(&list, relevance: relevance, alpha: margin)
        }
    }

    /// The loss and gradient with the official code's noisy margin: each entry of each ranked list is shifted by
    /// −α·|ξ|·(t − 0.5), ξ ~ N(0,1) fresh per entry from `generator` (see `noisyMarginShifted`).
    public func valueAndGradient(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1,
        using generator: inout some RandomNumberGenerator
    ) -> LossResult {
        evaluate(scores: scores, targets: targets, memory: memory, upstream: upstream) { list, relevance in
            list = noisyMarginShifted(list, relevance: relevance, alpha: margin, using: &generator)
        }
    }

    /// Validates, converts 0/1 targets, and returns loss and gradient.
    ///
    /// - Throws: `RamboError` for any invalid input, including targets other than 0/1.
    public func checkedValueAndGradient(
        scores: [[Double]], targets: [[Double]], memory: [ScoreBatch] = []
    )
        throws -> LossResult
    {
        let binary = try binaryRelevance(targets, name: "targets")
        try validate(scores: scores, targets: binary, memory: memory)
        return valueAndGradient(scores: scores, targets: binary, memory: memory)
    }

    /// Checks λ > 0, α ≥ 0, β ∈ [0, 1], `scores` a non-empty finite B×C matrix, `targets` of the same shape, and
    /// every memory batch a non-empty finite matrix with C columns and targets of its shape.
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = []) throws {
        try LossValidation.lambda(lambda)
        try LossValidation.margin(margin)
        try LossValidation.coefficient(interclass, name: "interclass")
        let columns = scores.first?.count
        try LossValidation.lists(scores, targets, relevanceName: "targets", columns: columns)
        for (k, batch) in memory.enumerated() {
            try LossValidation.lists(
                batch.scores, batch.relevance, name: "memory[\(k)].scores", relevanceName: "memory[\(k)].targets",
                columns: columns)
        }
    }

    // MARK: Core

    private func evaluate(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch], upstream: Double?,
        shift: (inout [Double], [Bool]) -> Void
    ) -> LossResult {
        var gradient = scores.zerosLike
        var loss = 0.0
        if interclass < 1 {
            loss +=
                (1 - interclass)
                * classTerm(
                    scores: scores, targets: targets, memory: memory, upstream: upstream.map { $0 * (1 - interclass) },
                    gradient: &gradient, shift: shift)
        }
        if interclass > 0 {
            loss +=
                interclass
                * interclassTerm(
                    scores: scores, targets: targets, upstream: upstream.map { $0 * interclass },
                    gradient: &gradient, shift: shift)
        }
        // mAP.py computes both terms for every β, and a batch without a positive makes the interclass term a
        // mean over no class: NaN, and 0 · NaN is NaN. Its gradient is zero.
        if convention == .official, !targets.contains(where: { $0.contains(true) }) { loss = .nan }
        return LossResult(loss: loss, gradient: gradient)
    }

    /// L_mAP over per-class lists (batch then memory); adds its gradient (current rows only) into `gradient`.
    private func classTerm(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch], upstream: Double?, gradient: inout [[Double]],
        shift: (inout [Double], [Bool]) -> Void
    ) -> Double {
        let batch = scores.count
        let classes = scores[0].count
        let length = batch + memory.reduce(0) { $0 + $1.scores.count }
        var hasPositive = [Bool](repeating: false, count: classes)
        for rowTargets in [targets] + memory.map(\.relevance) {
            for row in rowTargets { for c in 0..<classes where row[c] { hasPositive[c] = true } }
        }
        let valid = hasPositive.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard valid > 0 else { return 0 }
        // One workspace and one gradient buffer for every class list (the lists have one length).
        var workspace = RankingWorkspace()
        var listGradient: [Double] = []
        var list = [Double](repeating: 0, count: length)
        var relevance = [Bool](repeating: false, count: length)
        var sum = 0.0
        for c in 0..<classes {
            var r = 0
            for b in 0..<batch {
                list[r] = scores[b][c]
                relevance[r] = targets[b][c]
                r += 1
            }
            for stored in memory {
                for k in stored.scores.indices {
                    list[r] = stored.scores[k][c]
                    relevance[r] = stored.relevance[k][c]
                    r += 1
                }
            }
            shift(&list, relevance)
            guard hasPositive[c] else { continue }
            if let upstream {
                sum += APCore.backward(
                    scores: list, relevance: relevance, half: 0, weight: upstream / Double(valid), lambda: lambda,
                    convention: convention, workspace: &workspace, gradient: &listGradient)
                for b in 0..<batch { gradient[b][c] += listGradient[b] }
            } else {
                sum += APCore.precision(
                    scores: list, relevance: relevance, half: 0, convention: convention, workspace: &workspace)!
            }
        }
        return 1 - sum / Double(valid)
    }

    /// L_APC over the current batch flattened row-major; adds its gradient into `gradient`.
    private func interclassTerm(
        scores: [[Double]], targets: [[Bool]], upstream: Double?, gradient: inout [[Double]],
        shift: (inout [Double], [Bool]) -> Void
    ) -> Double {
        let classes = scores[0].count
        var list = scores.flatMap { $0 }
        let relevance = targets.flatMap { $0 }
        shift(&list, relevance)
        guard relevance.contains(true) else { return 0 }
        if let upstream {
            let result = APCore.backward(
                shifted: list, relevance: relevance, weight: upstream, lambda: lambda, convention: convention)
            for i in result.gradient.indices { gradient[i / classes][i % classes] += result.gradient[i] }
            return 1 - result.precision
        }
        return 1 - APCore.precision(shifted: list, relevance: relevance, convention: convention)!
    }
}
