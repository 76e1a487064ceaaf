// RamboOfficial: what the authors' PyTorch code computes, quirks included (the `official` convention of the
// reference), beside Rambo's paper definitions (`paper`).
//
// The chapters train with Rambo. This module exists so that a port of martius-lab/blackbox-backprop
// (ranking.py `TrueRanker`, recall.py `RecallLoss` / `BatchMemoryRecallLoss`, mAP.py `MapLoss`) can be checked
// number for number: `normalisedRank`, `officialRankBackward`, `OfficialRecallLoss`, `OfficialAPLoss` and
// `OfficialMAPLoss` are the authors' counterparts of Rambo's `rank`, `rankBackward`, `RecallLoss`, `APLoss` and
// `MAPLoss`. Every difference below is implemented, and each loss repeats the ones that concern it.
//
// | # | what                     | `paper`                                          | `official` (authors' code)                                        |
// |---|--------------------------|--------------------------------------------------|-------------------------------------------------------------------|
// | 1 | ranks                    | integer, 1...n                                   | normalised, Float32(rk)/Float32(L), L = list length, promoted to   |
// |   |                          |                                                  | Float64 where they meet Float64 tensors (`(rank + 1).float() / n`) |
// | 2 | ties                     | stable: the earlier index ranks higher           | the later index ranks higher (torch's CPU sort is stable for rows  |
// |   |                          |                                                  | of ≤ 16 items; `argsort(argsort(y)).flip`); undetermined above 16  |
// | 3 | blackbox backward        | −(rk − rk_λ)/λ, Float64                          | Float32: −(rk/L − rk_λ/L)/Float32(λ + 1e-8), y_λ = y + Float32(λ·g)|
// | 4 | λ units                  | λ_paper                                          | λ_code = λ_paper / L (same perturbation, same gradient to ~1e-8)  |
// | 5 | recall r_i               | rk_i − rk⁺_i (a count of negatives)              | Float32(rk_i/L − rk⁺_i/L) · rows: correct only for square inputs  |
// | 6 | recall averaging         | mean over queries with a positive of the mean    | Σ over all positive (row, item) pairs / total positives (micro)   |
// |   |                          | over that query's positives (macro)              |                                                                   |
// | 7 | recall memory            | stored scores are extra ranked items (columns)   | stored score rows are extra queries (rows, `BatchMemoryRecallLoss`)|
// | 8 | recall self-pair         | the retrieval form drops the diagonal            | left to the caller (the plain `[Q][n]` form is what the code sees) |
// | 9 | AP ratio, denominator    | rk⁺/rk in Float64, / #positives                  | Float32(rk⁺/L)/Float32(rk/L) in Float32, / (#positives + 1e-5)     |
// |10 | mAP margin               | deterministic ±α/2 (Eq. 14)                      | α·|ξ|·(t − 0.5), ξ ~ N(0,1) per entry; here |ξ| ≡ 1 (= paper's)   |
// |   |                          |                                                  | unless a generator is passed (`valueAndGradient(…using:)`)        |
// |11 | MapLoss τ = 0            | no memory                                        | the code raises IndexError; τ = 0 is a fresh `batch_memory=1`      |
// |12 | no positive              | loss 0, zero gradient                            | NaN: recall 0/0 (its gradient comes from an all-NaN perturbation, |
// |   |                          |                                                  | every item tied); AP/mAP a mean over no class. MapLoss computes    |
// |   |                          |                                                  | both terms always, so a batch without a positive gives NaN for any |
// |   |                          |                                                  | β (0 · NaN); the NaN term's gradient is zero                      |
//
// Shared by both: rk(y⁺) (the rank among positives) is a constant with no gradient; the interclass term of the
// mAP loss uses the current batch only; classes with no positive in batch + memory are dropped; memory entries
// take part in the ranking (and in the perturbed ranking of the backward pass) but get no gradient.
//
// Order of floating-point operations in `official`: the authors' own, operation by operation, in Float32 where
// their tensors are Float32 (ranks, rank differences, the AP ratio, the backward) and Float64 elsewhere. Sums run
// sequentially in index order; torch's reductions may differ in the last bit of a Float64. The frozen answers of
// the authors' code (Tests/ReferenceTests/Fixtures/authors-official.json, `make oracle`) are the truth this is
// tested against.

import Rambo

/// The ranking arithmetic of the `official` convention (ranking.py), reproduced bit for bit: Float32 normalised
/// ranks, the later-index tie rule and the Float32 backward. The public spellings are `normalisedRank` and
/// `officialRankBackward` (below); the losses call these directly.
public enum OfficialRanking {
    /// The `+1e-8` that `TrueRanker.backward` adds to λ.
    public static let lambdaEpsilon = 1e-8
    /// The `epsilon = 1e-5` that `MapLoss` adds to the number of positives of a class.
    public static let positivesEpsilon = 1e-5
    /// The longest row whose ties torch's CPU sort keeps in index order; above it the authors' tie order is not
    /// determined, so no official vector holds an exact tie in a longer list.
    public static let determinedTieLength = 16

    /// Which lists the official ranking met with exact ties, while `audit` is set (the vector generator uses it
    /// to flag tie-dependent cases and to refuse ties in lists longer than `determinedTieLength`).
    /// Task-local: only the task that set it records into it (worker threads without that task see `nil`).
    public final class TieAudit: @unchecked Sendable {
        /// The length of the longest list with an exact tie (0: none).
        public private(set) var longestTiedList = 0
        public init() {}
        func record(_ length: Int) { longestTiedList = max(longestTiedList, length) }
    }

    /// Set with `OfficialRanking.$audit.withValue(TieAudit()) { ... }` to record ties.
    @TaskLocal public static var audit: TieAudit?

