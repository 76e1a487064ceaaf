import Support

/// Points with one class label each.
public struct LabeledPoints: Sendable, Equatable {
    /// `points[i]` has `labels[i]`.
    public var points: [[Double]]
    public var labels: [Int]
    /// The class centres the points were drawn around, indexed by label.
    public var centers: [[Double]]

    public var count: Int { points.count }
}

/// Small synthetic datasets for the early chapters, deterministic from their seed (`SplitMix64`).
public enum Toy {
    /// Gaussian clusters: `classes` centres drawn from N(0, I) in `dimensions` dimensions, then `perClass` points
    /// per class at centre + `spread` · N(0, I). Points are ordered by class. Same arguments, same output.
    public static func gaussianClusters(
        classes: Int, perClass: Int, dimensions: Int, spread: Double,
        seed: UInt64
    ) -> LabeledPoints {
        var rng = SplitMix64(seed: seed)
        let k = max(classes, 0)
        let d = max(dimensions, 0)
        let centers = (0..<k).map { _ in (0..<d).map { _ in rng.nextGaussian() } }
        var points = [[Double]]()
        var labels = [Int]()
        points.reserveCapacity(k * max(perClass, 0))
        for c in 0..<k {
            for _ in 0..<max(perClass, 0) {
                points.append(centers[c].map { $0 + spread * rng.nextGaussian() })
                labels.append(c)
            }
        }
        return LabeledPoints(points: points, labels: labels, centers: centers)
    }

    /// An imbalanced multi-label task with exactly controlled prevalences.
    ///
    /// Features x ~ N(0, I) in `features` dimensions. Label c has a score w_c · x / √d + 0.5 · tanh(x_a · x_b)
    /// + `noise` · N(0, 1), with w_c ~ N(0, I) and a feature pair (a, b) drawn per label (a mildly non-linear,
    /// "linear-ish" model that a linear classifier fits well but not perfectly). The round(p_c · samples) rows with
    /// the highest scores get label c, so label c's prevalence is `prevalences[c]` up to rounding.
    public static func imbalancedMultiLabel(
        samples: Int, features: Int, prevalences: [Double], noise: Double = 0.5,
        seed: UInt64
    ) -> MultiLabelData {
        var rng = SplitMix64(seed: seed)
        let n = max(samples, 0)
        let d = max(features, 1)
        let x = (0..<n).map { _ in (0..<d).map { _ in rng.nextGaussian() } }
        var labels = [[Bool]](repeating: [Bool](repeating: false, count: prevalences.count), count: n)
        let norm = 1 / Double(d).squareRoot()
        for (c, p) in prevalences.enumerated() {
            let w = (0..<d).map { _ in rng.nextGaussian() }
            let a = Int(rng.next() % UInt64(d))
            let b = Int(rng.next() % UInt64(d))
            var scores = [Double]()
            scores.reserveCapacity(n)
            for row in x {
                var s = 0.0
                for j in 0..<d { s += w[j] * row[j] }
                s = s * norm + 0.5 * Libm.tanh(row[a] * row[b]) + noise * rng.nextGaussian()
                scores.append(s)
            }
            let positives = Int((min(max(p, 0), 1) * Double(n)).rounded())
            // Highest scores first; ties (measure zero) broken by index.
            let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            for i in order.prefix(positives) { labels[i][c] = true }
        }
        return MultiLabelData(
            features: x, labels: labels, featureNames: (0..<d).map { "x\($0)" },
            labelNames: prevalences.indices.map { "label\($0)" })
    }
}
