import Foundation
import Support

/// A rectangle in font units (y downwards) that a glyph is fitted into when rendered.
public struct GlyphFrame: Sendable, Equatable {
    public var minX: Double, maxX: Double, minY: Double, maxY: Double
    public init(minX: Double, maxX: Double, minY: Double, maxY: Double) {
        self.minX = minX
        self.maxX = maxX
        self.minY = minY
        self.maxY = maxY
    }
    public var width: Double { maxX - minX }
    public var height: Double { maxY - minY }
}

/// How a glyph is placed in the image before augmentation.
public enum GlyphFit: Sendable, Equatable {
    /// Scale the glyph's own ink box to fill the image: every glyph is as large as possible, but `o` and `O` look
    /// alike.
    case ink
    /// Centre each glyph horizontally and place it vertically in one frame shared by the whole font (its
    /// `latinFrame`), so relative sizes survive: `o` stays smaller than `O` and `p` descends below the baseline.
    case font
}

/// One geometric + stroke augmentation. Lengths are fractions of the image size, so the same augmentation means
/// the same thing at 28×28 and at 64×64.
public struct GlyphAugmentation: Sendable, Equatable {
    /// Counter-clockwise rotation in radians (on screen, with y downwards).
    public var rotation: Double
    /// Extra scale factor on top of fitting.
    public var scale: Double
    /// Horizontal shear: x += shear · y (y downwards, so positive shear slants like italics the other way).
    public var shear: Double
    /// Translation as a fraction of the image width / height.
    public var translateX: Double
    public var translateY: Double
    /// Stroke width as a fraction of min(width, height).
    public var strokeWidth: Double

    public init(
        rotation: Double = 0, scale: Double = 1, shear: Double = 0, translateX: Double = 0,
        translateY: Double = 0, strokeWidth: Double = 0.07
    ) {
        self.rotation = rotation
        self.scale = scale
        self.shear = shear
        self.translateX = translateX
        self.translateY = translateY
        self.strokeWidth = strokeWidth
    }

    /// No geometric change, the default stroke width.
    public static let identity = GlyphAugmentation()

    /// A random augmentation with each parameter uniform in its range.
    public static func random<G: RandomNumberGenerator>(
        _ ranges: AugmentationRanges = .standard, using rng: inout G
    )
        -> GlyphAugmentation
    {
        func uniform(_ r: ClosedRange<Double>) -> Double {
            r.lowerBound + (r.upperBound - r.lowerBound) * rng.nextUnit()
        }
        return GlyphAugmentation(
            rotation: uniform(-ranges.rotation...ranges.rotation), scale: uniform(ranges.scale),
            shear: uniform(-ranges.shear...ranges.shear),
            translateX: uniform(-ranges.translation...ranges.translation),
            translateY: uniform(-ranges.translation...ranges.translation),
            strokeWidth: uniform(ranges.strokeWidth))
    }
}

/// The ranges random augmentations are drawn from.
public struct AugmentationRanges: Sendable, Equatable {
    /// Maximum absolute rotation in radians.
    public var rotation: Double
    public var scale: ClosedRange<Double>
    /// Maximum absolute shear.
    public var shear: Double
    /// Maximum absolute translation, as a fraction of the image size.
    public var translation: Double
    /// Stroke width, as a fraction of min(width, height).
    public var strokeWidth: ClosedRange<Double>

    public init(
        rotation: Double, scale: ClosedRange<Double>, shear: Double, translation: Double,
        strokeWidth: ClosedRange<Double>
    ) {
        self.rotation = rotation
        self.scale = scale
        self.shear = shear
        self.translation = translation
        self.strokeWidth = strokeWidth
    }

    /// ±8.6° rotation, scale 0.85–1.05, shear ±0.2, translation ±6 %, stroke 5–9 % of the image.
    public static let standard = AugmentationRanges(
        rotation: 0.15, scale: 0.85...1.05, shear: 0.2, translation: 0.06,
        strokeWidth: 0.05...0.09)
    /// No augmentation at all (the default stroke width 7 %).
    public static let none = AugmentationRanges(
        rotation: 0, scale: 1...1, shear: 0, translation: 0,
        strokeWidth: 0.07...0.07)
}

