// Detection scenes made of real images: Fashion-MNIST items pasted at random scales and positions on a noisy
// canvas with clutter (fragments of other items), with the ground-truth box and class of every item.
import Support

/// One object of a scene: its class and its tight box in pixels, columns `xMin..<xMax`, rows `yMin..<yMax`
/// (the smallest box holding every pixel of the pasted item brighter than `Scenes.inkThreshold`).
public struct SceneObject: Sendable, Equatable {
    public var label: Int
    public var xMin: Int, yMin: Int, xMax: Int, yMax: Int

    public init(label: Int, xMin: Int, yMin: Int, xMax: Int, yMax: Int) {
        self.label = label
        self.xMin = xMin
        self.yMin = yMin
        self.xMax = xMax
        self.yMax = yMax
    }

    public var width: Int { xMax - xMin }
    public var height: Int { yMax - yMin }
}

/// A square grey scene: `size × size` pixels in [0, 1], row-major, and its objects (1 or more).
public struct Scene: Sendable, Equatable {
    public var size: Int
    public var pixels: [Float]
    public var objects: [SceneObject]

    /// The pixel at column `x`, row `y`.
    public func pixel(x: Int, y: Int) -> Float { pixels[y * size + x] }
}

/// The recipe of a scene set. Scene `i` of a set depends only on the recipe, the source images, the seed and `i`
/// (its own `SplitMix64`), not on how many scenes are drawn.
///
/// A scene: a canvas of Gaussian noise (σ = `noise`, clipped to [0, 1]); `fragments` clutter patches (a random
/// 6–12 pixel square cut from a random source image, scaled by 0.5–1, pasted with max-blending); then 1…`maxObjects`
/// items (uniform count), each a random source image resized bilinearly to a side drawn uniformly from
/// `itemSizes`, pasted with max-blending at a uniform position where it fits; a placement whose tight box
/// overlaps an earlier object's with IoU > `maxOverlap` is redrawn (up to 30 tries, else the item is dropped, so a
/// scene may hold fewer items than drawn, but always at least one).
public struct SceneRecipe: Sendable, Equatable {
    public var size: Int
    public var maxObjects: Int
    public var itemSizes: ClosedRange<Int>
    public var fragments: Int
    public var noise: Float
    public var maxOverlap: Double

    /// - Throws: `DatasetError` (.unsupported) naming the bad field: size < 16, maxObjects < 1 (an empty scene),
    ///   item sizes outside 8…size, fragments < 0, noise outside [0, 0.5], maxOverlap outside [0, 1].
    public init(
        size: Int = 64, maxObjects: Int = 4, itemSizes: ClosedRange<Int> = 16...36, fragments: Int = 3,
        noise: Float = 0.05, maxOverlap: Double = 0.2
    ) throws {
        func bad(_ problem: String) -> DatasetError {
            DatasetError(file: "scene recipe", kind: .unsupported, problem: problem)
        }
        guard size >= 16 else { throw bad("scene size \(size) is below 16 pixels") }
        guard maxObjects >= 1 else { throw bad("maxObjects \(maxObjects): a scene needs at least one object") }
        guard itemSizes.lowerBound >= 8, itemSizes.upperBound <= size else {
            throw bad("item sizes \(itemSizes) must lie in 8...\(size)")
        }
        guard fragments >= 0 else { throw bad("fragments \(fragments) is negative") }
        guard noise >= 0, noise <= 0.5 else { throw bad("noise \(noise) outside [0, 0.5]") }
        guard maxOverlap >= 0, maxOverlap <= 1 else { throw bad("maxOverlap \(maxOverlap) outside [0, 1]") }
        self.size = size
        self.maxObjects = maxObjects
        self.itemSizes = itemSizes
        self.fragments = fragments
        self.noise = noise
        self.maxOverlap = maxOverlap
    }
}

public enum Scenes {
    /// Pixels of a pasted item at least this bright belong to its tight box.
    public static let inkThreshold: Float = 0.15

    /// `count` scenes built from `images` (train scenes from training images, test scenes from test images).
    ///
    /// - Throws: `DatasetError` if `images` is empty or `count` < 0.
    /// - Complexity: O(count · size²).
    public static func generate(
        count: Int, recipe: SceneRecipe, from images: LabeledImages, seed: UInt64
    ) throws
        -> [Scene]
    {
        guard images.count > 0 else {
            throw DatasetError(
                file: "scene source", kind: .unsupported,
                problem: "no source images to build scenes from")
        }
        guard count >= 0 else {
            throw DatasetError(file: "scene source", kind: .unsupported, problem: "scene count \(count) is negative")
        }
        return (0..<count).map { scene(index: $0, recipe: recipe, from: images, seed: seed) }
    }

