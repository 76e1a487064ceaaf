/// A set of same-sized grey images with integer class labels, pixels flattened row-major into one array.
///
/// Pixels are `Float` in [0, 1] (0 = background/black, 1 = full intensity). Image `i` occupies
/// `pixels[i * pixelCount ..< (i + 1) * pixelCount]`. Storing one flat array keeps 60,000 Fashion-MNIST images at
/// 188 MB instead of 60,000 separately allocated rows.
public struct LabeledImages: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Row-major pixels of all images, `count * width * height` values in [0, 1].
    public var pixels: [Float]
    /// `labels[i]` is the class of image `i`, in `0 ..< classNames.count`.
    public var labels: [Int]
    /// Human-readable class names, indexed by label.
    public var classNames: [String]

    public init(width: Int, height: Int, pixels: [Float], labels: [Int], classNames: [String]) {
        precondition(
            width > 0 && height > 0 && pixels.count == labels.count * width * height,
            "LabeledImages: \(pixels.count) pixels for \(labels.count) images of \(width)×\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }

    /// The number of images.
    public var count: Int { labels.count }
    /// Pixels per image (`width * height`), the feature dimension when images are flattened.
    public var pixelCount: Int { width * height }

    /// The pixels of image `i`.
    public func image(_ i: Int) -> ArraySlice<Float> {
        pixels[i * pixelCount..<(i + 1) * pixelCount]
    }

    /// The pixel at column `x`, row `y` of image `i`.
    public func pixel(_ i: Int, x: Int, y: Int) -> Float { pixels[i * pixelCount + y * width + x] }

    /// Every image as its own row (convenient for small sets; allocates `count` arrays).
    public var rows: [[Float]] { (0..<count).map { Array(image($0)) } }

    /// The images at `indices`, in that order.
    public func subset<S: Sequence>(_ indices: S) -> LabeledImages where S.Element == Int {
        var px = [Float]()
        var lb = [Int]()
        for i in indices {
            px.append(contentsOf: image(i))
            lb.append(labels[i])
        }
        return LabeledImages(width: width, height: height, pixels: px, labels: lb, classNames: classNames)
    }

    /// The first `n` images (all of them if there are fewer).
    public func prefix(_ n: Int) -> LabeledImages { subset(0..<min(max(n, 0), count)) }

    /// How many images each class has, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for l in labels where l >= 0 && l < counts.count { counts[l] += 1 }
        return counts
    }
}

/// Features with several binary labels per row (the yeast data, the imbalanced multi-label toy).
public struct MultiLabelData: Sendable, Equatable {
    /// `features[i]` is row `i`'s feature vector; all rows have the same length.
    public var features: [[Double]]
    /// `labels[i][c]` says whether row `i` has label `c`.
    public var labels: [[Bool]]
    public var featureNames: [String]
    public var labelNames: [String]

    public init(features: [[Double]], labels: [[Bool]], featureNames: [String], labelNames: [String]) {
        self.features = features
        self.labels = labels
        self.featureNames = featureNames
        self.labelNames = labelNames
    }

    public var count: Int { features.count }

    /// Positives per label.
    public var labelCounts: [Int] {
        var counts = [Int](repeating: 0, count: labelNames.count)
        for row in labels { for (c, on) in row.enumerated() where on { counts[c] += 1 } }
        return counts
    }

    /// The fraction of rows carrying each label.
    public var prevalences: [Double] { labelCounts.map { count == 0 ? 0 : Double($0) / Double(count) } }

    /// Rows `range` (clamped to the data).
    public func rows(_ range: Range<Int>) -> MultiLabelData {
        let r = range.clamped(to: 0..<count)
        return MultiLabelData(
            features: Array(features[r]), labels: Array(labels[r]),
            featureNames: featureNames, labelNames: labelNames)
    }
}