    /// The 1-based descending ranks of the authors' code: rk_i = 1 + #{j : y_j > y_i} + #{j > i : y_j = y_i}
    /// (ties: the later index ranks higher). Scores must be finite; the recall loss ranks its all-NaN
    /// perturbation (no positive anywhere) as the all-tied list it is to torch's sort.
    ///
    /// - Complexity: O(n) (the radix ranking of the reversed list).
    static func ranks(_ scores: [Double]) -> [Int] {
        let n = scores.count
        let reversed = rank(scores.reversed())
        var result = [Int](repeating: 0, count: n)
        for i in 0..<n { result[i] = reversed[n - 1 - i] }
        if let audit, n > 1 {
            var sorted = scores
            sorted.sort()
            if zip(sorted, sorted.dropFirst()).contains(where: { $0 == $1 }) { audit.record(n) }
        }
        return result
    }

    /// The authors' ranks of `shifted` (`ranks`) and, for each positive, its rank among the positives in that
    /// order (0 for a negative): the two rankings `MapLoss` and `RecallLoss` take of one list. O(n).
    static func ranksAmongAllAndPositives(_ shifted: [Double], relevance: [Bool]) -> (all: [Int], positives: [Int]) {
        let n = shifted.count
        let all = ranks(shifted)
        var order = [Int](repeating: 0, count: n)
        for i in 0..<n { order[all[i] - 1] = i }
        var positives = [Int](repeating: 0, count: n)
        var count = 0
        for index in order where relevance[index] {
            count += 1
            positives[index] = count
        }
        return (all, positives)
    }

    /// `rank_normalised`: Float32(rk)/Float32(L), as `(rank + 1).float() / n` computes it.
    @inline(__always)
    static func normalised(_ rank: Int, _ length: Int) -> Float { Float(rank) / Float(length) }

    /// `rank_normalised(y)` promoted to Float64.
    static func normalisedRanks(_ scores: [Double]) -> [Double] {
        ranks(scores).map { Double(normalised($0, scores.count)) }
    }

    /// `TrueRanker.backward`: y' = y + Float32(λ)·Float32(g) (Float32 product, Float64 sum),
    /// dL/dy = −(rk/L − rk'/L) / Float32(λ + 1e-8) in Float32, promoted to Float64.
    ///
    /// - Parameters:
    ///   - scores: y, finite.
    ///   - ranks: rk(y) by the official tie rule, if already known.
    ///   - upstream: g = dL/d(rk/L), one per score (rounded to Float32 as torch's autograd does).
    ///   - lambda: λ_code > 0.
    /// - Complexity: one ranking, O(n).
    static func rankBackward(
        scores: [Double], ranks given: [Int]? = nil, upstream: [Double], lambda: Double
    )
        -> [Double]
    {
        let forward = given ?? ranks(scores)
        let step = Float(lambda)
        var perturbed = scores
        for i in perturbed.indices { perturbed[i] += Double(step * Float(upstream[i])) }
        return gradient(forward: forward, backward: ranks(perturbed), lambda: lambda)
    }

    /// −(rk/L − rk'/L) / Float32(λ + 1e-8) in Float32, promoted to Float64.
    static func gradient(forward: [Int], backward: [Int], lambda: Double) -> [Double] {
        let length = forward.count
        let denominator = Float(lambda + lambdaEpsilon)
        return forward.indices.map { i in
            Double(-(normalised(forward[i], length) - normalised(backward[i], length)) / denominator)
        }
    }
}

/// The official code's normalised ranks (`rank_normalised`): rk_n = Float32(rk)/Float32(n) ∈ {1/n, ..., 1},
/// promoted to Float64, with the authors' tie order (the later index ranks higher; torch's CPU sort fixes it
/// for lists of at most 16 items, `OfficialRanking.determinedTieLength`). Rank 1 ↦ 1/n for the highest score.
///
/// This and `officialRankBackward` are the one public spelling of the official ranking; `codeLambda`,
/// `paperLambda` and `codeUpstream` convert between the units.
///
/// - Precondition: every score is finite.
/// - Complexity: O(n).
public func normalisedRank(_ scores: [Double]) -> [Double] {
    OfficialRanking.normalisedRanks(scores)
}

/// The official code's backward (`TrueRanker.backward`), quirks included: normalised Float32 ranks, λ in code
/// units, the +1e-8 in the denominator, and Float32 arithmetic where the code's tensors are Float32:
///
///     y'    = y + Float32(λ_code) · Float32(g_n),     g_n = dL/drk_n
///     dL/dy = −(rk_n(y) − rk_n(y')) / Float32(λ_code + 1e-8)      (in Float32, then promoted to Float64)
///
/// Ties: the later index ranks higher (see `normalisedRank`). Equals the paper's `rankBackward` with
/// λ_paper = n·λ_code and upstream g_n/n, times λ_code/(λ_code + 1e-8), up to Float32 rounding (≈ 6e-8 relative).
///
/// - Precondition: valid inputs (see `validateRankBackward`).
/// - Complexity: O(n).
public func officialRankBackward(scores: [Double], upstream: [Double], lambda: Double) -> [Double] {
    OfficialRanking.rankBackward(scores: scores, upstream: upstream, lambda: lambda)
}

/// `officialRankBackward` after validating its inputs.
///
/// - Throws: `RamboError` naming `scores`, `upstream` or `lambda`.
public func checkedOfficialRankBackward(scores: [Double], upstream: [Double], lambda: Double) throws -> [Double] {
    try validateRankBackward(scores: scores, upstream: upstream, lambda: lambda)
    return officialRankBackward(scores: scores, upstream: upstream, lambda: lambda)
}
