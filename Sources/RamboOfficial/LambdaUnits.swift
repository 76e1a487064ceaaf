// What λ means: paper units vs the official code's units (docs/paper-vs-code.md). Rambo has the paper's λ, its
// default and the ICLR scale rule (`defaultLambda`, `scaleRuleLambda`).
//
// Paper (Rambo): integer ranks rk ∈ {1...n}, y_λ = y + λ_paper · dL/drk, dL/dy = −(rk − rk_λ)/λ_paper.
// Official code (`TrueRanker`): normalised ranks rk_n = rk / n (its (rank₀ + 1)/L with 0-based rank₀ and
// L = n the sequence length), upstream g_n = dL/drk_n, y' = y + λ_code · g_n,
// dL/dy = −(rk_n − rk_n')/(λ_code + 1e-8), in Float32 (see `officialRankBackward`).
// For the same loss, dL/drk = g_n / n, so y + λ_code · g_n = y + (n λ_code) · dL/drk and
//     −(rk_n − rk_n')/λ_code = −(rk − rk')/(n λ_code):
// the two agree exactly when λ_paper = n · λ_code, apart from the +1e-8, which makes the code's gradient
// smaller by the factor λ_code/(λ_code + 1e-8), a relative difference of about 1e-8/λ_code.
// So a λ quoted for the code is only meaningful together with the list length n. Rambo's `defaultLambda(length:)`
// is the authors' default λ_code = 0.5 in paper units: `paperLambda(fromCode: 0.5, length:)`.

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
