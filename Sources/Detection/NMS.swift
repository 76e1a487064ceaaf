// Greedy non-maximum suppression: the last step of every anchor detector before it is scored.

/// Greedy NMS: visit boxes by descending score (ties: the lower index first), keep a box unless its IoU with an
/// already kept box is greater than `iouThreshold`. Returns the kept indices in the order visited.
///
/// - Precondition: `boxes.count == scores.count`.
/// - Complexity: O(n log n + n · kept).
public func nonMaximumSuppression(boxes: [Box], scores: [Double], iouThreshold: Double = 0.5) -> [Int] {
    precondition(boxes.count == scores.count, "NMS: \(boxes.count) boxes but \(scores.count) scores")
    let order = boxes.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    var kept = [Int]()
    for i in order where !kept.contains(where: { intersectionOverUnion(boxes[$0], boxes[i]) > iouThreshold }) {
        kept.append(i)
    }
    return kept
}
