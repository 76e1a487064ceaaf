// The AP loss (paper §4.5–4.6, Eqs. 21–22): 1 − average precision, differentiated through the ranking by the
// blackbox backward pass.

import RankKernel

/// The AP loss on one or several ranked lists.
///
/// Forward (paper convention), for each list with margin-shifted scores ỹ (Eq. 14):
///
///     Prec(i) = rk(ỹ⁺)_i / rk(ỹ)_i      for each positive i (rank among positives / rank among all)
///     AP      = mean of Prec over the positives
///     L       = 1 − mean of AP over the lists that have a positive
///
/// Lists without a positive are skipped; if no list has one the loss is 0 and the gradient is zero.
///
/// Backward: rk(ỹ⁺) is a constant, and dL/drk(ỹ)_i = rk⁺_i / (rk_i² · |rel| · L_valid) for positives (0 for
/// negatives); `rankBackward` turns that into dL/dỹ, and dL/dy = dL/dỹ since the margin is additive.
///
/// What the authors' mAP.py computes instead (normalised Float32 ranks, #pos + 1e-5, NaN without a positive) is
/// RamboOfficial's `OfficialAPLoss`.
///
/// Cost on one list of n items (RankKernel's AP fast path): forward = one radix argsort + O(n); forward + backward =
/// one radix sort of the whole list (the relevance bit rides in the index), an in-order walk, a sort of the
/// positives only and a merge: negatives get no upstream, so they keep their order in the perturbed ranking.
/// With a reused `RankingWorkspace`, nothing is allocated per call.
public struct APLoss: Sendable {
    /// λ > 0, in integer-rank units.
    public var lambda: Double
    /// α ≥ 0, the margin of Eq. 14.
    public var margin: Double

    public init(lambda: Double, margin: Double = 0) {
        self.lambda = lambda
        self.margin = margin
    }

    // MARK: One list

    /// dL/drk for L = 1 − AP of one list (Eqs. 21–22, the rank among positives held constant), on the
    /// margin-shifted scores: rk⁺_i/(|rel| · rk_i²) for positives and 0 for negatives. This is the upstream the blackbox backward perturbs the scores with;
    /// feed it to `scaleRuleLambda` to choose λ. All zeros when the list has no positive.
    ///
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    /// - Complexity: O(n), one argsort.
    public func rankUpstream(scores: [Double], relevance: [Bool]) -> [Double] {
        guard relevance.contains(true) else { return [Double](repeating: 0, count: scores.count) }
        return APCore.rankUpstream(
            shifted: marginShifted(scores, relevance: relevance, alpha: margin),
            relevance: relevance, weight: 1
        ).upstream
    }

    /// The loss 1 − AP of one list; 0 when it has no positive.
    ///
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    /// - Complexity: O(n), one radix sort.
    public func forward(scores: [Double], relevance: [Bool]) -> Double {
        forward(scores: [scores], relevance: [relevance])
    }

    /// The loss of one list and dL/dy.
    ///
    /// - Parameters:
    ///   - scores: the list's n scores y, any finite values (higher ranks first).
    ///   - relevance: n flags, `true` for the positives; same length as `scores`.
    ///   - upstream: dOuter/dL, the factor autodiff passes down (1 for the plain gradient). The blackbox backward
    ///     perturbs with λ · upstream · dL/drk, as the code's autograd does, so it is not a mere rescaling.
    /// - Returns: the loss 1 − AP (0 when the list has no positive) and the blackbox dOuter/dy,
    ///   n values (all zero when the list has no positive).
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    /// - Complexity: O(n) radix passes: one sort of the list and one of its positives.
    public func valueAndGradient(
        scores: [Double], relevance: [Bool], upstream: Double = 1
    )
        -> (loss: Double, gradient: [Double])
    {
        let result = valueAndGradient(scores: [scores], relevance: [relevance], upstream: upstream)
        return (result.loss, result.gradient[0])
    }

