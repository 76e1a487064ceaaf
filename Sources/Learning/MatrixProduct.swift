// Matrix products: the only hot loop of training. A·B, A·Bᵀ and Aᵀ·B run on one kernel, chosen at run time.
import Dispatch

/// The matrix product `op(A) · op(B)`, where `op(X)` is `X` or `Xᵀ`.
///
/// | call | shapes | result |
/// |---|---|---|
/// | `matmul(a, b)` | a: m×k, b: k×n | A·B, m×n |
/// | `matmul(a, b, transposeB: true)` | a: m×k, b: n×k | A·Bᵀ, m×n |
/// | `matmul(a, b, transposeA: true)` | a: k×m, b: k×n | Aᵀ·B, m×n |
///
/// **How it is fast.** op(B) is copied once ("packed") into panels of the kernel's width, in the order the
/// kernel reads them; A is read in place. The kernel (`ProductKernel.best` unless `kernel` says otherwise: the C
/// microkernels for AVX-512, AVX2 or NEON, else the portable Swift kernel) computes tiles of C in registers.
/// Transposition only changes the strides, so all variants run the same kernels.
///
/// **Exactly what it computes.** Each entry is summed in increasing depth; the C kernels use one fused
/// multiply-add per step (see `ProductKernel`). Threads take disjoint blocks of rows (or of columns, when there
/// are more column panels than row tiles), never parts of the depth, so results do not depend on `threads`.
///
/// - Parameters:
///   - threads: worker count; `nil` uses up to 2 threads for products of at least 2²² multiply-adds, else 1.
///   - kernel: the kernel to run; it must be supported (`ProductKernel.isSupported`).
/// - Precondition: the inner dimensions agree.
/// - Complexity: O(m·n·k) time; O(k·n) extra memory for the packed copy of op(B), kept by the calling thread
///   for its next product (`ck_sgemm_thread_scratch`).
public func matmul(
    _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
    threads: Int? = nil, kernel: ProductKernel = .best
) -> Matrix {
    let shape = ProductShape(a, b, transposeA: transposeA, transposeB: transposeB)
    let storage = [Float](unsafeUninitializedCapacity: shape.m * shape.n) { c, count in
        multiply(a, b, shape, into: c.baseAddress, threads: threads, kernel: kernel)
        count = shape.m * shape.n
    }
    return Matrix(rows: shape.m, cols: shape.n, storage: storage)
}

/// `matmul` writing into an existing `m × n` matrix `c` (every entry is overwritten; nothing is allocated for
/// the result).
///
/// - Precondition: the inner dimensions agree and `c` has the product's shape.
public func matmul(
    _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false, into c: inout Matrix,
    threads: Int? = nil, kernel: ProductKernel = .best
) {
    let shape = ProductShape(a, b, transposeA: transposeA, transposeB: transposeB)
    precondition(
        c.rows == shape.m && c.cols == shape.n,
        "matmul: the result is \(shape.m)×\(shape.n) but the output matrix is \(c.rows)×\(c.cols)")
    c.storage.withUnsafeMutableBufferPointer { out in
        multiply(a, b, shape, into: out.baseAddress, threads: threads, kernel: kernel)
    }
}

/// The shape of op(A)·op(B) and the strides that read op(A)(i, p) = a[i * aRow + p * aDepth] and
/// op(B)(p, j) = b[p * bDepth + j * bColumn].
struct ProductShape {
    let m: Int, k: Int, n: Int
    let aRow: Int, aDepth: Int, bDepth: Int, bColumn: Int

    init(_ a: Matrix, _ b: Matrix, transposeA: Bool, transposeB: Bool) {
        m = transposeA ? a.cols : a.rows
        k = transposeA ? a.rows : a.cols
        let kB = transposeB ? b.cols : b.rows
        n = transposeB ? b.rows : b.cols
        precondition(
            k == kB,
            "matmul: inner dimensions differ (\(k) vs \(kB)); A is \(a.rows)×\(a.cols)\(transposeA ? "ᵀ" : ""), "
                + "B is \(b.rows)×\(b.cols)\(transposeB ? "ᵀ" : "")")
        (aRow, aDepth) = transposeA ? (1, a.cols) : (a.cols, 1)
        (bDepth, bColumn) = transposeB ? (1, b.cols) : (b.cols, 1)
    }
}

/// Packs op(B) and writes all of op(A)·op(B) to `c` (`m · n` floats), on `threads` workers.
private func multiply(
    _ a: Matrix, _ b: Matrix, _ shape: ProductShape, into c: UnsafeMutablePointer<Float>?, threads: Int?,
    kernel: ProductKernel
) {
    guard let c, shape.m > 0, shape.n > 0 else { return }
    let packed = PackedRightOperand(
        b.storage, depth: shape.k, columns: shape.n, depthStride: shape.bDepth, columnStride: shape.bColumn,
        kernel: kernel, threadScratch: true)
    let workers = threads ?? (shape.m * shape.n * shape.k >= 1 << 22 ? 2 : 1)
    a.storage.withUnsafeBufferPointer { pa in
        multiplySplit(
            pa.baseAddress!, rowStride: shape.aRow, depthStride: shape.aDepth, rows: shape.m, packed, into: c,
            threads: workers)
    }
}

/// Rows `0 ..< rows` of op(A)·op(B) into `c`, split between `threads` workers along whichever of rows (whole
/// tiles) and columns (whole panels) has more blocks. The split never touches the depth, so each entry is
/// computed the same way for every thread count.
@usableFromInline
func multiplySplit(
    _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, rows: Int, _ packed: PackedRightOperand,
    into c: UnsafeMutablePointer<Float>, threads: Int
) {
    let n = packed.columns
    let (tileRows, panelWidth) = packed.kernel.tileShape
    let rowBlocks = (rows + tileRows - 1) / tileRows
    let panels = (n + panelWidth - 1) / panelWidth
    let splitRows = rowBlocks >= panels
    let blocks = splitRows ? rowBlocks : panels
    let workers = max(1, min(threads, blocks))
    nonisolated(unsafe) let a = a
    nonisolated(unsafe) let c = c  // workers write disjoint blocks of C
    @Sendable func work(_ w: Int) {
        let first = w * blocks / workers
        let last = (w + 1) * blocks / workers
        if splitRows {
            packed.multiply(
                a, rowStride: rowStride, depthStride: depthStride,
                rows: (first * tileRows)..<min(rows, last * tileRows), columnRange: 0..<n, into: c)
        } else {
            packed.multiply(
                a, rowStride: rowStride, depthStride: depthStride, rows: 0..<rows,
                columnRange: (first * panelWidth)..<min(n, last * panelWidth), into: c)
        }
    }
    if workers == 1 {
        work(0)
    } else {
        DispatchQueue.concurrentPerform(iterations: workers, execute: work)
    }
}

/// The textbook triple loop `op(A)·op(B)` in `Double` accumulation: slow, obviously correct, for tests and checks.
///
/// - Complexity: O(m·n·k).
public func naiveMatmul(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> [[Double]] {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let n = transposeB ? b.rows : b.cols
    precondition(k == (transposeB ? b.cols : b.rows), "naiveMatmul: inner dimensions differ")
    func av(_ i: Int, _ p: Int) -> Double { Double(transposeA ? a[p, i] : a[i, p]) }
    func bv(_ p: Int, _ j: Int) -> Double { Double(transposeB ? b[j, p] : b[p, j]) }
    return (0..<m).map { i in (0..<n).map { j in (0..<k).reduce(0.0) { $0 + av(i, $1) * bv($1, j) } } }
}
