// The AP loss (paper §4.5–4.6, Eqs. 21–22): 1 − average precision, differentiated through the ranking by the
// blackbox backward pass.

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
/// `official` (mAP.py `MapLoss` with the lists as its classes, its margin noise fixed to 1), computed on the
/// reference path (`APCore.official`), never the fast kernel:
/// - ranks normalised by the list length L in Float32, the later index first among ties, and λ in those units
///   (λ_code = λ_paper/L) with +1e-8 in the Float32 backward;
/// - AP = Σ_pos Float32((rk⁺/L)/(rk/L)) / (#pos + 1e-5), so 1 − AP exceeds the exact value by AP·1e-5/#pos
///   (for relevance [1,0,1,0,1]: 0.24444696 instead of 11/45 = 0.24444444);
/// - no positive anywhere: NaN (the code's mean over no class), with a zero gradient.
///
/// Cost on one list of n items (`FastAPKernel.swift`): forward = one radix argsort + O(n); forward + backward =
/// one radix sort of the whole list (the relevance bit rides in the index), an in-order walk, a sort of the
/// positives only and a merge: negatives get no upstream, so they keep their order in the perturbed ranking.
/// With a reused `RankingWorkspace`, nothing is allocated per call.
public struct APLoss: Sendable {
    /// λ > 0: integer-rank units (`paper`) or normalised-rank units (`official`).
    public var lambda: Double
    /// α ≥ 0, the margin of Eq. 14.
    public var margin: Double
    public var convention: Convention

    public init(lambda: Double, margin: Double = 0, convention: Convention = .paper) {
        self.lambda = lambda
        self.margin = margin
        self.convention = convention
    }

    // MARK: One list

    /// dL/drk for L = 1 − AP of one list (Eqs. 21–22, the rank among positives held constant), on the
    /// margin-shifted scores: rk⁺_i/(|rel| · rk_i²) for positives and 0 for negatives (`official`: the same on
    /// normalised ranks with #pos + 1e-5). This is the upstream the blackbox backward perturbs the scores with;
    /// feed it to `scaleRuleLambda` to choose λ. All zeros when the list has no positive.
    ///
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    /// - Complexity: O(n log n), one argsort.
    public func rankUpstream(scores: [Double], relevance: [Bool]) -> [Double] {
        guard relevance.contains(true) else { return [Double](repeating: 0, count: scores.count) }
        return APCore.rankUpstream(
            shifted: marginShifted(scores, relevance: relevance, alpha: margin),
            relevance: relevance, weight: 1, convention: convention
        ).upstream
    }

