// Conventions: the paper's definitions (`paper`) or the authors' PyTorch code, quirks included (`official`).
//
// The chapters train with `paper`. `official` exists so that a port of martius-lab/blackbox-backprop
// (ranking.py `TrueRanker`, recall.py `RecallLoss` / `BatchMemoryRecallLoss`, mAP.py `MapLoss`) can be checked
// number for number. Every difference below is implemented, and each loss repeats the ones that concern it.
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
// |   |                          |                                                  | unless a generator is passed (`MAPLoss.valueAndGradient(…using:)`)|
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

/// Which definitions a loss follows: the paper's equations or the authors' PyTorch code. See the table at the top
/// of `Convention.swift` for every difference.
public enum Convention: String, Sendable, CaseIterable, Codable {
    /// The paper's equations (integer ranks, λ_paper, macro averages, exact AP). The chapters use this.
    case paper
    /// The authors' code (martius-lab/blackbox-backprop), quirks included, for checking ports of it.
    case official
}

/// The ranking arithmetic of the `official` convention (ranking.py), reproduced bit for bit: Float32 normalised
/// ranks, the later-index tie rule and the Float32 backward. The public spellings are `normalisedRank` and
/// `officialRankBackward` (LambdaUnits.swift); the losses call these directly.
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
    /// order (0 for a negative): the two rankings `MapLoss` and `RecallLoss` take of one list. O(n log n).
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
