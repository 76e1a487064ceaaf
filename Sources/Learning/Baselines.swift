// The baselines the chapters compare RaMBO against. Each returns the loss (accumulated in Double) and its
// gradient w.r.t. its input, ready for the backward pass.
//
// The metric-learning losses take the same input as the rank losses: the N × N similarity matrix S of a batch's
// L2-normalised embeddings (`similarityMatrix(L2Normalize().forward(E))`), with the batch labels. The diagonal
// (an item with itself) is ignored and gets a zero gradient. S is treated as an arbitrary matrix: row i is
// anchor i's view, so the gradient need not be symmetric; `similarityMatrixBackward` handles that.
import Foundation

/// How a triplet loss turns a cosine similarity s of unit vectors into a distance.
public enum TripletDistance: Sendable {
    /// d = √max(0, 2 − 2s), the Euclidean distance between the unit vectors. Where d = 0 its derivative is
    /// undefined; the gradient through such a pair is taken as 0.
    case euclidean
    /// d = max(0, 2 − 2s), the squared Euclidean distance; ∂d/∂s = −2 where 2 − 2s > 0.
    case squaredEuclidean

    func distanceAndSlope(_ s: Double) -> (d: Double, slope: Double) {
        let squared = 2 - 2 * s
        guard squared > 0 else { return (0, 0) }
        switch self {
        case .euclidean:
            let d = squared.squareRoot()
            return (d, -1 / d)  // d² = 2 − 2s ⇒ 2d·∂d = −2∂s
        case .squaredEuclidean:
            return (squared, -2)
        }
    }
}

/// The batch-hard triplet loss (Hermans, Beyer & Leibe 2017) on a similarity matrix.
///
/// For every anchor i with at least one positive (same label, j ≠ i) and one negative: the hardest positive
/// p = the positive with the *lowest* similarity, the hardest negative n = the negative with the *highest*
/// similarity (ties: the smaller index), and ℓ_i = max(0, margin + d(s_ip) − d(s_in)).
/// L = mean of ℓ_i over those anchors (0 if there are none).
///
/// - Parameters:
///   - similarities: S, `N × N`, cosine similarities of unit vectors (entries in [−1, 1]).
///   - labels: N class labels.
///   - margin: in the units of `distance` (e.g. 0.2 for `.euclidean`).
/// - Returns: L and ∂L/∂S (non-zero only at each active anchor's hardest positive and negative).
/// - Complexity: O(N²).
public func batchHardTripletLoss(
    similarities s: Matrix, labels: [Int], margin: Double,
    distance: TripletDistance = .euclidean
) -> (loss: Double, gradient: Matrix) {
    let n = s.rows
    precondition(
        s.cols == n && labels.count == n, "batchHardTripletLoss: S is \(s.rows)×\(s.cols) with \(labels.count) labels")
    var gradient = Matrix(rows: n, cols: n)
    var terms = [(anchor: Int, positive: Int, negative: Int, slopeP: Double, slopeN: Double, value: Double)]()
    for i in 0..<n {
        var hardestPositive = -1
        var hardestNegative = -1
        for j in 0..<n where j != i {
            if labels[j] == labels[i] {
                if hardestPositive < 0 || s[i, j] < s[i, hardestPositive] { hardestPositive = j }
            } else if hardestNegative < 0 || s[i, j] > s[i, hardestNegative] {
                hardestNegative = j
            }
        }
        guard hardestPositive >= 0, hardestNegative >= 0 else { continue }
        let (dp, slopeP) = distance.distanceAndSlope(Double(s[i, hardestPositive]))
        let (dn, slopeN) = distance.distanceAndSlope(Double(s[i, hardestNegative]))
        terms.append((i, hardestPositive, hardestNegative, slopeP, slopeN, margin + dp - dn))
    }
    guard !terms.isEmpty else { return (0, gradient) }
    let scale = 1 / Double(terms.count)
    var loss = 0.0
    for t in terms where t.value > 0 {
        loss += t.value * scale
        gradient[t.anchor, t.positive] += Float(scale * t.slopeP)
        gradient[t.anchor, t.negative] -= Float(scale * t.slopeN)
    }
    return (loss, gradient)
}

/// A contrastive loss on cosine similarities: positives pulled to similarity 1, negatives pushed below a margin.
///
/// Over ordered pairs (i, j), i ≠ j: with P the positive pairs (same label) and Q the negative pairs,
///
///     L = (1/|P|) Σ_P (1 − s_ij)  +  (1/|Q|) Σ_Q max(0, s_ij − negativeMargin)
///
/// Each term is averaged over its own pair count (so the many negatives do not drown the few positives), and
/// is left out when it has no pairs. ∂L/∂s_ij = −1/|P| on positives, +1/|Q| on negatives above the margin.
///
/// - Complexity: O(N²).
public func contrastiveLoss(
    similarities s: Matrix, labels: [Int],
    negativeMargin: Double = 0.5
) -> (loss: Double, gradient: Matrix) {
    let n = s.rows
    precondition(
        s.cols == n && labels.count == n, "contrastiveLoss: S is \(s.rows)×\(s.cols) with \(labels.count) labels")
    var positives = 0
    var negatives = 0
    for i in 0..<n {
        for j in 0..<n where j != i {
            if labels[i] == labels[j] { positives += 1 } else { negatives += 1 }
        }
    }
    var gradient = Matrix(rows: n, cols: n)
    var loss = 0.0
    for i in 0..<n {
        for j in 0..<n where j != i {
            let sij = Double(s[i, j])
            if labels[i] == labels[j] {
                loss += (1 - sij) / Double(positives)
                gradient[i, j] = Float(-1 / Double(positives))
            } else if sij > negativeMargin {
                loss += (sij - negativeMargin) / Double(negatives)
                gradient[i, j] = Float(1 / Double(negatives))
            }
        }
    }
    return (loss, gradient)
}

/// Binary cross-entropy with logits for multi-label classification, mean over all B·C entries.
///
/// Per entry, with logit z and target t ∈ [0, 1] (usually 0/1): ℓ = −t·log σ(z) − (1 − t)·log(1 − σ(z)),
/// computed as max(z, 0) − z·t + log(1 + e^(−|z|)), which never overflows. ∂ℓ/∂z = σ(z) − t.
///
/// - Parameters: logits and targets, both `B × C`.
/// - Returns: L = mean ℓ and ∂L/∂Z = (σ(Z) − T) / (B·C).
/// - Complexity: O(B·C).
public func binaryCrossEntropyWithLogits(logits: Matrix, targets: Matrix) -> (loss: Double, gradient: Matrix) {
    logits.checkSameShape(targets, "binaryCrossEntropyWithLogits")
    let count = Double(logits.storage.count)
    guard count > 0 else { return (0, logits) }
    var gradient = logits
    var loss = 0.0
    for k in logits.storage.indices {
        let z = Double(logits.storage[k])
        let t = Double(targets.storage[k])
        loss += max(z, 0) - z * t + log1p(exp(-abs(z)))
        let sigmoid = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
        gradient.storage[k] = Float((sigmoid - t) / count)
    }
    return (loss / count, gradient)
}