    /// The loss of one list and dL/dy, reusing `workspace` and `gradient`'s storage: the same loss and gradient,
    /// bit for bit, as `valueAndGradient(scores:relevance:upstream:)`, and no allocation once both have grown to
    /// the list's length. The way to train on, or time, long lists.
    ///
    /// - Parameters:
    ///   - scores: the list's n scores y, any finite values (higher ranks first).
    ///   - relevance: n flags, `true` for the positives; same length as `scores`.
    ///   - upstream: dOuter/dL (1 for the plain gradient), as in `valueAndGradient(scores:relevance:upstream:)`.
    ///   - workspace: scratch memory, 24 bytes per item plus 12 per positive; keep one per thread.
    ///   - gradient: receives dOuter/dy, n values (resized to `scores.count` if needed).
    /// - Returns: the loss 1 − AP (0 when the list has no positive, with a zero gradient).
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    /// - Complexity: O(n): one radix sort of the list, one of its positives, and linear passes.
    public func valueAndGradient(
        scores: [Double], relevance: [Bool], upstream: Double = 1, workspace: inout RankingWorkspace,
        gradient: inout [Double]
    ) -> Double {
        precondition(
            relevance.count == scores.count,
            "relevance has \(relevance.count) entries, expected \(scores.count)")
        gradient.resizeUninitialized(to: scores.count)
        guard relevance.contains(true) else {
            gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            return 0
        }
        let precision = APCore.backward(
            scores: scores, relevance: relevance, half: margin / 2, weight: upstream, lambda: lambda,
            workspace: &workspace, gradient: &gradient)
        return 1 - precision
    }

    /// The loss 1 − AP of one list, reusing `workspace`: the same value as `forward(scores:relevance:)`.
    ///
    /// - Complexity: O(n), one radix sort.
    public func forward(scores: [Double], relevance: [Bool], workspace: inout RankingWorkspace) -> Double {
        precondition(
            relevance.count == scores.count,
            "relevance has \(relevance.count) entries, expected \(scores.count)")
        guard
            let precision = APCore.precision(
                scores: scores, relevance: relevance, half: margin / 2, workspace: &workspace)
        else { return 0 }
        return 1 - precision
    }

    // MARK: Several lists

    /// The loss over several lists: 1 − mean AP over the lists with a positive; 0 when none has one.
    ///
    /// - Complexity: O(Σ n), one radix sort per list.
    public func forward(scores: [[Double]], relevance: [[Bool]]) -> Double {
        var workspace = RankingWorkspace()
        var sum = 0.0
        var valid = 0
        for l in scores.indices {
            if let precision = APCore.precision(
                scores: scores[l], relevance: relevance[l], half: margin / 2, workspace: &workspace)
            {
                sum += precision
                valid += 1
            }
        }
        guard valid > 0 else { return 0 }
        return 1 - sum / Double(valid)
    }

    /// The loss over several lists and its gradient (same shape as `scores`).
    ///
    /// - Complexity: O(Σ n): per list one radix sort, one of its positives, and linear passes.
    public func valueAndGradient(scores: [[Double]], relevance: [[Bool]], upstream: Double = 1) -> LossResult {
        let valid = relevance.reduce(0) { $0 + ($1.contains(true) ? 1 : 0) }
        var gradient = scores.zerosLike
        guard valid > 0 else { return LossResult(loss: 0, gradient: gradient) }
        let weight = upstream / Double(valid)
        var workspace = RankingWorkspace()
        var sum = 0.0
        for l in scores.indices where relevance[l].contains(true) {
            sum += APCore.backward(
                scores: scores[l], relevance: relevance[l], half: margin / 2, weight: weight, lambda: lambda,
                workspace: &workspace, gradient: &gradient[l])
        }
        return LossResult(loss: 1 - sum / Double(valid), gradient: gradient)
    }

    /// Checks the inputs: at least one list, each non-empty and finite, relevance of the same shape, λ > 0 finite,
    /// margin ≥ 0 finite.
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], relevance: [[Bool]]) throws {
        try LossValidation.lambda(lambda)
        try LossValidation.margin(margin)
        try LossValidation.lists(scores, relevance)
    }

    /// `validate` for one list.
    public func validate(scores: [Double], relevance: [Bool]) throws {
        try validate(scores: [scores], relevance: [relevance])
    }

    /// Validates, converts 0/1 relevance and returns the loss and gradient.
    ///
    /// - Throws: `RamboError` for any invalid input, including relevance other than 0/1.
    public func checkedValueAndGradient(scores: [[Double]], relevance: [[Double]]) throws -> LossResult {
        let binary = try binaryRelevance(relevance)
        try validate(scores: scores, relevance: binary)
        return valueAndGradient(scores: scores, relevance: binary)
    }
}

