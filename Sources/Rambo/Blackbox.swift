// The blackbox backward pass for ranking (paper Eq. 10, Algorithm 1).

/// dL/dy for y ↦ rk(y), given dL/drk: perturb the scores along the incoming gradient, rank again, and take the
/// difference of the two rankings:
///
///     y_λ   = y + λ · dL/drk
///     dL/dy = −(rk(y) − rk(y_λ)) / λ
///
/// in integer-rank units (ranks 1...n). This is the exact gradient of the piecewise-affine interpolation f_λ of
/// the linearised loss (ICLR Theorem 1, Eq. 5; see `Interpolation`), and it is `RankingSolver().backward`, the
/// ranking instance of the generic blackbox backward (ranking minimises ⟨scores, π⟩, Proposition 1, so no sign
/// flip is needed). For the official code's normalised-rank version see `officialRankBackward`; for reverse-mode
/// AD see `BlackboxRank`.
///
/// - Parameters:
///   - scores: y, finite.
///   - ranks: rk(y) if the forward pass already computed it; recomputed when `nil`.
///   - upstream: dL/drk, one entry per score, finite.
///   - lambda: λ > 0, the interpolation strength, in units of score per unit of dL/drk.
/// - Precondition: the inputs are valid (see `validateRankBackward`).
/// - Complexity: one extra ranking, O(n log n).
public func rankBackward(scores: [Double], ranks: [Int]? = nil, upstream: [Double], lambda: Double) -> [Double] {
    // The radix kernel computes the perturbed keys y + λ·upstream on the fly and writes
    // −(rk(y) − rk(y_λ))/λ with the same arithmetic (RadixSort.swift).
    var workspace = RankingWorkspace()
    return workspace.rankBackward(scores: scores, ranks: ranks, upstream: upstream, lambda: lambda)
}

/// Checks the inputs of `rankBackward`: equal lengths, finite values, λ > 0 and finite.
///
/// - Throws: `RamboError` naming the offending argument.
public func validateRankBackward(scores: [Double], upstream: [Double], lambda: Double) throws {
    try validateScores(scores, name: "scores")
    try validateScores(upstream, name: "upstream")
    guard upstream.count == scores.count else {
        throw RamboError.lengthMismatch(name: "upstream", expected: scores.count, actual: upstream.count)
    }
    guard lambda.isFinite, lambda > 0 else {
        throw RamboError.outOfRange(name: "lambda", value: lambda, allowed: "finite and > 0")
    }
}

/// `rankBackward` after validating its inputs: the throwing entry point.
///
/// - Throws: `RamboError` naming `scores`, `upstream` or `lambda`.
public func checkedRankBackward(scores: [Double], upstream: [Double], lambda: Double) throws -> [Double] {
    try validateRankBackward(scores: scores, upstream: upstream, lambda: lambda)
    return rankBackward(scores: scores, upstream: upstream, lambda: lambda)
}
