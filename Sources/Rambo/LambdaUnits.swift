// What λ means: paper units vs the official code's units, and the ICLR scale rule (PAPER.md §2.2–2.3, §7.1).
//
// Paper (this package): integer ranks rk ∈ {1...n}, y_λ = y + λ_paper · dL/drk, dL/dy = −(rk − rk_λ)/λ_paper.
// Official code (`TrueRanker`): normalised ranks rk_n = rk / n (its (rank₀ + 1)/L with 0-based rank₀ and
// L = n the sequence length), upstream g_n = dL/drk_n, y' = y + λ_code · g_n,
// dL/dy = −(rk_n − rk_n')/(λ_code + 1e-8).
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

/// The official code's upstream dL/drk_n for a paper upstream dL/drk: g_n = n · dL/drk.
@inlinable
public func codeUpstream(fromPaper upstream: [Double]) -> [Double] {
    let n = Double(upstream.count)
    return upstream.map { $0 * n }
}

/// The official code's normalised ranks rk_n = rk / n ∈ {1/n, ..., 1} (rank 1 ↦ 1/n for the highest score).
///
/// - Complexity: O(n log n).
public func normalisedRank(_ scores: [Double]) -> [Double] {
    OfficialRanking.normalisedRanks(scores)
}

/// The official code's backward (`TrueRanker.backward`), quirks included: normalised ranks, λ in code units,
/// and the +1e-8 in the denominator:
///
///     y'    = y + λ_code · g_n,     g_n = dL/drk_n
///     dL/dy = −(rk_n(y) − rk_n(y')) / (λ_code + 1e-8)
///
/// Ties follow this package's stable rule (the official code breaks them arbitrarily).
///
/// - Precondition: valid inputs (see `validateRankBackward`).
/// - Complexity: O(n log n).
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
