// Element-wise arithmetic and reductions. Every operation here is O(rows · cols).

extension Matrix {
    @usableFromInline
    func checkSameShape(_ other: Matrix, _ op: String) {
        precondition(
            rows == other.rows && cols == other.cols,
            "\(op): shapes \(rows)×\(cols) and \(other.rows)×\(other.cols) differ")
    }

    /// Applies `transform` to every entry.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: storage.map(transform))
    }

    /// Entry-wise sum. - Precondition: same shape.
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        var out = lhs
        out += rhs
        return out
    }

    /// Entry-wise difference. - Precondition: same shape.
    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        var out = lhs
        out -= rhs
        return out
    }

    /// Every entry times `scalar`.
    public static func * (scalar: Float, matrix: Matrix) -> Matrix {
        var out = matrix
        out *= scalar
        return out
    }

    /// In-place entry-wise sum. - Precondition: same shape.
    public static func += (lhs: inout Matrix, rhs: Matrix) {
        lhs.checkSameShape(rhs, "+=")
        let n = lhs.storage.count
        lhs.storage.withUnsafeMutableBufferPointer { l in
            rhs.storage.withUnsafeBufferPointer { r in
                for k in 0..<n { l[k] += r[k] }
            }
        }
    }

    /// In-place entry-wise difference. - Precondition: same shape.
    public static func -= (lhs: inout Matrix, rhs: Matrix) {
        lhs.checkSameShape(rhs, "-=")
        let n = lhs.storage.count
        lhs.storage.withUnsafeMutableBufferPointer { l in
            rhs.storage.withUnsafeBufferPointer { r in
                for k in 0..<n { l[k] -= r[k] }
            }
        }
    }

    /// In-place scaling.
    public static func *= (lhs: inout Matrix, scalar: Float) {
        lhs.storage.withUnsafeMutableBufferPointer { l in
            for k in l.indices { l[k] *= scalar }
        }
    }

    /// Entry-wise (Hadamard) product. - Precondition: same shape.
    public func hadamard(_ other: Matrix) -> Matrix {
        checkSameShape(other, "hadamard")
        var out = self
        for k in out.storage.indices { out.storage[k] *= other.storage[k] }
        return out
    }

    /// `self + Mᵀ` for a square matrix (used by the similarity backward `(G + Gᵀ)·E`).
    public func addingTranspose() -> Matrix {
        precondition(rows == cols, "addingTranspose needs a square matrix, got \(rows)×\(cols)")
        var out = self
        for i in 0..<rows {
            for j in 0..<cols { out.storage[i * cols + j] += storage[j * cols + i] }
        }
        return out
    }

    /// Adds `vector` (length `cols`) to every row: the bias of a linear layer.
    public mutating func addRowVector(_ vector: [Float]) {
        precondition(vector.count == cols, "row vector has \(vector.count) entries, expected \(cols)")
        let c = cols
        storage.withUnsafeMutableBufferPointer { s in
            vector.withUnsafeBufferPointer { v in
                for i in 0..<rows {
                    let base = i * c
                    for j in 0..<c { s[base + j] += v[j] }
                }
            }
        }
    }

    /// The sum of each column: a vector of length `cols` (the bias gradient of a linear layer).
    public func columnSums() -> [Float] {
        var sums = [Float](repeating: 0, count: cols)
        let c = cols
        storage.withUnsafeBufferPointer { s in
            for i in 0..<rows {
                let base = i * c
                for j in 0..<c { sums[j] += s[base + j] }
            }
        }
        return sums
    }

    /// The sum of all entries, accumulated in `Double`.
    public func sum() -> Double {
        storage.reduce(0.0) { $0 + Double($1) }
    }

    /// The largest absolute entry (0 for an empty matrix).
    public func maxAbs() -> Float {
        storage.reduce(0) { max($0, abs($1)) }
    }
}
