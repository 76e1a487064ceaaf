// Principal components, for drawing embeddings in the plane.

/// The leading principal components of the rows of a matrix.
///
/// `fit` centres the rows, forms the d×d covariance C = XᶜᵀXᶜ/(N − 1) in `Double` and finds its top `count`
/// eigenvectors by orthogonal (subspace) iteration with Gram–Schmidt. Components are ordered by variance
/// (eigenvalue), and each is signed so that its entry of largest magnitude is positive, which makes the result
/// deterministic.
public struct PrincipalComponents: Sendable {
    /// The mean row (length d).
    public let mean: [Double]
    /// `components[k]` is the k-th unit eigenvector (length d), by decreasing variance.
    public let components: [[Double]]
    /// The variance along each component (its covariance eigenvalue).
    public let variances: [Double]

    /// - Parameters:
    ///   - x: N × d, N ≥ 2.
    ///   - count: how many components, 1 ≤ count ≤ d.
    ///   - iterations: subspace iterations (convergence is geometric in the eigenvalue gaps).
    /// - Complexity: O(N d² + iterations · d² · count).
    public static func fit(_ x: Matrix, count: Int = 2, iterations: Int = 200) -> PrincipalComponents {
        let n = x.rows, d = x.cols
        precondition(n >= 2 && count >= 1 && count <= d, "PCA of \(n)×\(d) rows for \(count) components")
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i, j]) } }
        mean = mean.map { $0 / Double(n) }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        var centred = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d { centred[j] = Double(x[i, j]) - mean[j] }
            for a in 0..<d where centred[a] != 0 {
                for b in a..<d { covariance[a][b] += centred[a] * centred[b] }
            }
        }
        for a in 0..<d {
            for b in a..<d {
                covariance[a][b] /= Double(n - 1)
                covariance[b][a] = covariance[a][b]
            }
        }
        func multiply(_ v: [Double]) -> [Double] {
            covariance.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        // Start from a fixed, generic basis: e_k plus a small deterministic spread over all coordinates.
        var basis = [[Double]]()
        for k in 0..<count {
            var v = [Double](repeating: 0, count: d)
            for j in 0..<d { v[j] = (j == k ? 1.0 : 0.0) + 0.01 * Double((j * 7 + k * 3) % 11 + 1) }
            basis.append(v)
        }
        for _ in 0..<max(1, iterations) {
            basis = orthonormalised(basis.map(multiply))
        }
        var pairs = basis.map { v -> (vector: [Double], variance: Double) in
            (v, zip(v, multiply(v)).reduce(0) { $0 + $1.0 * $1.1 })
        }
        pairs.sort { $0.variance > $1.variance }
        let signed = pairs.map { pair -> [Double] in
            let largest = pair.vector.max { abs($0) < abs($1) } ?? 1
            return largest < 0 ? pair.vector.map { -$0 } : pair.vector
        }
        return PrincipalComponents(mean: mean, components: signed, variances: pairs.map { $0.variance })
    }

    /// The coordinates of each row of `x` (N × d) along the components: N rows of `components.count` values.
    public func project(_ x: Matrix) -> [[Double]] {
        precondition(x.cols == mean.count, "project: \(x.cols) columns, fitted on \(mean.count)")
        return (0..<x.rows).map { i in
            components.map { c in (0..<x.cols).reduce(0) { $0 + (Double(x[i, $1]) - mean[$1]) * c[$1] } }
        }
    }

    /// Gram–Schmidt, twice for stability; a vector that vanishes is replaced by a unit coordinate vector.
    static func orthonormalised(_ vectors: [[Double]]) -> [[Double]] {
        var result = [[Double]]()
        for v in vectors {
            var u = v
            for _ in 0..<2 {
                for r in result {
                    let dot = zip(u, r).reduce(0) { $0 + $1.0 * $1.1 }
                    for j in u.indices { u[j] -= dot * r[j] }
                }
            }
            var norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm < 1e-300 {
                u = u.indices.map { $0 == result.count % max(1, u.count) ? 1 : 0 }
                norm = 1
            }
            result.append(u.map { $0 / norm })
        }
        return result
    }
}
