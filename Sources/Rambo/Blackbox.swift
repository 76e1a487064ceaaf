// The blackbox backward pass for ranking (paper Eq. 10, Algorithm 1), and how to choose its λ.

import RankKernel

/// dL/dy for y ↦ rk(y), given dL/drk: perturb the scores along the incoming gradient, rank again, and take the
/// difference of the two rankings:
///
///     y_λ   = y + λ · dL/drk
///     dL/dy = −(rk(y) − rk(y_λ)) / λ
///
/// in integer-rank units (ranks 1...n). This is the exact gradient of the piecewise-affine interpolation f_λ of
/// the linearised loss (ICLR Theorem 1, Eq. 5), and the ranking instance of the generic blackbox backward of a
/// linear solver (ranking minimises ⟨scores, π⟩, Proposition 1, so no sign flip is needed); RamboTeaching shows
/// both (`Interpolation`, `RankingSolver`). RamboOfficial has the authors' normalised-rank version
/// (`officialRankBackward`), RamboAutodiff the reverse-mode AD layer (`BlackboxRank`).
///
/// - Parameters:
///   - scores: y, finite.
///   - ranks: rk(y) if the forward pass already computed it; recomputed when `nil`.
///   - upstream: dL/drk, one entry per score, finite.
///   - lambda: λ > 0, the interpolation strength, in units of score per unit of dL/drk.
/// - Precondition: the inputs are valid (see `validateRankBackward`).
/// - Complexity: one extra ranking, O(n) (the radix kernel).
public func rankBackward(scores: [Double], ranks: [Int]? = nil, upstream: [Double], lambda: Double) -> [Double] {
    // The radix kernel computes the perturbed keys y + λ·upstream on the fly and writes
    // −(rk(y) − rk(y_λ))/λ with the same arithmetic (RankKernel's RankingWorkspace).
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
    try validateLambda(lambda)
}

/// `rankBackward` after validating its inputs: the throwing entry point.
///
/// - Throws: `RamboError` naming `scores`, `upstream` or `lambda`.
public func checkedRankBackward(scores: [Double], upstream: [Double], lambda: Double) throws -> [Double] {
    try validateRankBackward(scores: scores, upstream: upstream, lambda: lambda)
    return rankBackward(scores: scores, upstream: upstream, lambda: lambda)
}

/// Checks that λ is finite and strictly positive.
///
/// - Parameters:
///   - lambda: the interpolation strength λ to check, in whatever rank units the caller uses.
///   - name: how the caller calls λ, used in the error.
/// - Throws: `RamboError.outOfRange` naming it.
public func validateLambda(_ lambda: Double, name: String = "lambda") throws {
    guard lambda.isFinite, lambda > 0 else {
        throw RamboError.outOfRange(name: name, value: lambda, allowed: "finite and > 0")
    }
}

// MARK: Choosing λ

/// The course's default λ for lists of `length` items, in paper units: λ = n/2, which is the authors' default
/// λ_code = 0.5 on ranks normalised by n (RamboOfficial's `paperLambda(fromCode: 0.5, length:)`). Chapter 04
/// teaches it next to the ICLR scale rule (`scaleRuleLambda`); a chapter that departs from it says why and prints
/// what it would give.
///
/// - Precondition: `length` ≥ 1.
@inlinable
public func defaultLambda(length: Int) -> Double {
    precondition(length >= 1, "defaultLambda: length must be ≥ 1")
    return 0.5 * Double(length)
}

/// The ICLR scale rule (App. A.1): pick λ so that both terms of w' = w + λ · dL/dy have the same order of
/// magnitude, λ ≈ mean|w| / mean|dL/dy|. The result is in the units of `rankBackward` (paper units) when
/// `upstream` is dL/drk on integer ranks.
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
