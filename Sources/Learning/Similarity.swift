// From raw embeddings to the cosine-similarity matrix the rank losses score: E ↦ Ê = E/‖E‖ (rows) ↦ S = Ê·Êᵀ.

/// Divides every row by its Euclidean norm, and back-propagates through that division.
///
/// Shapes: `N × d` in, `N × d` out. A row whose norm is below `epsilon` is divided by `epsilon` instead (as
/// PyTorch's `F.normalize`), so a zero row maps to zero rather than NaN; its backward is then `dY / epsilon`.
public final class L2Normalize {
    public let epsilon: Float
    private var cachedOutput: Matrix?
    private var cachedNorms: [Float] = []

    public init(epsilon: Float = 1e-12) { self.epsilon = epsilon }

    /// Ŷ_i = X_i / max(‖X_i‖, ε); caches Ŷ and the norms. O(N·d).
    public func forward(_ x: Matrix) -> Matrix {
        var y = x
        cachedNorms = [Float](repeating: 0, count: x.rows)
        for i in 0..<x.rows {
            var squares: Float = 0
            for j in 0..<x.cols { squares += x[i, j] * x[i, j] }
            let norm = max(squares.squareRoot(), epsilon)
            cachedNorms[i] = norm
            for j in 0..<x.cols { y[i, j] = x[i, j] / norm }
        }
        cachedOutput = y
        return y
    }

    /// dX_i = (dY_i − Ŷ_i · ⟨Ŷ_i, dY_i⟩) / ‖X_i‖: the component of dY along the row is removed, because
    /// moving along the row does not change its direction. (For a row clamped at ε: dX_i = dY_i / ε.) O(N·d).
    public func backward(_ dy: Matrix) -> Matrix {
        guard let y = cachedOutput else { preconditionFailure("L2Normalize.backward called before forward") }
        y.checkSameShape(dy, "L2Normalize.backward")
        var dx = dy
        for i in 0..<y.rows {
            let norm = cachedNorms[i]
            var radial: Float = 0
            if norm > epsilon {
                for j in 0..<y.cols { radial += y[i, j] * dy[i, j] }
            }
            for j in 0..<y.cols { dx[i, j] = (dy[i, j] - y[i, j] * radial) / norm }
        }
        return dx
    }
}

/// The similarity matrix S = E·Eᵀ (`N × N`) of the rows of `E` (`N × d`). When the rows are L2-normalised,
/// S_ij is the cosine similarity of items i and j and S_ii = 1.
///
/// - Complexity: O(N² d), through the fast `matmul`.
public func similarityMatrix(_ embeddings: Matrix) -> Matrix {
    matmul(embeddings, embeddings, transposeB: true)
}

/// The backward of `similarityMatrix`: for G = ∂L/∂S (`N × N`, need not be symmetric), returns
/// ∂L/∂E = (G + Gᵀ)·E (`N × d`), since every E_i enters both row i and column i of S.
///
/// - Complexity: O(N² d).
public func similarityMatrixBackward(_ gradient: Matrix, embeddings: Matrix) -> Matrix {
    precondition(
        gradient.rows == embeddings.rows && gradient.cols == embeddings.rows,
        "similarity gradient is \(gradient.rows)×\(gradient.cols), expected \(embeddings.rows)×\(embeddings.rows)")
    return matmul(gradient.addingTranspose(), embeddings)
}
