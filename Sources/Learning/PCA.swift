// Principal component analysis: the leading directions of variance of a set of vectors, for 2-D maps of
// embeddings and pixels.
import Support

/// The leading `count` principal components of the rows of a matrix.
///
/// With X the N × d data, μ its column means and C = (X − μ)ᵀ(X − μ)/(N − 1) its covariance, the components are
/// the unit eigenvectors of C with the largest eigenvalues (the variances along them), in decreasing order.
///
/// **Method** (block power / subspace iteration with a Rayleigh–Ritz step, Halko, Martinsson & Tropp 2011):
/// 1. Q = b orthonormal random columns (d × b), b = min(d, count + oversampling).
/// 2. `iterations` times: Q ← orthonormalise((X − μ)ᵀ · ((X − μ) · Q)), i.e. Q ← orth(C·Q); the span of Q
///    turns towards the top-b eigenvectors, each direction i at the rate λ_{b+1}/λ_i per iteration.
/// 3. B = Qᵀ C Q (b × b) is diagonalised exactly (cyclic Jacobi); its eigenvectors rotate Q into the components.
///
/// The result is exact (to `Float` products) whenever the data span at most b dimensions, and otherwise
/// converges geometrically; `iterations = 30` with the default oversampling of 8 resolves the top few
/// components of embeddings and images to about 1e-4. Products run in `Float` through `matmul`; the small
/// b × b problem and the orthonormalisation run in `Double`. Deterministic for a given `seed`.
///
/// - Complexity: O(iterations · N · d · b) for the products, O(d · b² + b³) for the rest; O(N · b + d · b)
///   extra memory (the covariance is never formed).
public struct PrincipalComponents: Sendable {
    /// μ, the column means of the fitted data (d entries).
    public let mean: [Float]
    /// The components, one unit vector of d entries per component, orthogonal, by decreasing variance.
    public let components: [[Double]]
    /// The variance of the data along each component (eigenvalues of C), decreasing.
    public let variances: [Double]
    /// trace(C): the total variance of the data, summed over all d coordinates.
    public let totalVariance: Double

    /// Fits the leading `count` components of the rows of `data`.
    ///
    /// - Precondition: `data` has at least 2 rows, finite entries, and `1 ≤ count ≤ data.cols`;
    ///   `iterations ≥ 0`, `oversampling ≥ 0`.
    public init(fitting data: Matrix, count: Int, iterations: Int = 30, oversampling: Int = 8, seed: UInt64 = 1) {
        let n = data.rows
        let d = data.cols
        precondition(n >= 2, "PrincipalComponents needs at least 2 rows, got \(n)")
        precondition(count >= 1 && count <= d, "PrincipalComponents: count must be in 1...\(d), got \(count)")
        precondition(iterations >= 0 && oversampling >= 0, "PrincipalComponents: negative iterations or oversampling")
        precondition(data.storage.allSatisfy(\.isFinite), "PrincipalComponents: data has a non-finite entry")

        // μ and the centred data, in Float for the products (the means are summed in Double).
        var sums = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { sums[j] += Double(data.storage[i * d + j]) } }
        let mu = sums.map { $0 / Double(n) }
        var centred = data
        var total = 0.0
        for i in 0..<n {
            for j in 0..<d {
                let v = Double(data.storage[i * d + j]) - mu[j]
                centred.storage[i * d + j] = Float(v)
                total += v * v
            }
        }
        let scale = 1 / Double(n - 1)

        // Random start, then subspace iteration Q ← orth(Xcᵀ Xc Q).
        let b = min(d, count + oversampling)
        var rng = SplitMix64(seed: seed)
        var basis = orthonormalColumns(Matrix.randomNormal(rows: d, cols: b, using: &rng), using: &rng)
        for _ in 0..<iterations {
            let projected = matmul(centred, basis)  // N × b
            basis = orthonormalColumns(matmul(centred, projected, transposeA: true), using: &rng)  // d × b
        }

        // Rayleigh–Ritz: B = Qᵀ C Q = (Xc Q)ᵀ (Xc Q)/(N − 1), diagonalised exactly.
        let projected = matmul(centred, basis)
        var small = [[Double]](repeating: [Double](repeating: 0, count: b), count: b)
        for i in 0..<n {
            for p in 0..<b {
                let zp = Double(projected.storage[i * b + p])
                for q in p..<b { small[p][q] += zp * Double(projected.storage[i * b + q]) }
            }
        }
        for p in 0..<b {
            for q in p..<b {
                small[p][q] *= scale
                small[q][p] = small[p][q]
            }
        }
        let (values, vectors) = symmetricEigen(small)
        let order = values.indices.sorted { values[$0] > values[$1] }.prefix(count)

