// From head outputs to detections: decode every anchor's box, keep each class's best anchors, suppress duplicates.

/// The detections of one image: for each class c, the `topK` anchors with the highest `scores[a][c]` (ties: the
/// lower anchor first), their decoded boxes, then per-class NMS at `nmsIoU`. Scores are whatever the method ranks
/// by (softmax probabilities for cross-entropy, raw logits for RaMBO): only their order within a class matters to
/// AP. O(anchors · C + C · topK²).
public func detect(
    scores: [[Double]], deltas: [[Double]], anchors: [Box], image: Int, topK: Int = 20,
    nmsIoU: Double = 0.5
) -> [Detection] {
    precondition(scores.count == anchors.count && deltas.count == anchors.count, "detect: one row per anchor")
    guard let classes = scores.first?.count else { return [] }
    var detections = [Detection]()
    for c in 0..<classes {
        let best = anchors.indices
            .sorted { scores[$0][c] > scores[$1][c] || (scores[$0][c] == scores[$1][c] && $0 < $1) }
            .prefix(topK)
        let boxes = best.map { BoxCoding.decode(deltas[$0], anchor: anchors[$0]) }
        let s = best.map { scores[$0][c] }
        for k in nonMaximumSuppression(boxes: boxes, scores: s, iouThreshold: nmsIoU) {
            detections.append(Detection(image: image, label: c, box: boxes[k], score: s[k]))
        }
    }
    return detections
}
