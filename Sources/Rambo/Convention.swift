// Conventions: the paper's definitions (`paper`) or the authors' PyTorch code, quirks included (`official`).
//
// The chapters train with `paper`. `official` exists so that a port of martius-lab/blackbox-backprop
// (ranking.py `TrueRanker`, recall.py `RecallLoss` / `BatchMemoryRecallLoss`, mAP.py `MapLoss`) can be checked
// number for number. Every difference below is implemented, and each loss repeats the ones that concern it.
//
// | # | what                     | `paper`                                          | `official` (authors' code)                                        |
// |---|--------------------------|--------------------------------------------------|-------------------------------------------------------------------|
// | 1 | ranks                    | integer, 1...n                                   | normalised, rk/L with L = list length (`(argsort(argsort)+1)/L`)  |
// | 2 | blackbox backward        | −(rk − rk_λ)/λ, integer ranks (`rankBackward`)   | −(rk/L − rk_λ/L)/(λ + 1e-8), λ in normalised units                |
// | 3 | λ units                  | λ_paper                                          | λ_code = λ_paper / L (same perturbation, same gradient to ~1e-8)  |
// | 4 | recall r_i               | rk_i − rk⁺_i (a count of negatives)              | (rk_i − rk⁺_i)/L · rows: correct only for square matrices         |
// | 5 | recall averaging         | mean over queries with a positive of the mean    | Σ over all positive (row, item) pairs / total positives (micro)   |
// |   |                          | over that query's positives (macro)              |                                                                   |
// | 6 | recall memory            | stored scores are extra ranked items (columns)   | stored score rows are extra queries (rows, `BatchMemoryRecallLoss`)|
// | 7 | recall self-pair         | the retrieval form drops the diagonal            | left to the caller (the plain `[Q][n]` form is what the code sees) |
// | 8 | AP denominator           | #positives                                       | #positives + 1e-5 (`epsilon`), so 1 − AP is ~1e-5·AP/#pos too big |
// | 9 | mAP margin               | deterministic ±α/2 (Eq. 14)                      | α·|ξ|·(t − 0.5), ξ ~ N(0,1) per entry; here |ξ| ≡ 1 (= paper's)   |
// |   |                          |                                                  | unless a generator is passed (`MAPLoss.valueAndGradient(…using:)`)|
// |10 | MapLoss τ = 0            | no memory                                        | the code raises IndexError; here τ = 0 means no memory in both     |
// |11 | no positive anywhere     | loss 0, zero gradient                            | the code gives 0/0 = NaN; here loss 0, zero gradient in both       |
// |12 | ties                     | stable: the earlier index ranks higher           | torch's unstable argsort; here the stable rule in both             |
// |13 | precision                | Float64                                          | the code ranks in float32; here Float64 in both                    |
//
// Shared by both: rk(y⁺) (the rank among positives) is a constant with no gradient; the interclass term of the
// mAP loss uses the current batch only; classes with no positive in batch + memory are dropped; memory entries
// take part in the ranking (and in the perturbed ranking of the backward pass) but get no gradient.
//
// Order of floating-point operations in `official`: ranks are normalised first (Double(rk)/Double(L)), then
// subtracted or divided, as the code does. Sums run sequentially in row-major order; torch's reductions may
// differ in the last bits.

/// Which definitions a loss follows: the paper's equations or the authors' PyTorch code. See the table at the top
/// of `Convention.swift` for every difference.
public enum Convention: String, Sendable, CaseIterable, Codable {
    /// The paper's equations (integer ranks, λ_paper, macro averages, exact AP). The chapters use this.
    case paper
    /// The authors' code (martius-lab/blackbox-backprop), quirks included, for checking ports of it.
    case official
}

/// The ranking helpers of the `official` convention (ranking.py), in Float64.
public enum OfficialRanking {
    /// The `+1e-8` that `TrueRanker.backward` adds to λ.
    public static let lambdaEpsilon = 1e-8
    /// The `epsilon = 1e-5` that `MapLoss` adds to the number of positives of a class.
    public static let positivesEpsilon = 1e-5

    /// `rank_normalised`: (0-based descending rank + 1) / L = rk(y)_i / L, with our stable tie rule.
    ///
    /// - Complexity: O(n log n).
    ///
    /// λ conversions between the two conventions are in `LambdaUnits.swift` (`codeLambda`, `paperLambda`).
    public static func normalisedRanks(_ scores: [Double]) -> [Double] {
        let length = Double(scores.count)
        return rank(scores).map { Double($0) / length }
    }

    /// `TrueRanker.backward`: y' = y + λ_code · g with g = dL/d(normalised rank), and
    /// dL/dy = −(rk(y)/L − rk(y')/L) / (λ_code + 1e-8).
    ///
    /// Equals `rankBackward(scores:upstream: g/L, lambda: λ_code·L)` · λ_code/(λ_code + 1e-8) whenever the two
    /// perturbations rank alike (always, up to rounding of λ·g): λ_paper = λ_code · L.
    ///
    /// - Parameters:
    ///   - scores: y, finite.
    ///   - ranks: rk(y) (integer) if already known; recomputed when `nil`.
    ///   - upstream: g = dL/d(rk/L), one per score.
    ///   - lambda: λ_code > 0, in normalised-rank units.
    /// - Complexity: one ranking, O(n log n).
    public static func rankBackward(scores: [Double], ranks: [Int]? = nil, upstream: [Double], lambda: Double)
        -> [Double]
    {
        let forward = ranks ?? rank(scores)
        var perturbed = scores
        for i in perturbed.indices { perturbed[i] += lambda * upstream[i] }
        let backward = rank(perturbed)
        let length = Double(scores.count)
        let denominator = lambda + lambdaEpsilon
        var gradient = [Double](repeating: 0, count: scores.count)
        for i in gradient.indices {
            gradient[i] = -(Double(forward[i]) / length - Double(backward[i]) / length) / denominator
        }
        return gradient
    }
}