extension HersheyFont {
    /// The frame shared by the 62 Latin glyphs: the union of their vertical ink extents and, horizontally, the
    /// widest ink box centred on 0 (glyphs are centred on their own ink box when rendered with `.font`).
    public var latinFrame: GlyphFrame {
        var minY = Int.max
        var maxY = Int.min
        var widest = 1
        for c in HersheyFont.latinCharacters {
            guard let b = glyph(for: c)?.inkBounds else { continue }
            minY = min(minY, b.minY)
            maxY = max(maxY, b.maxY)
            widest = max(widest, b.maxX - b.minX)
        }
        if minY > maxY { return GlyphFrame(minX: -1, maxX: 1, minY: -1, maxY: 1) }
        return GlyphFrame(minX: -Double(widest) / 2, maxX: Double(widest) / 2, minY: Double(minY), maxY: Double(maxY))
    }
}

/// Anti-aliased rendering of Hershey glyphs into grey images.
public enum HersheyRenderer {
    /// Renders `glyph` into a `width`×`height` image, row-major, values in [0, 1] (0 background, 1 ink).
    ///
    /// The glyph is fitted into the image (inside a `margin` fraction on each side): with `frame` nil its ink box
    /// fills the image, otherwise `frame` does and the glyph is centred horizontally on its ink. Then the
    /// augmentation's shear, rotation, scale and translation are applied about the image centre. A pixel's value is
    /// the stroke's coverage estimated from the distance d between the pixel centre and the nearest stroke segment,
    /// clamp(w/2 + 1/2 − d, 0, 1) for stroke width w in pixels; overlapping strokes take the maximum, not the sum.
    /// Cost: O(segments × (w + 2)²) plus the image.
    public static func render(
        _ glyph: HersheyGlyph, width: Int, height: Int, frame: GlyphFrame? = nil,
        augmentation: GlyphAugmentation = .identity, margin: Double = 0.1
    ) -> [Float] {
        var image = [Float](repeating: 0, count: max(width, 0) * max(height, 0))
        guard width > 0, height > 0, let ink = glyph.inkBounds else { return image }
        let inkCX = Double(ink.minX + ink.maxX) / 2
        let box =
            frame
            ?? GlyphFrame(
                minX: Double(ink.minX) - inkCX, maxX: Double(ink.maxX) - inkCX,
                minY: Double(ink.minY), maxY: Double(ink.maxY))
        let frameCY = (box.minY + box.maxY) / 2
        let usableW = Double(width) * (1 - 2 * margin)
        let usableH = Double(height) * (1 - 2 * margin)
        let fit = min(usableW / max(box.width, 1), usableH / max(box.height, 1))
        let s = fit * augmentation.scale
        let cosT = cos(augmentation.rotation)
        let sinT = sin(augmentation.rotation)
        let cx = Double(width) / 2 + augmentation.translateX * Double(width)
        let cy = Double(height) / 2 + augmentation.translateY * Double(height)
        let frameCX = frame == nil ? 0 : (box.minX + box.maxX) / 2
        func toPixel(_ p: HersheyPoint) -> (Double, Double) {
            let x = Double(p.x) - inkCX - frameCX
            let y = Double(p.y) - frameCY
            let xs = x + augmentation.shear * y
            // Rotation on screen (y down): counter-clockwise by θ.
            let xr = cosT * xs + sinT * y
            let yr = -sinT * xs + cosT * y
            return (cx + s * xr, cy + s * yr)
        }
        let halfWidth = max(augmentation.strokeWidth, 0) * Double(min(width, height)) / 2
        let reach = halfWidth + 0.5
        image.withUnsafeMutableBufferPointer { px in
            for stroke in glyph.strokes {
                let pts = stroke.map(toPixel)
                let segments = pts.count == 1 ? [(pts[0], pts[0])] : Array(zip(pts, pts.dropFirst()))
                for (a, b) in segments {
                    let x0 = max(0, Int((min(a.0, b.0) - reach).rounded(.down)))
                    let x1 = min(width - 1, Int((max(a.0, b.0) + reach).rounded(.up)))
                    let y0 = max(0, Int((min(a.1, b.1) - reach).rounded(.down)))
                    let y1 = min(height - 1, Int((max(a.1, b.1) + reach).rounded(.up)))
                    guard x0 <= x1, y0 <= y1 else { continue }
                    let dx = b.0 - a.0
                    let dy = b.1 - a.1
                    let len2 = dx * dx + dy * dy
                    for py in y0...y1 {
                        let qy = Double(py) + 0.5
                        for pxi in x0...x1 {
                            let qx = Double(pxi) + 0.5
                            var t = len2 > 0 ? ((qx - a.0) * dx + (qy - a.1) * dy) / len2 : 0
                            t = min(max(t, 0), 1)
                            let ex = qx - (a.0 + t * dx)
                            let ey = qy - (a.1 + t * dy)
                            let d = (ex * ex + ey * ey).squareRoot()
                            let coverage = Float(min(max(reach - d, 0), 1))
                            let i = py * width + pxi
                            if coverage > px[i] { px[i] = coverage }
                        }
                    }
                }
            }
        }
        return image
    }
}

