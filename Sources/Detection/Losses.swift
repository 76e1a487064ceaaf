// The training targets of one scene and the three losses of chapter 11: softmax cross-entropy (the paper's
// baseline) and RaMBO's mAP loss for the classification head, smooth L1 for the box head (shared by all methods).
import Foundation
import Learning
import Rambo

/// What every anchor of one scene is trained towards.
public struct SceneTargets: Sendable {
    /// Per anchor: the class (0..<C), `classes` for background, or nil for an ignored anchor.
    public var classes: [Int?]
    /// Per anchor: the encoded box of its object (positives only), else nil.
    public var deltas: [[Double]?]

    /// Targets from the anchor assignment: positives take their object's label and encoded box.
    ///
    /// - Throws: `DetectionError` from `validateGroundTruth` or `assignAnchors` (empty scene, box outside the
    ///   image, zero-area box).
    public init(
        anchors: [Box], objects: [GroundTruth], classCount: Int, imageSize: Int,
        positiveIoU: Double = 0.5, negativeIoU: Double = 0.4
    ) throws {
        try validateGroundTruth(objects.map(\.box), width: imageSize, height: imageSize)
        if let bad = objects.firstIndex(where: { !(0..<classCount).contains($0.label) }) {
            throw DetectionError("scene: object \(bad) has label \(objects[bad].label) outside 0..<\(classCount)")
        }
        let assignment = try assignAnchors(
            anchors, to: objects.map(\.box), positiveIoU: positiveIoU,
            negativeIoU: negativeIoU)
        classes = assignment.map {
            switch $0 {
            case .positive(let o): return objects[o].label
            case .negative: return classCount
            case .ignored: return nil
            }
        }
        deltas = assignment.enumerated().map { a, target in
            if case .positive(let o) = target { return BoxCoding.encode(objects[o].box, anchor: anchors[a]) }
            return nil
        }
    }

    public var positives: Int { deltas.filter { $0 != nil }.count }
    public var ignored: Int { classes.filter { $0 == nil }.count }
}

/// Softmax cross-entropy over C + 1 logits (background last), averaged over the anchors that are not ignored.
/// Returns the loss and dL/dlogits (zero rows for ignored anchors). O(anchors · C).
public func softmaxCrossEntropy(logits: Matrix, targets: [Int?]) -> (loss: Double, gradient: Matrix) {
    precondition(logits.rows == targets.count, "softmaxCrossEntropy: \(logits.rows) rows, \(targets.count) targets")
    let k = logits.cols
    var gradient = Matrix(rows: logits.rows, cols: k)
    let counted = targets.filter { $0 != nil }.count
    guard counted > 0 else { return (0, gradient) }
    var loss = 0.0
    let scale = 1 / Double(counted)
    for i in 0..<logits.rows {
        guard let t = targets[i] else { continue }
        var top = -Double.infinity
        for j in 0..<k { top = max(top, Double(logits[i, j])) }
        var sum = 0.0
        for j in 0..<k { sum += exp(Double(logits[i, j]) - top) }
        loss += (top + log(sum) - Double(logits[i, t])) * scale
        for j in 0..<k {
            let p = exp(Double(logits[i, j]) - top) / sum
            gradient[i, j] = Float((p - (j == t ? 1 : 0)) * scale)
        }
    }
    return (loss, gradient)
}

/// Smooth L1 (Huber with transition `beta`) on the 4 deltas of the positive anchors, summed over the 4 coordinates
/// and averaged over positives: ℓ(d) = d²/(2β) for |d| < β, else |d| − β/2. Returns loss and dL/ddeltas.
public func smoothL1(deltas: Matrix, targets: [[Double]?], beta: Double = 1.0 / 9) -> (loss: Double, gradient: Matrix) {
    precondition(deltas.rows == targets.count && deltas.cols == 4, "smoothL1: shape mismatch")
    var gradient = Matrix(rows: deltas.rows, cols: 4)
    let positives = targets.filter { $0 != nil }.count
    guard positives > 0 else { return (0, gradient) }
    var loss = 0.0
    let scale = 1 / Double(positives)
    for i in 0..<deltas.rows {
        guard let t = targets[i] else { continue }
        for j in 0..<4 {
            let d = Double(deltas[i, j]) - t[j]
            loss += (abs(d) < beta ? d * d / (2 * beta) : abs(d) - beta / 2) * scale
            gradient[i, j] = Float((abs(d) < beta ? d / beta : (d > 0 ? 1 : -1)) * scale)
        }
    }
    return (loss, gradient)
}

/// RaMBO's detection loss on the classification head (paper §4.6): the C foreground logits of every anchor that
/// is not ignored form a batch of rows; each class's ranked list is that column plus the same column of the last τ
/// batches (score memory); L = (1 − β)·L_mAP + β·L_APC with margin α (`MAPLoss`). The background logit gets no
/// gradient. `lastListLength` is the length of each per-class list in the latest call (batch rows + stored rows):
/// the detection analogue of the paper's 320k.
public struct RankingDetectionLoss {
    public var loss: MAPLoss
    public private(set) var memory: ScoreMemory
    public private(set) var lastListLength = 0

    public init(loss: MAPLoss, memorySize: Int) {
        self.loss = loss
        memory = ScoreMemory(capacity: max(0, memorySize))
    }

    public mutating func evaluate(logits: Matrix, targets: [Int?]) -> (loss: Double, gradient: Matrix) {
        let classes = logits.cols - 1
        let rows = targets.indices.filter { targets[$0] != nil }
        let scores = rows.map { i in (0..<classes).map { Double(logits[i, $0]) } }
        let relevance = rows.map { i in (0..<classes).map { targets[i]! == $0 } }
        var gradient = Matrix(rows: logits.rows, cols: logits.cols)
        guard !rows.isEmpty else { return (0, gradient) }
        let stored = memory.batches
        lastListLength = rows.count + stored.reduce(0) { $0 + $1.scores.count }
        let result = loss.valueAndGradient(scores: scores, targets: relevance, memory: stored)
        memory.append(scores: scores, relevance: relevance)
        for (r, i) in rows.enumerated() {
            for c in 0..<classes { gradient[i, c] = Float(result.gradient[r][c]) }
        }
        return (result.loss, gradient)
    }
}
