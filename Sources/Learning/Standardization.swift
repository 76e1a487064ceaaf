// Input standardisation: centre each feature and divide by a spread, with statistics fitted on training data
// only and then applied unchanged to any other data.

/// An affine map x ↦ (x − μ) / σ fitted on the rows of a training matrix.
///
/// μ is always the per-feature (column) mean. σ is either per feature (`.perFeature`, the usual z-score for
/// tabular data) or one number shared by all features (`.shared`, for pixels: the root-mean-square deviation
/// over all entries, so that a pixel that is nearly constant in the training set, such as an image border, is
/// not blown up by its own tiny spread). A spread below `minimumScale` is replaced by 1 (the feature is only
/// centred). Statistics are accumulated in `Double`.
public struct Standardizer: Sendable, Equatable {
    /// How σ is chosen.
    public enum Scale: Sendable, Equatable {
        /// σ_j = the standard deviation of column j.
        case perFeature
        /// σ = √(mean over all entries of (x_ij − μ_j)²), the same for every column.
        case shared
    }

    /// μ, one per feature.
    public let mean: [Float]
    /// σ, one per feature (all equal for `.shared`).
    public let scale: [Float]

    /// Fits μ and σ on the rows of `data` (population statistics, divisor N).
    ///
    /// - Precondition: `data` has at least one row and finite entries; `minimumScale > 0`.
    /// - Complexity: O(N · d), two passes.
    public init(fitting data: Matrix, scale kind: Scale = .perFeature, minimumScale: Float = 1e-6) {
        let n = data.rows
        let d = data.cols
        precondition(n >= 1, "Standardizer needs at least one row")
        precondition(minimumScale > 0, "Standardizer: minimumScale must be positive")
        precondition(data.storage.allSatisfy(\.isFinite), "Standardizer: data has a non-finite entry")
        var sums = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { sums[j] += Double(data.storage[i * d + j]) } }
        let mu = sums.map { $0 / Double(n) }
        var squares = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let e = Double(data.storage[i * d + j]) - mu[j]
                squares[j] += e * e
            }
        }
        let spreads: [Double]
        switch kind {
        case .perFeature: spreads = squares.map { ($0 / Double(n)).squareRoot() }
        case .shared:
            let shared = (squares.reduce(0, +) / Double(n * max(d, 1))).squareRoot()
            spreads = [Double](repeating: shared, count: d)
        }
        mean = mu.map(Float.init)
        scale = spreads.map { $0 < Double(minimumScale) ? 1 : Float($0) }
    }

    /// (x − μ) / σ for every row of `data`.
    ///
    /// - Precondition: `data.cols == mean.count`.
    /// - Complexity: O(N · d).
    public func apply(_ data: Matrix) -> Matrix {
        let d = mean.count
        precondition(data.cols == d, "Standardizer.apply: \(data.cols) columns, fitted on \(d)")
        var out = data
        let inverse = scale.map { 1 / $0 }
        out.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<data.rows {
                for j in 0..<d { p[i * d + j] = (p[i * d + j] - mean[j]) * inverse[j] }
            }
        }
        return out
    }
}
