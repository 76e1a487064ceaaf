// The one tensor type of the training kit: a dense row-major matrix of `Float`.
import Support

/// A dense `rows × cols` matrix of `Float`, stored row-major in one contiguous array.
///
/// Element `(i, j)` lives at `storage[i * cols + j]`. A batch of N vectors of dimension d is an `N × d` matrix,
/// one vector per row.
///
/// **Why `Float`.** Training loops are dominated by matrix products, and single precision halves the memory
/// traffic and doubles the SIMD width of those products. The reference paths in `Rambo` use `Double`; convert
/// at the boundary with `init(_: [[Double]])` and `doubleRows`. Losses in this module accumulate in `Double`
/// and return a `Double` value; gradients are `Float` matrices.
///
/// Shape mismatches are programming errors and trap with a message (`precondition`).
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    /// Number of rows (for a batch: the number of items).
    public let rows: Int
    /// Number of columns (for a batch: the dimension of each item).
    public let cols: Int
    /// The `rows * cols` entries, row by row.
    public var storage: [Float]

    /// A matrix with every entry equal to `value`.
    ///
    /// - Precondition: `rows ≥ 0`, `cols ≥ 0`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape \(rows)×\(cols) must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// Wraps row-major storage.
    ///
    /// - Precondition: `storage.count == rows * cols`.
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(rows >= 0 && cols >= 0, "Matrix shape \(rows)×\(cols) must be non-negative")
        precondition(storage.count == rows * cols, "storage has \(storage.count) entries, expected \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows of `Float`. An empty array gives a `0 × 0` matrix.
    ///
    /// - Precondition: every row has the same length.
    public init(_ nested: [[Float]]) {
        let cols = nested.first?.count ?? 0
        var storage = [Float]()
        storage.reserveCapacity(nested.count * cols)
        for (i, row) in nested.enumerated() {
            precondition(row.count == cols, "row \(i) has \(row.count) entries, expected \(cols)")
            storage.append(contentsOf: row)
        }
        self.init(rows: nested.count, cols: cols, storage: storage)
    }

    /// A matrix from nested rows of `Double`, rounded to `Float`.
    ///
    /// - Precondition: every row has the same length.
    public init(_ nested: [[Double]]) {
        self.init(nested.map { $0.map(Float.init) })
    }

    /// The entry in row `i`, column `j`.
    @inlinable
    public subscript(i: Int, j: Int) -> Float {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// Row `i` as a new array of `cols` entries.
    public func row(_ i: Int) -> [Float] {
        Array(storage[(i * cols)..<((i + 1) * cols)])
    }

    /// A new `indices.count × cols` matrix made of the given rows, in the given order (repeats allowed).
    ///
    /// Use it to gather a minibatch: `data.rows(batchIndices)`.
    /// - Complexity: O(indices.count · cols).
    public func rows(_ indices: [Int]) -> Matrix {
        var out = [Float]()
        out.reserveCapacity(indices.count * cols)
        for i in indices {
            precondition(i >= 0 && i < rows, "row index \(i) out of 0..<\(rows)")
            out.append(contentsOf: storage[(i * cols)..<((i + 1) * cols)])
        }
        return Matrix(rows: indices.count, cols: cols, storage: out)
    }

    /// The rows as nested `[Float]` arrays.
    public var floatRows: [[Float]] { (0..<rows).map(row) }

    /// The rows as nested `[Double]` arrays (exact: every `Float` is a `Double`).
    public var doubleRows: [[Double]] { (0..<rows).map { row($0).map(Double.init) } }

    /// The transpose, a `cols × rows` matrix. O(rows · cols).
    public var transposed: Matrix {
        var out = Matrix(rows: cols, cols: rows)
        for i in 0..<rows {
            for j in 0..<cols { out.storage[j * rows + i] = storage[i * cols + j] }
        }
        return out
    }

    public var description: String {
        "Matrix \(rows)×\(cols) " + floatRows.prefix(6).map { "\($0.prefix(8))" }.joined(separator: "\n")
    }
}

// MARK: - Random matrices

extension Matrix {
    /// Entries drawn independently from N(mean, std²), row by row, from `generator`.
    ///
    /// With a `SplitMix64` the result is a pure function of the seed.
    public static func randomNormal<G: RandomNumberGenerator>(
        rows: Int, cols: Int, mean: Float = 0, std: Float = 1, using generator: inout G
    ) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for k in m.storage.indices { m.storage[k] = mean + std * Float(generator.nextGaussian()) }
        return m
    }

    /// Entries drawn independently and uniformly from `[range.lowerBound, range.upperBound)`, row by row.
    public static func randomUniform<G: RandomNumberGenerator>(
        rows: Int, cols: Int, in range: Range<Float>, using generator: inout G
    ) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        let width = Double(range.upperBound - range.lowerBound)
        for k in m.storage.indices {
            m.storage[k] = range.lowerBound + Float(width * generator.nextUnit())
        }
        return m
    }
}
