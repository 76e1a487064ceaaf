// The score margin α (paper §4.4, Eq. 14). The official mAP code's noisy variant is RamboOfficial's.

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
