// The Pascal VOC detection metric (Everingham et al. 2010, the devkit's VOCevaldet): detections of one class,
// pooled over all test images and sorted by score, are matched to ground truth at IoU ≥ 0.5; precision and recall
// along that list give AP^50, read off the curve in one of two ways.

/// One detection: a box with a class and a score, in image `image`.
public struct Detection: Sendable, Equatable {
    public var image: Int
    public var label: Int
    public var box: Box
    public var score: Double

    public init(image: Int, label: Int, box: Box, score: Double) {
        self.image = image
        self.label = label
        self.box = box
        self.score = score
    }
}

/// One ground-truth object of a test image.
public struct GroundTruth: Sendable, Equatable {
    public var label: Int
    public var box: Box

    public init(label: Int, box: Box) {
        self.label = label
        self.box = box
    }
}

/// VOC2007's 11-point interpolated AP (the VOC07 test protocol, and the paper's Table 5):
///
///     AP = (1/11) Σ_{t ∈ {0, 0.1, …, 1}} max{ precision_k : recall_k ≥ t }     (0 when no point reaches t)
///
/// `recall` and `precision` are the curve's points (any order). O(11 · n).
public func vocElevenPointAP(recall: [Double], precision: [Double]) -> Double {
    precondition(recall.count == precision.count, "AP: \(recall.count) recalls but \(precision.count) precisions")
    var sum = 0.0
    for step in 0...10 {
        let t = Double(step) / 10
        var best = 0.0
        for k in recall.indices where recall[k] >= t { best = max(best, precision[k]) }
        sum += best
    }
    return sum / 11
}

/// VOC2010+'s all-point AP: the area under the precision envelope p̂(r) = max{ p_k : r_k ≥ r }, summed over the
/// recall steps of the curve, `recall` in the order of the ranked list (non-decreasing):
///
///     AP = Σ_k (r_k − r_{k−1}) · p̂(r_k),   r_0 = 0
///
/// O(n).
public func vocAllPointAP(recall: [Double], precision: [Double]) -> Double {
    precondition(recall.count == precision.count, "AP: \(recall.count) recalls but \(precision.count) precisions")
    guard !recall.isEmpty else { return 0 }
    var envelope = precision
    for k in stride(from: envelope.count - 2, through: 0, by: -1) { envelope[k] = max(envelope[k], envelope[k + 1]) }
    var area = 0.0
    var previous = 0.0
    for k in recall.indices where recall[k] > previous {
        area += (recall[k] - previous) * envelope[k]
        previous = recall[k]
    }
    return area
}

/// The evaluation of one class.
public struct ClassEvaluation: Sendable {
    /// The number of ground-truth objects of the class.
    public var objects: Int
    /// Recall and precision after each detection of the class, by descending score.
    public var recall: [Double], precision: [Double]
    /// Whether each detection (same order) is a true positive.
    public var truePositive: [Bool]
    /// 11-point and all-point AP^50; `nil` when the class has no ground-truth object.
    public var elevenPointAP: Double?, allPointAP: Double?
}

/// Evaluates `detections` against `groundTruth[image]`, class by class, as VOCevaldet does (no "difficult"
/// objects here): per class, detections sorted by descending score (ties: input order); each takes the ground-truth
/// box of its class and image with the highest IoU, matched or not; IoU ≥ `iouThreshold` and that box not yet
/// matched → true positive (the box is now matched), otherwise false positive. A duplicate of a found object is
/// a false positive, which is why detectors run NMS first.
///
/// - Throws: `DetectionError` for a detection whose image or label is out of range or whose score is not finite.
/// - Complexity: O(D log D + D · objects per image).
public func evaluateDetections(
    _ detections: [Detection], groundTruth: [[GroundTruth]], classes: Int,
    iouThreshold: Double = 0.5
) throws -> [ClassEvaluation] {
    for (k, d) in detections.enumerated() {
        guard groundTruth.indices.contains(d.image) else {
            throw DetectionError("detection \(k): image \(d.image) outside 0..<\(groundTruth.count)")
        }
        guard (0..<classes).contains(d.label) else {
            throw DetectionError("detection \(k): label \(d.label) outside 0..<\(classes)")
        }
        guard d.score.isFinite else { throw DetectionError("detection \(k): score \(d.score) is not finite") }
    }
    var byClass = [[Int]](repeating: [], count: classes)
    for (k, d) in detections.enumerated() { byClass[d.label].append(k) }
    return (0..<classes).map { c in
        let objects = groundTruth.reduce(0) { $0 + $1.filter { $0.label == c }.count }
        let order = byClass[c].sorted {
            detections[$0].score > detections[$1].score
                || (detections[$0].score == detections[$1].score && $0 < $1)
        }
        var matched = groundTruth.map { [Bool](repeating: false, count: $0.count) }
        var tp = 0
        var fp = 0
        var recall = [Double]()
        var precision = [Double]()
        var flags = [Bool]()
        for k in order {
            let d = detections[k]
            var best = -1
            var bestIoU = -1.0
            for (g, object) in groundTruth[d.image].enumerated() where object.label == c {
                let iou = intersectionOverUnion(d.box, object.box)
                if iou > bestIoU {
                    best = g
                    bestIoU = iou
                }
            }
            let hit = best >= 0 && bestIoU >= iouThreshold && !matched[d.image][best]
            if hit {
                matched[d.image][best] = true
                tp += 1
            } else {
                fp += 1
            }
            flags.append(hit)
            recall.append(objects > 0 ? Double(tp) / Double(objects) : 0)
            precision.append(Double(tp) / Double(tp + fp))
        }
        return ClassEvaluation(
            objects: objects, recall: recall, precision: precision, truePositive: flags,
            elevenPointAP: objects > 0 ? vocElevenPointAP(recall: recall, precision: precision) : nil,
            allPointAP: objects > 0 ? vocAllPointAP(recall: recall, precision: precision) : nil)
    }
}
