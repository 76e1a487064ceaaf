// Which kernel computes a matrix product, and the right operand packed once for it.
import CKernels

/// The kernels that can compute `matmul`: the C microkernels of the `CKernels` target, one per instruction set,
/// and the portable Swift kernel.
///
/// **What each computes.** The C kernels compute every entry of the product as one chain of fused multiply-adds
/// in increasing depth, c ← fma(a(i, p), b(p, j), c) for p = 0 ..< k from c = 0, whatever the tile, the edge or the
/// thread: they all give the same bits (IEEE fma is correctly rounded), on every machine that has one of them.
/// `portable` multiplies and adds separately (two roundings per step), in the same order; it runs everywhere and
/// is the tests' oracle for the fast paths. Each kernel's results never depend on the thread count.
///
/// **Which runs.** `best` is the widest kernel the CPU (and the OS) supports, found once from the CPU's features
/// (`__builtin_cpu_supports` on x86-64; Advanced SIMD is always there on arm64): AVX-512F, then AVX2 + FMA,
/// then `portable`.
public enum ProductKernel: String, CaseIterable, Sendable {
    /// The pure-Swift `SIMD8<Float>` kernel: 4 × 8 tiles, multiply then add. Runs everywhere.
    case portable
    /// x86-64 with AVX2 and FMA: 6 × 16 tiles.
    case avx2
    /// x86-64 with AVX-512F: 12 × 32 tiles.
    case avx512
    /// arm64 Advanced SIMD: 8 × 12 tiles.
    case neon

    /// The widest kernel this machine runs (computed once).
    public static let best: ProductKernel = {
        switch Int(ck_sgemm_best_path()) {
        case CK_PATH_AVX512: return .avx512
        case CK_PATH_AVX2: return .avx2
        case CK_PATH_NEON: return .neon
        default: return .portable
        }
    }()

    /// The kernels this machine runs, `portable` first.
    public static var supported: [ProductKernel] { allCases.filter(\.isSupported) }

    /// Whether this build and this CPU can run the kernel.
    public var isSupported: Bool { self == .portable || ck_sgemm_supported(path) != 0 }

    /// The `CKernels` path (`CK_PATH_NONE` for `portable`).
    var path: Int32 {
        switch self {
        case .portable: return Int32(CK_PATH_NONE)
        case .avx2: return Int32(CK_PATH_AVX2)
        case .avx512: return Int32(CK_PATH_AVX512)
        case .neon: return Int32(CK_PATH_NEON)
        }
    }

    /// Rows of one tile (MR) and columns of one panel (NR): work is split between threads in whole tiles.
    public var tileShape: (rows: Int, columns: Int) {
        self == .portable ? (4, 8) : (ck_sgemm_tile_rows(path), ck_sgemm_panel_width(path))
    }
}

/// op(B), a `depth × columns` right operand, packed once into the layout of `kernel`, for one or many products
/// with left operands of that depth (retrieval multiplies every block of queries by the one packed gallery).
///
/// Immutable after `init`; threads may share it.
@usableFromInline
final class PackedRightOperand: @unchecked Sendable {
    let kernel: ProductKernel
    let depth: Int
    let columns: Int
    /// The `portable` kernel's panels of 8 columns.
    private let panels: [SIMD8<Float>]
    /// The C kernels' packed floats (64-byte aligned), or nil for `portable`.
    private let buffer: UnsafeMutablePointer<Float>?
    /// Whether `buffer` was allocated here (else it is the calling thread's scratch, not to be freed).
    private let ownsBuffer: Bool

    /// Packs op(B) with op(B)(p, j) = `storage[p * depthStride + j * columnStride]`.
    ///
    /// With `threadScratch`, the C kernels pack into the calling thread's scratch buffer
    /// (`ck_sgemm_thread_scratch`: no allocation and warm memory when a training loop repeats a product); the
    /// operand is then valid only until the next product started on this thread, which is how `matmul` uses it.
    ///
    /// - Precondition: `kernel.isSupported`.
    /// - Complexity: O(depth · columns) time and memory.
    init(
        _ storage: [Float], depth: Int, columns: Int, depthStride: Int, columnStride: Int,
        kernel: ProductKernel, threadScratch: Bool = false
    ) {
        precondition(kernel.isSupported, "matmul: the \(kernel.rawValue) kernel does not run on this machine")
        self.kernel = kernel
        self.depth = depth
        self.columns = columns
        if kernel == .portable {
            panels = packColumnPanels(
                storage, cols: columns, depth: depth, depthStride: depthStride, colStride: columnStride)
            buffer = nil
            ownsBuffer = false
            return
        }
        panels = []
        let count = max(1, ck_sgemm_packed_count(kernel.path, depth, columns))
        let scratch = threadScratch ? ck_sgemm_thread_scratch(count) : nil
        let floats =
            scratch
            ?? UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(
                to: Float.self, capacity: count)
        storage.withUnsafeBufferPointer { b in
            ck_sgemm_pack_b(kernel.path, depth, columns, b.baseAddress, depthStride, columnStride, floats)
        }
        buffer = floats
        ownsBuffer = scratch == nil
    }

    deinit { if ownsBuffer { buffer?.deallocate() } }

    /// Writes rows `rows` × columns `columnRange` of op(A)·op(B) into `c` (row-major, `columns` floats per row,
    /// row i of the product at row i of `c`), with op(A)(i, p) = `a[i * rowStride + p * depthStride]`.
    ///
    /// - Precondition: `columnRange.lowerBound` is a multiple of `kernel.tileShape.columns`; one stride is 1.
    /// - Complexity: O(rows.count · columnRange.count · depth).
    func multiply(
        _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, rows: Range<Int>, columnRange: Range<Int>,
        into c: UnsafeMutablePointer<Float>
    ) {
        if rows.isEmpty || columnRange.isEmpty { return }
        guard let buffer else {
            multiplyPortable(
                a, rowStride: rowStride, depthStride: depthStride, rows: rows, columnRange: columnRange, into: c)
            return
        }
        let status = ck_sgemm_packed(
            kernel.path, rows.count, depth, a + rows.lowerBound * rowStride, rowStride, depthStride, buffer,
            columns, columnRange.lowerBound, columnRange.upperBound, c + rows.lowerBound * columns, columns)
        precondition(status == 0, "ck_sgemm_packed refused its arguments")
    }

    /// The `portable` kernel on a block of rows: packs those rows of op(A), then multiplies tile by tile.
    private func multiplyPortable(
        _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, rows: Range<Int>, columnRange: Range<Int>,
        into c: UnsafeMutablePointer<Float>
    ) {
        if depth == 0 {
            for i in rows { (c + i * columns + columnRange.lowerBound).update(repeating: 0, count: columnRange.count) }
            return
        }
        let packedA = packRowBlocks(
            a, rows: rows.count, depth: depth, rowStride: rowStride, depthStride: depthStride,
            firstRow: rows.lowerBound)
        let firstPanel = columnRange.lowerBound / 8
        let panelRange = firstPanel..<((columnRange.upperBound + 7) / 8)
        packedA.withUnsafeBufferPointer { pa in
            panels.withUnsafeBufferPointer { pb in
                multiplyTiles(
                    pa.baseAddress!, pb.baseAddress!, c + rows.lowerBound * columns, m: rows.count, n: columns,
                    k: depth, blocks: 0..<((rows.count + 3) / 4), panels: panelRange)
            }
        }
    }
}
