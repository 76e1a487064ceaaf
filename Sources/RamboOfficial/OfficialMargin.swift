// The margin of the authors' mAP.py: random, α·|ξ|·(t − 0.5) with ξ ~ N(0, 1) per entry (paper: the deterministic
// ±α/2 of Eq. 14, Rambo's `marginShifted`).

import Rambo
import Support

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

extension MAPLoss {
    /// The loss and gradient with the official code's noisy margin: each entry of each ranked list is shifted by
    /// −α·|ξ|·(t − 0.5), ξ ~ N(0,1) fresh per entry from `generator` (see `noisyMarginShifted`), drawn class by
    /// class, item by item, then for the flat list. Everything else is the paper's `MAPLoss`.
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func valueAndGradient(
        scores: [[Double]], targets: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1,
        using generator: inout some RandomNumberGenerator
    ) -> LossResult {
        var lists = PaperListAP(lambda: lambda)
        return assemble(scores: scores, targets: targets, memory: memory, upstream: upstream, lists: &lists) {
            list, relevance in list = noisyMarginShifted(list, relevance: relevance, alpha: margin, using: &generator)
        }
    }
}
