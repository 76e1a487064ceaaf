// The detection loss (paper §4.3, §4.6, Eqs. 21–23): (1 − β) · L_mAP over per-class lists lengthened by the score
// memory, plus β · L_APC over the current batch flattened to one list.

import RankKernel

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
/// - Margin: the deterministic ±α/2 of Eq. 14, on both terms. (The authors' mAP.py draws a noisy margin
///   α|ξ|(t − 0.5); RamboOfficial adds `valueAndGradient(…, using:)` for it, and `OfficialMAPLoss` for the rest of
///   mAP.py's arithmetic.)
public struct MAPLoss: Sendable {
    /// λ > 0, in integer-rank units (one λ for both terms).
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

    /// The loss of `scores` [B][C] with 0/1 `targets` and stored `memory` batches ([B_k][C] each, oldest first).
    ///
    /// - Precondition: valid inputs (see `validate`).
    /// - Complexity: one radix sort per class list (length B + stored rows) and one of the flat list (B·C).
    public func forward(scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = []) -> Double {
        var lists = PaperListAP(lambda: lambda)
        return assemble(scores: scores, targets: targets, memory: memory, upstream: nil, lists: &lists) {
            list, relevance in applyMargin(&list, relevance: relevance, alpha: margin)
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
    /// - Complexity: O(per class list of length B + stored rows, and for the flat list of B·C: one radix sort of
    ///   the list, one of its positives, and linear passes).
    public func valueAndGradient(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1
    )
        -> LossResult
    {
        var lists = PaperListAP(lambda: lambda)
        return assemble(scores: scores, targets: targets, memory: memory, upstream: upstream, lists: &lists) {
            list, relevance in applyMargin(&list, relevance: relevance, alpha: margin)
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

    /// The loss and, with `upstream`, its gradient, from the AP terms `lists` computes of each class list and of
    /// the flat list after `shift` (the margin) moved their scores. `MAPLoss` uses the paper's AP
    /// (`PaperListAP`); RamboOfficial passes mAP.py's, and its own margin noise, to the same assembly.
    package func assemble<Lists: ListAveragePrecision>(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch], upstream: Double?, lists: inout Lists,
        shift: (inout [Double], [Bool]) -> Void
    ) -> LossResult {
        var gradient = scores.zerosLike
        var loss = 0.0
        if interclass < 1 {
            loss +=
                (1 - interclass)
                * classTerm(
                    scores: scores, targets: targets, memory: memory, upstream: upstream.map { $0 * (1 - interclass) },
                    lists: &lists, gradient: &gradient, shift: shift)
        }
        if interclass > 0 {
            loss +=
                interclass
                * interclassTerm(
                    scores: scores, targets: targets, upstream: upstream.map { $0 * interclass },
                    lists: &lists, gradient: &gradient, shift: shift)
        }
        return LossResult(loss: loss, gradient: gradient)
    }

    /// L_mAP over per-class lists (batch then memory); adds its gradient (current rows only) into `gradient`.
    private func classTerm<Lists: ListAveragePrecision>(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch], upstream: Double?, lists: inout Lists,
        gradient: inout [[Double]], shift: (inout [Double], [Bool]) -> Void
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
        // One gradient buffer and one list for every class (the lists have one length).
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
                sum += lists.backward(
                    shifted: list, relevance: relevance, weight: upstream / Double(valid), gradient: &listGradient)
                for b in 0..<batch { gradient[b][c] += listGradient[b] }
            } else {
                sum += lists.precision(shifted: list, relevance: relevance)!
            }
        }
        return 1 - sum / Double(valid)
    }

    /// L_APC over the current batch flattened row-major; adds its gradient into `gradient`.
    private func interclassTerm<Lists: ListAveragePrecision>(
        scores: [[Double]], targets: [[Bool]], upstream: Double?, lists: inout Lists, gradient: inout [[Double]],
        shift: (inout [Double], [Bool]) -> Void
    ) -> Double {
        let classes = scores[0].count
        var list = scores.flatMap { $0 }
        let relevance = targets.flatMap { $0 }
        shift(&list, relevance)
        guard relevance.contains(true) else { return 0 }
        guard let upstream else { return 1 - lists.precision(shifted: list, relevance: relevance)! }
        var listGradient: [Double] = []
        let precision = lists.backward(shifted: list, relevance: relevance, weight: upstream, gradient: &listGradient)
        for i in listGradient.indices { gradient[i / classes][i % classes] += listGradient[i] }
        return 1 - precision
    }
}

/// The AP term of one ranked list, as the mAP loss assembles them: the paper's (`PaperListAP`) or, in
/// RamboOfficial, mAP.py's.
package protocol ListAveragePrecision {
    /// The list's AP term (Σ_pos rk⁺/rk over the positives, divided by their number); nil without a positive.
    mutating func precision(shifted: [Double], relevance: [Bool]) -> Double?
    /// The AP term, and dL/dy of L = −weight · term written into `gradient` (resized to the list).
    ///
    /// - Precondition: the list has a positive.
    mutating func backward(shifted: [Double], relevance: [Bool], weight: Double, gradient: inout [Double]) -> Double
}

/// The paper's AP term of a list whose margin is already applied: RankKernel's fast path through one reused
/// workspace.
package struct PaperListAP: ListAveragePrecision {
    let lambda: Double
    var workspace = RankingWorkspace()

    package init(lambda: Double) { self.lambda = lambda }

    package mutating func precision(shifted: [Double], relevance: [Bool]) -> Double? {
        APCore.precision(scores: shifted, relevance: relevance, half: 0, workspace: &workspace)
    }

    package mutating func backward(
        shifted: [Double], relevance: [Bool], weight: Double, gradient: inout [Double]
    ) -> Double {
        APCore.backward(
            scores: shifted, relevance: relevance, half: 0, weight: weight, lambda: lambda, workspace: &workspace,
            gradient: &gradient)
    }
}