        mean = mu.map(Float.init)
        variances = order.map { max(0, values[$0]) }
        components = order.map { e in
            var v = (0..<d).map { j in (0..<b).reduce(0.0) { $0 + Double(basis.storage[j * b + $1]) * vectors[$1][e] } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            // A fixed sign, so that repeated fits agree: the largest-magnitude entry is positive.
            let pivot = v.indices.max { abs(v[$0]) < abs(v[$1]) } ?? 0
            let sign: Double = v[pivot] < 0 ? -1 : 1
            for j in v.indices { v[j] *= sign / max(norm, .leastNormalMagnitude) }
            return v
        }
        totalVariance = total * scale
    }

    /// The fraction of the total variance along each component (0 when the data have no variance).
    public var explainedVarianceRatio: [Double] {
        variances.map { totalVariance > 0 ? $0 / totalVariance : 0 }
    }

    /// Coordinates of the rows of `data` on the components: (x − μ)·vₖ, an N × count matrix.
    ///
    /// - Precondition: `data.cols == mean.count`.
    /// - Complexity: O(N · d · count).
    public func project(_ data: Matrix) -> Matrix {
        let d = mean.count
        precondition(data.cols == d, "PrincipalComponents.project: \(data.cols) columns, fitted on \(d)")
        var out = Matrix(rows: data.rows, cols: components.count)
        for i in 0..<data.rows {
            for (k, v) in components.enumerated() {
                var s = 0.0
                for j in 0..<d { s += (Double(data.storage[i * d + j]) - Double(mean[j])) * v[j] }
                out.storage[i * components.count + k] = Float(s)
            }
        }
        return out
    }
}

/// Orthonormal columns spanning the columns of `m` (modified Gram–Schmidt, twice, in `Double`). A column that
/// is (numerically) in the span of the earlier ones is replaced by a random direction orthogonal to them, so the
/// result always has `m.cols` orthonormal columns.
func orthonormalColumns<G: RandomNumberGenerator>(_ m: Matrix, using rng: inout G) -> Matrix {
    let rows = m.rows
    let cols = m.cols
    var columns = (0..<cols).map { c in (0..<rows).map { Double(m.storage[$0 * cols + c]) } }
    let scale = columns.map { $0.reduce(0) { max($0, abs($1)) } }.max() ?? 0
    for c in 0..<cols {
        var attempt = 0
        while true {
            for _ in 0..<2 {
                for p in 0..<c {
                    let dot = zip(columns[c], columns[p]).reduce(0) { $0 + $1.0 * $1.1 }
                    for r in 0..<rows { columns[c][r] -= dot * columns[p][r] }
                }
            }
            let norm = columns[c].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if (norm > 1e-5 * scale && norm > 0) || attempt >= 8 {
                for r in 0..<rows { columns[c][r] /= max(norm, .leastNormalMagnitude) }
                break
            }
            attempt += 1
            columns[c] = (0..<rows).map { _ in rng.nextGaussian() }
        }
    }
    var out = Matrix(rows: rows, cols: cols)
    for c in 0..<cols { for r in 0..<rows { out.storage[r * cols + c] = Float(columns[c][r]) } }
    return out
}

/// Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations.
///
/// Returns `values[k]` and `vectors` with column k (`vectors[i][k]`) the unit eigenvector of `values[k]`, in no
/// particular order. Sweeps until the off-diagonal mass is below 1e-24 of the total (at most 100 sweeps).
/// - Complexity: O(n³) per sweep; a handful of sweeps for the small matrices it is used on.
func symmetricEigen(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
    let n = matrix.count
    var a = matrix
    var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    let total = a.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } }
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<n { for q in 0..<n where q != p { off += a[p][q] * a[p][q] } }
        if off <= 1e-24 * total || off == 0 { break }
        for p in 0..<max(0, n - 1) {
            for q in (p + 1)..<n where a[p][q] != 0 {
                // The rotation J (J_pp = J_qq = c, J_pq = s, J_qp = −s) with Jᵀ A J zero at (p, q).
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot()
                let s = t * c
                for k in 0..<n {
                    let akp = a[k][p]
                    let akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p][k]
                    let aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
                for k in 0..<n {
                    let vkp = v[k][p]
                    let vkq = v[k][q]
                    v[k][p] = c * vkp - s * vkq
                    v[k][q] = s * vkp + c * vkq
                }
            }
        }
    }
    return ((0..<n).map { a[$0][$0] }, v)
}
