// The AP loss as the authors' mAP.py computes it, with the lists as its classes (Rambo's `APLoss` is the paper's).

import Rambo

/// The AP loss on one or several ranked lists as mAP.py's `MapLoss` computes it with the lists as its classes
/// and its margin noise fixed to |ξ| = 1 (the deterministic ±α/2 of Eq. 14):
/// - ranks normalised by the list length L in Float32, the later index first among ties, and λ in those units
///   (λ_code = λ_paper/L) with +1e-8 in the Float32 backward;
/// - AP = Σ_pos Float32((rk⁺/L)/(rk/L)) / (#pos + 1e-5), so 1 − AP exceeds the exact value by AP·1e-5/#pos
///   (for relevance [1,0,1,0,1]: 0.24444696 instead of 11/45 = 0.24444444);
/// - no positive anywhere: NaN (the code's mean over no class), with a zero gradient.
///
/// Lists without a positive are skipped, as in `APLoss`. Cost: two official rankings per list, O(n) each.
public struct OfficialAPLoss: Sendable {
    /// λ_code > 0, in normalised-rank units.
    public var lambda: Double
    /// α ≥ 0, the margin of Eq. 14.
    public var margin: Double

    public init(lambda: Double, margin: Double = 0) {
        self.lambda = lambda
        self.margin = margin
    }

    /// The loss 1 − AP of one list; NaN when it has no positive.
    ///
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    public func forward(scores: [Double], relevance: [Bool]) -> Double {
        forward(scores: [scores], relevance: [relevance])
    }

    /// The loss of one list and dOuter/dy (all zero when the list has no positive, with a NaN loss).
    ///
    /// - Precondition: valid inputs (see `validate(scores:relevance:)`).
    public func valueAndGradient(
        scores: [Double], relevance: [Bool], upstream: Double = 1
    )
        -> (loss: Double, gradient: [Double])
    {
        let result = valueAndGradient(scores: [scores], relevance: [relevance], upstream: upstream)
        return (result.loss, result.gradient[0])
    }

    /// The loss over several lists: 1 − mean AP over the lists with a positive; NaN when none has one.
    public func forward(scores: [[Double]], relevance: [[Bool]]) -> Double {
        var sum = 0.0
        var valid = 0
        for l in scores.indices where relevance[l].contains(true) {
            let shifted = marginShifted(scores[l], relevance: relevance[l], alpha: margin)
            let list = OfficialAveragePrecision.list(
                shifted: shifted, relevance: relevance[l], weight: nil, lambda: 1)
            sum += list.precision
            valid += 1
        }
        guard valid > 0 else { return .nan }
        return 1 - sum / Double(valid)
    }

    /// The loss over several lists and its gradient (same shape as `scores`; zero with a NaN loss when no list has
    /// a positive).
    public func valueAndGradient(scores: [[Double]], relevance: [[Bool]], upstream: Double = 1) -> LossResult {
        let valid = relevance.reduce(0) { $0 + ($1.contains(true) ? 1 : 0) }
        var gradient = scores.zerosLike
        guard valid > 0 else { return LossResult(loss: .nan, gradient: gradient) }
        let weight = upstream / Double(valid)
        var sum = 0.0
        for l in scores.indices where relevance[l].contains(true) {
            let shifted = marginShifted(scores[l], relevance: relevance[l], alpha: margin)
            let result = OfficialAveragePrecision.list(
                shifted: shifted, relevance: relevance[l], weight: weight, lambda: lambda)
            sum += result.precision
            gradient[l] = result.gradient!
        }
        return LossResult(loss: 1 - sum / Double(valid), gradient: gradient)
    }

    /// Checks the inputs as `APLoss.validate` does: at least one list, each non-empty and finite, relevance of the
    /// same shape, λ > 0 finite, margin ≥ 0 finite.
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], relevance: [[Bool]]) throws {
        try APLoss(lambda: lambda, margin: margin).validate(scores: scores, relevance: relevance)
    }

    /// `validate` for one list.
    public func validate(scores: [Double], relevance: [Bool]) throws {
        try validate(scores: [scores], relevance: [relevance])
    }
}

/// AP keeps no score memory: `memory` must be empty (use `OfficialMAPLoss` to rank against stored batches).
extension OfficialAPLoss: RankLoss {
    public func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) -> Double {
        precondition(memory.isEmpty, "OfficialAPLoss keeps no score memory")
        return forward(scores: scores, relevance: relevance)
    }

    public func valueAndGradient(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double
    )
        -> LossResult
    {
        precondition(memory.isEmpty, "OfficialAPLoss keeps no score memory")
        return valueAndGradient(scores: scores, relevance: relevance, upstream: upstream)
    }

    /// Checks λ and the lists (see `validate(scores:relevance:)`), and that `memory` is empty.
    ///
    /// - Throws: `RamboError.invalid` when `memory` is not empty, else as `validate(scores:relevance:)`.
    public func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch]) throws {
        guard memory.isEmpty else {
            throw RamboError.invalid("OfficialAPLoss keeps no score memory, but memory holds \(memory.count) batches")
        }
        try validate(scores: scores, relevance: relevance)
    }
}

/// The AP term of one list as mAP.py computes it, for `OfficialAPLoss` and `OfficialMAPLoss`.
enum OfficialAveragePrecision {
    /// The official precision term of one shifted list (mAP.py `raw_map_computation`, one class), operation by
    /// operation: rk/L and rk⁺/L in Float32 (official tie order), the ratio rk⁺/rk in Float32, its sum over the
    /// positives in Float64 (index order) divided by #pos + 1e-5; with `weight` (L = −weight · precision) the
    /// gradient: dL/dratio = −weight/(#pos + 1e-5) rounded to Float32, torch's division backward
    /// −grad · ((rk⁺/rk)/rk) in Float32 as the upstream on rk/L, then `OfficialRanking.rankBackward`.
    ///
    /// - Precondition: the list has a positive.
    /// - Complexity: two rankings, O(n).
    static func list(
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
}

/// mAP.py's AP term for `MAPLoss.assemble` (the scores arrive with the margin applied).
struct OfficialListAP: ListAveragePrecision {
    let lambda: Double

    func precision(shifted: [Double], relevance: [Bool]) -> Double? {
        guard relevance.contains(true) else { return nil }
        return OfficialAveragePrecision.list(shifted: shifted, relevance: relevance, weight: nil, lambda: 1).precision
    }

    func backward(shifted: [Double], relevance: [Bool], weight: Double, gradient: inout [Double]) -> Double {
        let result = OfficialAveragePrecision.list(
            shifted: shifted, relevance: relevance, weight: weight, lambda: lambda)
        gradient = result.gradient!
        return result.precision
    }
}