/// Rendered Hershey glyphs: images labelled by character (62 classes, `HersheyFont.latinCharacters`), with the
/// font each came from as its style.
public struct HersheyGlyphSet: Sendable, Equatable {
    /// Labels are indices into `HersheyFont.latinCharacters`; class names are the characters.
    public var images: LabeledImages
    /// `styles[i]` indexes `styleNames`: the font of image `i`.
    public var styles: [Int]
    public var styleNames: [String]

    /// Renders `rendersPerGlyph` augmented copies of each requested character in each font.
    ///
    /// Images are ordered by class, then font, then copy. Each copy's augmentation is drawn from a `SplitMix64`
    /// seeded from (`seed`, font name, character, copy index), so a render does not depend on which other classes
    /// or fonts are requested: the class-disjoint train and test halves of a split are reproducible on their own.
    /// - Parameters:
    ///   - fonts: the styles (e.g. `HersheyFont.loadLatinStyles()`).
    ///   - classes: indices into `HersheyFont.latinCharacters` (default all 62).
    ///   - fit: `.font` (default) keeps relative glyph sizes within a font; `.ink` fills the image with each glyph.
    public static func build(
        fonts: [HersheyFont], classes: [Int] = Array(0..<62), rendersPerGlyph: Int,
        width: Int = 28, height: Int = 28, seed: UInt64,
        ranges: AugmentationRanges = .standard, fit: GlyphFit = .font
    ) -> HersheyGlyphSet {
        let characters = HersheyFont.latinCharacters
        let frames = fonts.map { fit == .font ? $0.latinFrame : nil }
        var pixels = [Float]()
        pixels.reserveCapacity(classes.count * fonts.count * max(rendersPerGlyph, 0) * width * height)
        var labels = [Int]()
        var styles = [Int]()
        for c in classes where c >= 0 && c < characters.count {
            for (f, font) in fonts.enumerated() {
                guard let glyph = font.glyph(for: characters[c]) else { continue }
                for k in 0..<max(rendersPerGlyph, 0) {
                    var rng = SplitMix64(seed: renderSeed(seed, font: font.name, character: c, copy: k))
                    let aug = GlyphAugmentation.random(ranges, using: &rng)
                    pixels += HersheyRenderer.render(
                        glyph, width: width, height: height, frame: frames[f],
                        augmentation: aug)
                    labels.append(c)
                    styles.append(f)
                }
            }
        }
        return HersheyGlyphSet(
            images: LabeledImages(
                width: width, height: height, pixels: pixels, labels: labels,
                classNames: characters.map { String($0) }),
            styles: styles, styleNames: fonts.map(\.name))
    }

    /// FNV-1a of the font name mixed with the seed, character and copy through SplitMix64 steps.
    static func renderSeed(_ seed: UInt64, font: String, character: Int, copy: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in font.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var mix = SplitMix64(seed: seed ^ h)
        var state = mix.next()
        for v in [UInt64(character), UInt64(copy)] {
            mix = SplitMix64(seed: state ^ v)
            state = mix.next()
        }
        return state
    }
}
