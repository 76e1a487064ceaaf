import Support

// The score margin α (paper §4.4, Eq. 14) and the noisy variant of the official mAP code.

/// The deterministic margin of Eq. 14: negatives move up by α/2, positives down by α/2,
///
///     ỹ_i = y_i + α/2  if i is irrelevant,    ỹ_i = y_i − α/2  if i is relevant,
///
/// so a positive must beat a negative by more than α before the ranking (rk_α(y) = rk(ỹ), Eq. 15) says so.
/// The shift is additive: dL/dy = dL/dỹ.
///
/// - Precondition: `relevance.count == scores.count`.
/// - Complexity: O(n).
public func marginShifted(_ scores: [Double], relevance: [Bool], alpha: Double) -> [Double] {
    var shifted = scores
    applyMargin(&shifted, relevance: relevance, alpha: alpha)
    return shifted
}

/// In-place form of `marginShifted(_:relevance:alpha:)`: no allocation.
@inlinable
public func applyMargin(_ scores: inout [Double], relevance: [Bool], alpha: Double) {
    let half = alpha / 2
    for i in scores.indices { scores[i] += relevance[i] ? -half : half }
}

/// The margin of the official `MapLoss` (mAP.py): `scores − α · |ξ| · (t − 0.5)` with ξ ~ N(0, 1) drawn afresh
/// for every entry, so positives move down by α|ξ|/2 and negatives up by α|ξ|/2. Not in the paper: the expected
/// shift is α·√(2/π)/2 ≈ 0.399·α instead of α/2, and the margin is random (docs/paper-vs-code.md).
///
/// Draws one `nextGaussian()` per entry, in index order, from `generator` (seed it for a reproducible run; the
/// draws cannot match torch's generator).
///
/// - Precondition: `relevance.count == scores.count`.
/// - Complexity: O(n).
public func noisyMarginShifted(
    _ scores: [Double], relevance: [Bool], alpha: Double, using generator: inout some RandomNumberGenerator
) -> [Double] {
    var shifted = scores
    for i in shifted.indices {
        let deviation = abs(generator.nextGaussian()) * (relevance[i] ? 0.5 : -0.5)
        shifted[i] -= alpha * deviation
    }
    return shifted
}

/// The official margin with explicit factors: `scores − α · noise · (t − 0.5)`, `noise[i]` standing for |ξ_i|.
/// With every factor 1 this is the deterministic margin of Eq. 14 exactly (α·0.5 is exact in binary).
///
/// - Precondition: `relevance.count == scores.count == noise.count`.
/// - Complexity: O(n).
public func marginShifted(_ scores: [Double], relevance: [Bool], alpha: Double, noise: [Double]) -> [Double] {
    var shifted = scores
    for i in shifted.indices { shifted[i] -= alpha * (noise[i] * (relevance[i] ? 0.5 : -0.5)) }
    return shifted
}