    /// The loss 1 − AP of one list; 0 when it has no positive (`official`: NaN).
    ///
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    /// - Complexity: O(n log n), one argsort.
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
    /// - Returns: the loss 1 − AP (0 when the list has no positive, `official` NaN) and the blackbox dOuter/dy,
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
    /// - Returns: the loss 1 − AP (0 when the list has no positive, `official` NaN, with a zero gradient).
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
            return convention == .official ? .nan : 0
        }
        let precision = APCore.backward(
            scores: scores, relevance: relevance, half: margin / 2, weight: upstream, lambda: lambda,
            convention: convention, workspace: &workspace, gradient: &gradient)
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
                scores: scores, relevance: relevance, half: margin / 2,
                convention: convention, workspace: &workspace)
        else { return convention == .official ? .nan : 0 }
        return 1 - precision
    }

    // MARK: Several lists

    /// The loss over several lists: 1 − mean AP over the lists with a positive; 0 when none has one (`official`:
    /// NaN).
    ///
    /// - Complexity: O(Σ n log n).
    public func forward(scores: [[Double]], relevance: [[Bool]]) -> Double {
        var workspace = RankingWorkspace()
        var sum = 0.0
        var valid = 0
        for l in scores.indices {
            if let precision = APCore.precision(
                scores: scores[l], relevance: relevance[l], half: margin / 2,
                convention: convention, workspace: &workspace)
            {
                sum += precision
                valid += 1
            }
        }
        guard valid > 0 else { return convention == .official ? .nan : 0 }
        return 1 - sum / Double(valid)
    }

    /// The loss over several lists and its gradient (same shape as `scores`).
    public func valueAndGradient(scores: [[Double]], relevance: [[Bool]], upstream: Double = 1) -> LossResult {
        let valid = relevance.reduce(0) { $0 + ($1.contains(true) ? 1 : 0) }
        var gradient = scores.zerosLike
        guard valid > 0 else { return LossResult(loss: convention == .official ? .nan : 0, gradient: gradient) }
        let weight = upstream / Double(valid)
        var workspace = RankingWorkspace()
        var sum = 0.0
        for l in scores.indices where relevance[l].contains(true) {
            sum += APCore.backward(
                scores: scores[l], relevance: relevance[l], half: margin / 2, weight: weight, lambda: lambda,
                convention: convention, workspace: &workspace, gradient: &gradient[l])
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
/// The fast path is `RankingWorkspace.averagePrecisionKernel` (FastAPKernel.swift): one radix sort, a sort of
/// the positives and linear passes, for the `paper` convention. `referencePrecision` and `referenceBackward` are
/// the textbook route (two full rankings) that it reproduces bit for bit; they serve the `official` convention,
/// lists too long for the kernel and the tests.
enum APCore {
    /// Σ_pos rk⁺/rk divided by #pos (`paper`) or by #pos + 1e-5 (`official`, normalised ranks) of
    /// `scores` shifted by the margin ±`half`; nil without a positive.
    static func precision(
        scores: [Double], relevance: [Bool], half: Double, convention: Convention, workspace: inout RankingWorkspace
    ) -> Double? {
        guard convention == .paper, scores.count <= RankingWorkspace.maximumAPCount else {
            let shifted = marginShifted(scores, relevance: relevance, alpha: 2 * half)
            return referencePrecision(shifted: shifted, relevance: relevance, convention: convention)
        }
        return scores.withUnsafeBufferPointer { y in
            relevance.withUnsafeBufferPointer { rel in
                workspace.averagePrecisionKernel(
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
        scores: [Double], relevance: [Bool], half: Double, weight: Double, lambda: Double, convention: Convention,
        workspace: inout RankingWorkspace, gradient: inout [Double]
    ) -> Double {
        guard convention == .paper, scores.count <= RankingWorkspace.maximumAPCount else {
            let shifted = marginShifted(scores, relevance: relevance, alpha: 2 * half)
            let result = referenceBackward(
                shifted: shifted, relevance: relevance, weight: weight, lambda: lambda,
                convention: convention)
            gradient = result.gradient
            return result.precision
        }
        gradient.resizeUninitialized(to: scores.count)
        return scores.withUnsafeBufferPointer { y in
            relevance.withUnsafeBufferPointer { rel in
                gradient.withUnsafeMutableBufferPointer { out in
                    workspace.averagePrecisionKernel(
                        scores: y, relevance: rel, half: half, weight: weight,
                        lambda: lambda, gradient: out.baseAddress)!
                }
            }
        }
    }

    /// `precision` of scores that are already shifted (MAPLoss applies its own margin).
    static func precision(shifted: [Double], relevance: [Bool], convention: Convention) -> Double? {
        var workspace = RankingWorkspace()
        return precision(
            scores: shifted, relevance: relevance, half: 0, convention: convention,
            workspace: &workspace)
    }

    /// `backward` of scores that are already shifted (MAPLoss applies its own margin).
    ///
    /// - Precondition: the list has a positive.
    static func backward(
        shifted: [Double], relevance: [Bool], weight: Double, lambda: Double, convention: Convention
    )
        -> (precision: Double, gradient: [Double])
    {
        var workspace = RankingWorkspace()
        var gradient: [Double] = []
        let precision = backward(
            scores: shifted, relevance: relevance, half: 0, weight: weight, lambda: lambda,
            convention: convention, workspace: &workspace, gradient: &gradient)
        return (precision, gradient)
    }

    /// The reference `precision` on shifted scores: argsort, then a walk in sorted order. One argsort.
    static func referencePrecision(shifted: [Double], relevance: [Bool], convention: Convention) -> Double? {
        let positives = relevance.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positives > 0 else { return nil }
        if convention == .official {
            return official(shifted: shifted, relevance: relevance, weight: nil, lambda: 1).precision
        }
        let order = argsortDescending(shifted)
        let length = Double(shifted.count)
        var positivesSoFar = 0
        var sum = 0.0
        for (position, index) in order.enumerated() where relevance[index] {
            positivesSoFar += 1
            switch convention {
            case .paper: sum += Double(positivesSoFar) / Double(position + 1)
            case .official: sum += (Double(positivesSoFar) / length) / (Double(position + 1) / length)
            }
        }
        return divide(sum, positives: positives, convention: convention)
    }

    /// The upstream on ranks of L = −weight · precision for one list, read off one argsort of the shifted scores:
    /// weight · rk⁺/(rk² · #pos) (`paper`) or weight · (rk⁺/L)/((rk/L)² · (#pos + 1e-5)) on normalised ranks
    /// (`official`) for positives, 0 for negatives; with the sorted order and the list's precision term.
    ///
    /// - Precondition: the list has a positive.
    static func rankUpstream(
        shifted: [Double], relevance: [Bool], weight: Double, convention: Convention
    )
        -> (order: [Int], precision: Double, upstream: [Double])
    {
        let positives = relevance.reduce(0) { $0 + ($1 ? 1 : 0) }
        let order = argsortDescending(shifted)
        let length = Double(shifted.count)
        let positiveCount =
            convention == .paper
            ? Double(positives) : Double(positives) + OfficialRanking.positivesEpsilon
        var upstream = [Double](repeating: 0, count: shifted.count)
        var positivesSoFar = 0
        var sum = 0.0
        for (position, index) in order.enumerated() where relevance[index] {
            positivesSoFar += 1
            switch convention {
            case .paper:
                let rankAll = Double(position + 1)
                let rankPositive = Double(positivesSoFar)
                sum += rankPositive / rankAll
                upstream[index] = weight * rankPositive / (rankAll * rankAll * positiveCount)
            case .official:
                let rankAll = Double(position + 1) / length
                let rankPositive = Double(positivesSoFar) / length
                sum += rankPositive / rankAll
                upstream[index] = weight * rankPositive / (rankAll * rankAll) / positiveCount
            }
        }
        return (order, divide(sum, positives: positives, convention: convention), upstream)
    }

    /// The reference `backward`: the list's precision term and dL/dỹ for L = −weight · precision (+ constants),
    /// by two full rankings: `rankUpstream`, then the blackbox backward of the convention. Two argsorts in all.
    ///
    /// - Precondition: the list has a positive.
    static func referenceBackward(
        shifted: [Double], relevance: [Bool], weight: Double, lambda: Double, convention: Convention
    ) -> (precision: Double, gradient: [Double]) {
        if convention == .official {
            let result = official(shifted: shifted, relevance: relevance, weight: weight, lambda: lambda)
            return (result.precision, result.gradient!)
        }
        let (order, precision, upstream) = rankUpstream(
            shifted: shifted, relevance: relevance, weight: weight,
            convention: convention)
        let ranks = ranks(fromOrder: order)
        let gradient: [Double]
        switch convention {
        case .paper:
            gradient = rankBackward(scores: shifted, ranks: ranks, upstream: upstream, lambda: lambda)
        case .official:
            gradient = OfficialRanking.rankBackward(scores: shifted, ranks: ranks, upstream: upstream, lambda: lambda)
        }
        return (precision, gradient)
    }

    /// The official precision term of one shifted list (mAP.py `raw_map_computation`, one class), operation by
    /// operation: rk/L and rk⁺/L in Float32 (official tie order), the ratio rk⁺/rk in Float32, its sum over the
    /// positives in Float64 (index order) divided by #pos + 1e-5; with `weight` (L = −weight · precision) the
    /// gradient: dL/dratio = −weight/(#pos + 1e-5) rounded to Float32, torch's division backward
    /// −grad · ((rk⁺/rk)/rk) in Float32 as the upstream on rk/L, then `OfficialRanking.rankBackward`.
    ///
    /// - Precondition: the list has a positive.
    /// - Complexity: two rankings, O(n).
    static func official(
        shifted: [Double], relevance: [Bool], weight: Double?, lambda: Double
    )
        -> (precision: Double, gradient: [Double]?)
    {
        let n = shifted.count
        let (ranks, within) = OfficialRanking.ranksAmongAllAndPositives(shifted, relevance: relevance)
        let positives = within.max() ?? 0
        var ratios = [Float](repeating: 0, count: n)
        var sum = 0.0
        for i in 0..<n where relevance[i] {
            ratios[i] = OfficialRanking.normalised(within[i], n) / OfficialRanking.normalised(ranks[i], n)
            sum += Double(ratios[i])
        }
        let denominator = Double(positives) + OfficialRanking.positivesEpsilon
        guard let weight else { return (sum / denominator, nil) }
        let dRatio = Float(-weight / denominator)
        var upstream = [Double](repeating: 0, count: n)
        for i in 0..<n where relevance[i] {
            upstream[i] = Double(-dRatio * (ratios[i] / OfficialRanking.normalised(ranks[i], n)))
        }
        return (
            sum / denominator,
            OfficialRanking.rankBackward(scores: shifted, ranks: ranks, upstream: upstream, lambda: lambda)
        )
    }

    static func divide(_ sum: Double, positives: Int, convention: Convention) -> Double {
        switch convention {
        case .paper: return sum / Double(positives)
        case .official: return sum / (Double(positives) + OfficialRanking.positivesEpsilon)
        }
    }
}
