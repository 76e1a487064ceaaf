// The dense anchor grid of a one-stage detector and the IoU rule that turns ground-truth boxes into training
// targets (RetinaNet's thresholds: positive ≥ 0.5, negative < 0.4, ignored between).

/// Anchors of `sizes.count × aspectRatios.count` shapes centred on every cell of a feature map of stride `stride`.
///
/// Order: cell by cell, row-major (cell (i, j) centred at ((j + ½)·stride, (i + ½)·stride)), then shape by shape,
/// size-major: anchor `(i·columns + j)·shapesPerCell + s·aspectRatios.count + r`. This is the order in which a head
/// that outputs `shapesPerCell × K` values per cell lays out its `cells × (shapesPerCell·K)` output, read as a
/// `(cells·shapesPerCell) × K` matrix. A shape of size s and aspect ratio r (= height/width) has area s² and
/// width s/√r, height s·√r. Anchors may reach past the image border.
public struct AnchorGrid: Sendable, Equatable {
    public let rows: Int, columns: Int, stride: Double
    public let sizes: [Double], aspectRatios: [Double]
    /// Every anchor, in the order above.
    public let anchors: [Box]

    /// - Precondition: positive grid, stride, sizes and ratios.
    public init(rows: Int, columns: Int, stride: Double, sizes: [Double], aspectRatios: [Double] = [1]) {
        precondition(rows > 0 && columns > 0 && stride > 0, "AnchorGrid needs a positive grid and stride")
        precondition(!sizes.isEmpty && sizes.allSatisfy { $0 > 0 }, "AnchorGrid needs positive sizes, got \(sizes)")
        precondition(
            !aspectRatios.isEmpty && aspectRatios.allSatisfy { $0 > 0 },
            "AnchorGrid needs positive aspect ratios, got \(aspectRatios)")
        self.rows = rows
        self.columns = columns
        self.stride = stride
        self.sizes = sizes
        self.aspectRatios = aspectRatios
        var anchors = [Box]()
        anchors.reserveCapacity(rows * columns * sizes.count * aspectRatios.count)
        for i in 0..<rows {
            for j in 0..<columns {
                let cx = (Double(j) + 0.5) * stride
                let cy = (Double(i) + 0.5) * stride
                for s in sizes {
                    for r in aspectRatios {
                        let root = r.squareRoot()
                        anchors.append(Box(centerX: cx, centerY: cy, width: s / root, height: s * root))
                    }
                }
            }
        }
        self.anchors = anchors
    }

    /// Anchor shapes per cell.
    public var shapesPerCell: Int { sizes.count * aspectRatios.count }
    public var count: Int { anchors.count }
}

/// What one anchor is trained to predict.
public enum AnchorTarget: Sendable, Equatable {
    /// Matched to ground-truth object `object` (an index into the scene's boxes).
    case positive(object: Int)
    /// Background.
    case negative
    /// Left out of the classification loss (its best IoU lies between the two thresholds).
    case ignored
}

/// Assigns every anchor from its best IoU with the ground truth (ties: the lower object index):
/// - IoU ≥ `positiveIoU` → positive for that object; IoU < `negativeIoU` → negative; else ignored.
/// - With `matchBest` (Faster R-CNN's rule, on by default) each object's highest-IoU anchor (the first one among
///   ties, when that IoU is > 0) is also made positive for it, so that no object is left without a positive anchor
///   whatever the anchor shapes; objects are taken in index order, so a later object wins a shared best anchor.
///
/// - Throws: `DetectionError` for thresholds outside 0 < negative ≤ positive ≤ 1 or an empty `objects`.
/// - Complexity: O(anchors · objects).
public func assignAnchors(
    _ anchors: [Box], to objects: [Box], positiveIoU: Double = 0.5, negativeIoU: Double = 0.4,
    matchBest: Bool = true
) throws -> [AnchorTarget] {
    guard negativeIoU > 0, negativeIoU <= positiveIoU, positiveIoU <= 1 else {
        throw DetectionError(
            "anchor assignment needs 0 < negative IoU ≤ positive IoU ≤ 1, "
                + "got negative \(negativeIoU), positive \(positiveIoU)")
    }
    guard !objects.isEmpty else { throw DetectionError("anchor assignment: empty scene, no ground-truth box") }
    var targets = [AnchorTarget]()
    targets.reserveCapacity(anchors.count)
    var bestAnchor = [Int](repeating: -1, count: objects.count)
    var bestAnchorIoU = [Double](repeating: 0, count: objects.count)
    for (a, anchor) in anchors.enumerated() {
        var best = -1
        var bestIoU = -1.0
        for (o, object) in objects.enumerated() {
            let iou = intersectionOverUnion(anchor, object)
            if iou > bestIoU {
                best = o
                bestIoU = iou
            }
            if iou > bestAnchorIoU[o] {
                bestAnchorIoU[o] = iou
                bestAnchor[o] = a
            }
        }
        targets.append(bestIoU >= positiveIoU ? .positive(object: best) : bestIoU < negativeIoU ? .negative : .ignored)
    }
    if matchBest {
        for o in objects.indices where bestAnchor[o] >= 0 { targets[bestAnchor[o]] = .positive(object: o) }
    }
    return targets
}