    /// Scene `index` of the set with this recipe, source and seed.
    public static func scene(index: Int, recipe: SceneRecipe, from images: LabeledImages, seed: UInt64) -> Scene {
        var rng = SplitMix64(seed: seed ^ (UInt64(index) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        let n = recipe.size
        func uniform(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(rng.nextUnit() * Double(range.count))
        }
        var canvas = [Float](repeating: 0, count: n * n)
        for k in canvas.indices { canvas[k] = min(1, max(0, recipe.noise * Float(rng.nextGaussian()))) }
        // Clutter: fragments of random items.
        for _ in 0..<recipe.fragments {
            let source = uniform(0...(images.count - 1))
            let side = uniform(6...12)
            let sx = uniform(0...(images.width - side))
            let sy = uniform(0...(images.height - side))
            let x0 = uniform(0...(n - side))
            let y0 = uniform(0...(n - side))
            let gain = Float(0.5 + 0.5 * rng.nextUnit())
            for y in 0..<side {
                for x in 0..<side {
                    let v = gain * images.pixel(source, x: sx + x, y: sy + y)
                    canvas[(y0 + y) * n + x0 + x] = max(canvas[(y0 + y) * n + x0 + x], v)
                }
            }
        }
        // Objects.
        var objects = [SceneObject]()
        let wanted = uniform(1...recipe.maxObjects)
        for _ in 0..<wanted {
            let source = uniform(0...(images.count - 1))
            let side = uniform(recipe.itemSizes)
            let item = resized(images, source, to: side)
            guard let tight = tightBox(item, side: side) else { continue }
            for _ in 0..<30 {
                let x0 = uniform(0...(n - side))
                let y0 = uniform(0...(n - side))
                let object = SceneObject(
                    label: images.labels[source], xMin: x0 + tight.xMin, yMin: y0 + tight.yMin,
                    xMax: x0 + tight.xMax, yMax: y0 + tight.yMax)
                if objects.contains(where: { overlap($0, object) > recipe.maxOverlap }) { continue }
                for y in 0..<side {
                    for x in 0..<side {
                        canvas[(y0 + y) * n + x0 + x] = max(canvas[(y0 + y) * n + x0 + x], item[y * side + x])
                    }
                }
                objects.append(object)
                break
            }
        }
        if objects.isEmpty {
            // Every drawn item was blank or did not fit: place one item in the top-left corner.
            for source in 0..<images.count {
                let side = recipe.itemSizes.lowerBound
                let item = resized(images, source, to: side)
                guard let tight = tightBox(item, side: side) else { continue }
                for y in 0..<side {
                    for x in 0..<side { canvas[y * n + x] = max(canvas[y * n + x], item[y * side + x]) }
                }
                objects.append(
                    SceneObject(
                        label: images.labels[source], xMin: tight.xMin, yMin: tight.yMin,
                        xMax: tight.xMax, yMax: tight.yMax))
                break
            }
        }
        return Scene(size: n, pixels: canvas, objects: objects)
    }

    /// Image `index` resized bilinearly to `side × side` (pixel centres aligned, edges clamped).
    static func resized(_ images: LabeledImages, _ index: Int, to side: Int) -> [Float] {
        let w = images.width
        let h = images.height
        var out = [Float](repeating: 0, count: side * side)
        let sx = Double(w) / Double(side)
        let sy = Double(h) / Double(side)
        for y in 0..<side {
            let fy = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(h - 1))
            let y0 = Int(fy)
            let y1 = min(y0 + 1, h - 1)
            let ty = Float(fy - Double(y0))
            for x in 0..<side {
                let fx = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(w - 1))
                let x0 = Int(fx)
                let x1 = min(x0 + 1, w - 1)
                let tx = Float(fx - Double(x0))
                let top = images.pixel(index, x: x0, y: y0) * (1 - tx) + images.pixel(index, x: x1, y: y0) * tx
                let bottom = images.pixel(index, x: x0, y: y1) * (1 - tx) + images.pixel(index, x: x1, y: y1) * tx
                out[y * side + x] = top * (1 - ty) + bottom * ty
            }
        }
        return out
    }

    /// The smallest box holding every pixel ≥ `inkThreshold`, or nil for a blank item.
    static func tightBox(_ item: [Float], side: Int) -> (xMin: Int, yMin: Int, xMax: Int, yMax: Int)? {
        var xMin = side
        var yMin = side
        var xMax = -1
        var yMax = -1
        for y in 0..<side {
            for x in 0..<side where item[y * side + x] >= inkThreshold {
                xMin = min(xMin, x)
                xMax = max(xMax, x)
                yMin = min(yMin, y)
                yMax = max(yMax, y)
            }
        }
        return xMax < 0 ? nil : (xMin, yMin, xMax + 1, yMax + 1)
    }

    /// IoU of two objects' boxes.
    static func overlap(_ a: SceneObject, _ b: SceneObject) -> Double {
        let w = min(a.xMax, b.xMax) - max(a.xMin, b.xMin)
        let h = min(a.yMax, b.yMax) - max(a.yMin, b.yMin)
        guard w > 0, h > 0 else { return 0 }
        let i = Double(w * h)
        return i / (Double(a.width * a.height + b.width * b.height) - i)
    }
}
