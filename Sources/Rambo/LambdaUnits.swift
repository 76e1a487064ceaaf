// What λ means: paper units vs the official code's units, and the scale rule of the ICLR paper (Vlastelica et al.,
// "Differentiation of Blackbox Combinatorial Solvers", ICLR 2020); the units' differences: docs/paper-vs-code.md.
//
// Paper (this package): integer ranks rk ∈ {1...n}, y_λ = y + λ_paper · dL/drk, dL/dy = −(rk − rk_λ)/λ_paper.
// Official code (`TrueRanker`): normalised ranks rk_n = rk / n (its (rank₀ + 1)/L with 0-based rank₀ and
// L = n the sequence length), upstream g_n = dL/drk_n, y' = y + λ_code · g_n,
// dL/dy = −(rk_n − rk_n')/(λ_code + 1e-8), in Float32 (see `officialRankBackward`).
// For the same loss, dL/drk = g_n / n, so y + λ_code · g_n = y + (n λ_code) · dL/drk and
//     −(rk_n − rk_n')/λ_code = −(rk − rk')/(n λ_code):
// the two agree exactly when λ_paper = n · λ_code, apart from the +1e-8, which makes the code's gradient
// smaller by the factor λ_code/(λ_code + 1e-8), a relative difference of about 1e-8/λ_code.
// So a λ quoted for the code is only meaningful together with the list length n.

/// The official code's λ for a paper λ on lists of `length` items: λ_code = λ_paper / n.
///
/// - Precondition: `length` ≥ 1.
@inlinable
public func codeLambda(fromPaper lambda: Double, length: Int) -> Double {
    precondition(length >= 1, "codeLambda: length must be ≥ 1")
    return lambda / Double(length)
}

/// The paper's λ for an official-code λ on lists of `length` items: λ_paper = n · λ_code.
///
/// - Precondition: `length` ≥ 1.
@inlinable
public func paperLambda(fromCode lambda: Double, length: Int) -> Double {
    precondition(length >= 1, "paperLambda: length must be ≥ 1")
    return lambda * Double(length)
}

/// The course's default λ for lists of `length` items, in paper units: λ = n/2, which is the authors' default
/// λ_code = 0.5 on normalised ranks (`paperLambda(fromCode: 0.5, length:)`). Chapter 04 teaches it next to the
/// ICLR scale rule (`scaleRuleLambda`); a chapter that departs from it says why and prints what it would give.
///
/// - Precondition: `length` ≥ 1.
@inlinable
public func defaultLambda(length: Int) -> Double {
    paperLambda(fromCode: 0.5, length: length)
}

/// The official code's upstream dL/drk_n for a paper upstream dL/drk: g_n = n · dL/drk.
@inlinable
public func codeUpstream(fromPaper upstream: [Double]) -> [Double] {
    let n = Double(upstream.count)
    return upstream.map { $0 * n }
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

/// The ICLR scale rule (App. A.1): pick λ so that both terms of w' = w + λ · dL/dy have the same order of
/// magnitude, λ ≈ mean|w| / mean|dL/dy|. The result is in the units of `rankBackward` (paper units) when
/// `upstream` is dL/drk on integer ranks; use `codeLambda(fromPaper:length:)` for the official code.
///
/// - Throws: `RamboError` when the arrays are empty, of different lengths or non-finite, or when either mean
///   is zero (the rule gives no finite positive λ).
public func scaleRuleLambda(weights: [Double], upstream: [Double]) throws -> Double {
    guard !weights.isEmpty else { throw RamboError.empty(name: "weights") }
    try validateScores(weights, name: "weights")
    try validateScores(upstream, name: "upstream")
    guard upstream.count == weights.count else {
        throw RamboError.lengthMismatch(name: "upstream", expected: weights.count, actual: upstream.count)
    }
    let meanW = weights.reduce(0) { $0 + abs($1) } / Double(weights.count)
    let meanG = upstream.reduce(0) { $0 + abs($1) } / Double(upstream.count)
    guard meanG > 0 else { throw RamboError.invalid("upstream is all zero; the scale rule needs mean|dL/dy| > 0") }
    guard meanW > 0 else { throw RamboError.invalid("weights are all zero; the scale rule needs mean|w| > 0") }
    return meanW / meanG
}
