// Feature standardisation: z = (x − μ) / σ per feature, with μ and σ measured on the training rows only, so that
// validation and test rows are transformed with statistics they did not contribute to.

/// Per-feature standardisation fitted on a set of rows.
///
///     μ_j = (1/n) Σ_i x_ij,   σ_j = √((1/n) Σ_i (x_ij − μ_j)²)   (population σ, divisor n)
///     z_ij = (x_ij − μ_j) / σ_j
///
/// A feature that is constant on the fitted rows (σ_j = 0, or below `minimumDeviation`) is only centred: its σ_j is
/// stored as 1, so it maps to 0 on the fitted rows and never to ±∞ or NaN elsewhere.
public struct Standardiser: Sendable, Equatable {
    /// μ_j, one per feature.
    public let means: [Double]
    /// σ_j, one per feature (1 for constant features).
    public let deviations: [Double]

    /// Measures μ and σ of every column of `rows`.
    ///
    /// - Precondition: `rows` is non-empty, every row has the same length, and every value is finite.
    /// - Complexity: O(n·d), two passes (the second on centred values, for accuracy).
    public init(fitting rows: [[Double]], minimumDeviation: Double = 1e-12) {
        precondition(!rows.isEmpty, "Standardiser needs at least one row")
        let d = rows[0].count
        precondition(rows.allSatisfy { $0.count == d }, "Standardiser: rows differ in length")
        precondition(rows.allSatisfy { $0.allSatisfy(\.isFinite) }, "Standardiser: rows hold a non-finite value")
        let n = Double(rows.count)
        var mean = [Double](repeating: 0, count: d)
        for row in rows { for j in 0..<d { mean[j] += row[j] } }
        for j in 0..<d { mean[j] /= n }
        var variance = [Double](repeating: 0, count: d)
        for row in rows {
            for j in 0..<d {
                let c = row[j] - mean[j]
                variance[j] += c * c
            }
        }
        means = mean
        deviations = variance.map { v in
            let s = (v / n).squareRoot()
            return s > minimumDeviation ? s : 1
        }
    }

    /// The number of features.
    public var count: Int { means.count }

    /// z = (x − μ) / σ for one row.
    ///
    /// - Precondition: `row.count == count`.
    public func transform(_ row: [Double]) -> [Double] {
        precondition(row.count == count, "Standardiser: row has \(row.count) features, fitted on \(count)")
        return (0..<count).map { (row[$0] - means[$0]) / deviations[$0] }
    }

    /// z = (x − μ) / σ for every row.
    public func transform(_ rows: [[Double]]) -> [[Double]] { rows.map(transform) }
}
