// Axis-aligned boxes, their overlap (IoU), the checks every ground-truth box must pass, and the box coding the
// regression head learns (Faster R-CNN's deltas).
import Foundation

/// An axis-aligned box in continuous pixel coordinates: it covers [xMin, xMax) × [yMin, yMax), with x to the right
/// and y downwards. Area = (xMax − xMin)·(yMax − yMin): no "+1" as in VOC's inclusive pixel convention, so a box
/// from pixel column 3 to pixel column 7 inclusive is `Box(xMin: 3, yMin: …, xMax: 8, yMax: …)`.
public struct Box: Sendable, Equatable, CustomStringConvertible {
    public var xMin: Double, yMin: Double, xMax: Double, yMax: Double

    public init(xMin: Double, yMin: Double, xMax: Double, yMax: Double) {
        self.xMin = xMin
        self.yMin = yMin
        self.xMax = xMax
        self.yMax = yMax
    }

    /// The box of the given centre and size.
    public init(centerX: Double, centerY: Double, width: Double, height: Double) {
        self.init(
            xMin: centerX - width / 2, yMin: centerY - height / 2,
            xMax: centerX + width / 2, yMax: centerY + height / 2)
    }

    public var width: Double { xMax - xMin }
    public var height: Double { yMax - yMin }
    public var centerX: Double { (xMin + xMax) / 2 }
    public var centerY: Double { (yMin + yMax) / 2 }
    /// Width × height, or 0 for an empty or inverted box.
    public var area: Double { max(0, width) * max(0, height) }

    public var description: String {
        "[\(xMin.formatted6), \(yMin.formatted6), \(xMax.formatted6), \(yMax.formatted6)]"
    }
}

extension Double {
    fileprivate var formatted6: String {
        self == rounded() && abs(self) < 1e9 ? String(Int(self)) : String(format: "%.6g", self)
    }
}

/// Intersection over union: area(a ∩ b) / area(a ∪ b), in [0, 1]; 0 when the union is empty. O(1).
public func intersectionOverUnion(_ a: Box, _ b: Box) -> Double {
    let w = min(a.xMax, b.xMax) - max(a.xMin, b.xMin)
    let h = min(a.yMax, b.yMax) - max(a.yMin, b.yMin)
    guard w > 0, h > 0 else { return 0 }
    let intersection = w * h
    let union = a.area + b.area - intersection
    return union > 0 ? intersection / union : 0
}

/// What is wrong with a scene's ground truth.
public struct DetectionError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// Checks the ground truth of one image of `width` × `height` pixels: at least one box, every coordinate finite,
/// every box of positive width and height, and inside [0, width] × [0, height].
///
/// - Throws: `DetectionError` naming the scene (`name`) and the box index.
public func validateGroundTruth(_ boxes: [Box], width: Int, height: Int, name: String = "scene") throws {
    guard width > 0, height > 0 else { throw DetectionError("\(name): image size \(width)×\(height) is empty") }
    guard !boxes.isEmpty else { throw DetectionError("\(name): empty scene, no ground-truth box") }
    for (i, b) in boxes.enumerated() {
        guard [b.xMin, b.yMin, b.xMax, b.yMax].allSatisfy(\.isFinite) else {
            throw DetectionError("\(name): box \(i) \(b) has a coordinate that is not finite")
        }
        guard b.xMax > b.xMin, b.yMax > b.yMin else {
            throw DetectionError("\(name): box \(i) \(b) has zero area (width \(b.width), height \(b.height))")
        }
        guard b.xMin >= 0, b.yMin >= 0, b.xMax <= Double(width), b.yMax <= Double(height) else {
            throw DetectionError("\(name): box \(i) \(b) lies outside the \(width)×\(height) image")
        }
    }
}

/// Faster R-CNN's box coding: a box relative to an anchor, as the regression head predicts it.
///
///     t_x = (x − x_a)/w_a,   t_y = (y − y_a)/h_a,   t_w = log(w/w_a),   t_h = log(h/h_a)
///
/// (x, y) are centres, (w, h) sizes. `decode` inverts `encode`; it clamps t_w and t_h to ±`maxLogScale` so that
/// an untrained head cannot overflow exp.
public enum BoxCoding {
    public static let maxLogScale = 4.0

    /// The deltas [t_x, t_y, t_w, t_h] of `box` against `anchor`.
    /// - Precondition: both boxes have positive width and height.
    public static func encode(_ box: Box, anchor: Box) -> [Double] {
        precondition(
            box.width > 0 && box.height > 0 && anchor.width > 0 && anchor.height > 0,
            "BoxCoding.encode needs boxes of positive size, got \(box) and \(anchor)")
        return [
            (box.centerX - anchor.centerX) / anchor.width, (box.centerY - anchor.centerY) / anchor.height,
            log(box.width / anchor.width), log(box.height / anchor.height),
        ]
    }

    /// The box that the deltas `t` (4 values) describe against `anchor`.
    public static func decode(_ t: [Double], anchor: Box) -> Box {
        precondition(t.count == 4, "BoxCoding.decode needs 4 deltas, got \(t.count)")
        let tw = min(max(t[2], -maxLogScale), maxLogScale)
        let th = min(max(t[3], -maxLogScale), maxLogScale)
        return Box(
            centerX: anchor.centerX + t[0] * anchor.width, centerY: anchor.centerY + t[1] * anchor.height,
            width: anchor.width * exp(tw), height: anchor.height * exp(th))
    }
}