/// The per-list AP computation shared by `APLoss` and `MAPLoss`.
///
/// The fast path is RankKernel's `RankingWorkspace.averagePrecisionFastPath`: one radix sort, a sort of the
/// positives and linear passes. `referencePrecision` and `referenceBackward` are the textbook route (two full
/// rankings) that it reproduces bit for bit; they serve lists too long for the kernel and the tests.
enum APCore {
    /// Σ_pos rk⁺/rk divided by #pos of `scores` shifted by the margin ±`half`; nil without a positive.
    static func precision(
        scores: [Double], relevance: [Bool], half: Double, workspace: inout RankingWorkspace
    ) -> Double? {
        guard scores.count <= RankingWorkspace.maximumAPCount else {
            let shifted = marginShifted(scores, relevance: relevance, alpha: 2 * half)
            return referencePrecision(shifted: shifted, relevance: relevance)
        }
        return scores.withUnsafeBufferPointer { y in
            relevance.withUnsafeBufferPointer { rel in
                workspace.averagePrecisionFastPath(
                    scores: y, relevance: rel, half: half, weight: 0, lambda: 1,
                    gradient: nil)
            }
        }
    }

    /// The list's precision term, and dL/dy for L = −weight · precision (+ constants) written into `gradient`
    /// (resized), for `scores` shifted by the margin ±`half`.
    ///
    /// - Precondition: the list has a positive.
    static func backward(
        scores: [Double], relevance: [Bool], half: Double, weight: Double, lambda: Double,
        workspace: inout RankingWorkspace, gradient: inout [Double]
    ) -> Double {
        guard scores.count <= RankingWorkspace.maximumAPCount else {
            let shifted = marginShifted(scores, relevance: relevance, alpha: 2 * half)
            let result = referenceBackward(shifted: shifted, relevance: relevance, weight: weight, lambda: lambda)
            gradient = result.gradient
            return result.precision
        }
        gradient.resizeUninitialized(to: scores.count)
        return scores.withUnsafeBufferPointer { y in
            relevance.withUnsafeBufferPointer { rel in
                gradient.withUnsafeMutableBufferPointer { out in
                    workspace.averagePrecisionFastPath(
                        scores: y, relevance: rel, half: half, weight: weight,
                        lambda: lambda, gradient: out.baseAddress)!
                }
            }
        }
    }

    /// The reference `precision` on shifted scores: argsort, then a walk in sorted order. One argsort.
    static func referencePrecision(shifted: [Double], relevance: [Bool]) -> Double? {
        let positives = relevance.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positives > 0 else { return nil }
        var positivesSoFar = 0
        var sum = 0.0
        for (position, index) in argsortDescending(shifted).enumerated() where relevance[index] {
            positivesSoFar += 1
            sum += Double(positivesSoFar) / Double(position + 1)
        }
        return sum / Double(positives)
    }

    /// The upstream on ranks of L = −weight · precision for one list, read off one argsort of the shifted scores:
    /// weight · rk⁺/(rk² · #pos) for positives, 0 for negatives; with the sorted order and the list's precision
    /// term.
    ///
    /// - Precondition: the list has a positive.
    static func rankUpstream(
        shifted: [Double], relevance: [Bool], weight: Double
    )
        -> (order: [Int], precision: Double, upstream: [Double])
    {
        let positives = relevance.reduce(0) { $0 + ($1 ? 1 : 0) }
        let order = argsortDescending(shifted)
        let positiveCount = Double(positives)
        var upstream = [Double](repeating: 0, count: shifted.count)
        var positivesSoFar = 0
        var sum = 0.0
        for (position, index) in order.enumerated() where relevance[index] {
            positivesSoFar += 1
            let rankAll = Double(position + 1)
            let rankPositive = Double(positivesSoFar)
            sum += rankPositive / rankAll
            upstream[index] = weight * rankPositive / (rankAll * rankAll * positiveCount)
        }
        return (order, sum / Double(positives), upstream)
    }

    /// The reference `backward`: the list's precision term and dL/dỹ for L = −weight · precision (+ constants),
    /// by two full rankings: `rankUpstream`, then `rankBackward`. Two argsorts in all.
    ///
    /// - Precondition: the list has a positive.
    static func referenceBackward(
        shifted: [Double], relevance: [Bool], weight: Double, lambda: Double
    ) -> (precision: Double, gradient: [Double]) {
        let (order, precision, upstream) = rankUpstream(shifted: shifted, relevance: relevance, weight: weight)
        let gradient = rankBackward(
            scores: shifted, ranks: ranks(fromOrder: order), upstream: upstream, lambda: lambda)
        return (precision, gradient)
    }
}
