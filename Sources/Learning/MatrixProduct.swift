// Matrix products: the only hot loop of training. One packed, register-blocked kernel serves A·B, A·Bᵀ and Aᵀ·B.
import Dispatch

/// The matrix product `op(A) · op(B)`, where `op(X)` is `X` or `Xᵀ`.
///
/// | call | shapes | result |
/// |---|---|---|
/// | `matmul(a, b)` | a: m×k, b: k×n | A·B, m×n |
/// | `matmul(a, b, transposeB: true)` | a: m×k, b: n×k | A·Bᵀ, m×n |
/// | `matmul(a, b, transposeA: true)` | a: k×m, b: k×n | Aᵀ·B, m×n |
///
/// **How it is fast.** Both operands are first copied ("packed") into the order the kernel reads them:
/// B in panels of 8 columns (`SIMD8<Float>` per row of the panel), A in blocks of 4 rows (`SIMD4<Float>` per
/// column of the block), zero-padded at the edges. The kernel then computes a 4×8 tile of C with 4 vector
/// accumulators, reading both packed streams contiguously; transposition only changes how packing reads
/// memory, so all three variants run the same kernel. Row blocks of C are split across `threads` cores.
/// Summation over k is sequential per entry, so every entry is computed the same way whatever the variant,
/// tile position or thread count (results are deterministic).
///
/// - Parameters:
///   - threads: worker count; `nil` uses up to 2 threads for products of at least 2²² multiply-adds, else 1.
/// - Precondition: the inner dimensions agree.
/// - Complexity: O(m·n·k) time, O(m·k + k·n) extra memory for the packed copies.
public func matmul(
    _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
    threads: Int? = nil
) -> Matrix {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let kB = transposeB ? b.cols : b.rows
    let n = transposeB ? b.rows : b.cols
    precondition(
        k == kB,
        "matmul: inner dimensions differ (\(k) vs \(kB)); "
            + "A is \(a.rows)×\(a.cols)\(transposeA ? "ᵀ" : ""), B is \(b.rows)×\(b.cols)\(transposeB ? "ᵀ" : "")")
    if m == 0 || n == 0 || k == 0 { return Matrix(rows: m, cols: n) }

    // Strides such that op(A)(i, p) = a.storage[i * aRow + p * aCol], op(B)(p, j) = b.storage[p * bRow + j * bCol].
    let (aRow, aCol) = transposeA ? (1, a.cols) : (a.cols, 1)
    let (bRow, bCol) = transposeB ? (1, b.cols) : (b.cols, 1)
    let packedA = packRowBlocks(a.storage, rows: m, depth: k, rowStride: aRow, depthStride: aCol)
    let packedB = packColumnPanels(b.storage, cols: n, depth: k, depthStride: bRow, colStride: bCol)
    let workers = threads ?? (m * n * k >= 1 << 22 ? 2 : 1)
    return multiplyPacked(packedA, packedB, m: m, n: n, k: k, threads: workers)
}

/// The product of packed operands (see `packRowBlocks`, `packColumnPanels`) as a new `m × n` matrix.
/// Callers that multiply many row blocks by one right operand pack it once and call this directly.
@usableFromInline
func multiplyPacked(
    _ packedA: [SIMD4<Float>], _ packedB: [SIMD8<Float>], m: Int, n: Int, k: Int,
    threads: Int
) -> Matrix {
    var c = Matrix(rows: m, cols: n)
    if m == 0 || n == 0 || k == 0 { return c }
    let rowBlocks = (m + 3) / 4
    let workers = max(1, min(threads, rowBlocks))
    packedA.withUnsafeBufferPointer { pa in
        packedB.withUnsafeBufferPointer { pb in
            c.storage.withUnsafeMutableBufferPointer { pc in
                // Workers write disjoint rows of C, so sharing the raw pointers across threads is safe.
                nonisolated(unsafe) let paBase = pa.baseAddress!
                nonisolated(unsafe) let pbBase = pb.baseAddress!
                nonisolated(unsafe) let pcBase = pc.baseAddress!
                if workers == 1 {
                    multiplyTiles(paBase, pbBase, pcBase, m: m, n: n, k: k, blocks: 0..<rowBlocks)
                } else {
                    // Hand out contiguous ranges of row blocks; each worker writes disjoint rows of C.
                    let per = (rowBlocks + workers - 1) / workers
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        let range = (w * per)..<min(rowBlocks, (w + 1) * per)
                        if !range.isEmpty {
                            multiplyTiles(paBase, pbBase, pcBase, m: m, n: n, k: k, blocks: range)
                        }
                    }
                }
            }
        }
    }
    return c
}

/// Copies op(A) (m×k) into blocks of 4 rows: element `ib*k + p` holds rows 4ib…4ib+3 at depth p (zero past m).
/// `firstRow` offsets the source rows, to pack rows `firstRow ..< firstRow + m` of a larger matrix.
@usableFromInline
func packRowBlocks(
    _ src: [Float], rows m: Int, depth k: Int, rowStride: Int, depthStride: Int,
    firstRow: Int = 0
) -> [SIMD4<Float>] {
    let blocks = (m + 3) / 4
    var packed = [SIMD4<Float>](repeating: .zero, count: blocks * k)
    src.withUnsafeBufferPointer { s in
        packed.withUnsafeMutableBufferPointer { out in
            // Read along whichever direction is contiguous in memory.
            for ib in 0..<blocks {
                let rowsHere = min(4, m - ib * 4)
                if depthStride == 1 {
                    for r in 0..<rowsHere {
                        let rowBase = (firstRow + ib * 4 + r) * rowStride
                        for p in 0..<k { out[ib * k + p][r] = s[rowBase + p] }
                    }
                } else if rowStride == 1 && rowsHere == 4 {
                    // A full block of a transposed A: 4 contiguous floats per depth step.
                    let raw = UnsafeRawPointer(s.baseAddress!)
                    for p in 0..<k {
                        out[ib * k + p] = raw.loadUnaligned(
                            fromByteOffset: (p * depthStride + firstRow + ib * 4) * 4, as: SIMD4<Float>.self)
                    }
                } else {
                    for p in 0..<k {
                        for r in 0..<rowsHere {
                            out[ib * k + p][r] = s[(firstRow + ib * 4 + r) * rowStride + p * depthStride]
                        }
                    }
                }
            }
        }
    }
    return packed
}

/// Copies op(B) (k×n) into panels of 8 columns: element `jb*k + p` holds columns 8jb…8jb+7 at depth p (zero past n).
@usableFromInline
func packColumnPanels(_ src: [Float], cols n: Int, depth k: Int, depthStride: Int, colStride: Int) -> [SIMD8<Float>] {
    let panels = (n + 7) / 8
    var packed = [SIMD8<Float>](repeating: .zero, count: panels * k)
    src.withUnsafeBufferPointer { s in
        packed.withUnsafeMutableBufferPointer { out in
            // Read along whichever direction is contiguous in memory.
            for jb in 0..<panels {
                let colsHere = min(8, n - jb * 8)
                if depthStride == 1 {
                    for jj in 0..<colsHere {
                        let colBase = (jb * 8 + jj) * colStride
                        for p in 0..<k { out[jb * k + p][jj] = s[colBase + p] }
                    }
                } else if colStride == 1 && colsHere == 8 {
                    // A full panel of a row-major B: 8 contiguous floats per depth step.
                    let raw = UnsafeRawPointer(s.baseAddress!)
                    for p in 0..<k {
                        out[jb * k + p] = raw.loadUnaligned(
                            fromByteOffset: (p * depthStride + jb * 8) * 4, as: SIMD8<Float>.self)
                    }
                } else {
                    for p in 0..<k {
                        for jj in 0..<colsHere { out[jb * k + p][jj] = s[p * depthStride + (jb * 8 + jj) * colStride] }
                    }
                }
            }
        }
    }
    return packed
}

/// C rows of the given row blocks = packed A · packed B. Loops: a group of row blocks (kept hot in L2) ×
/// every panel of B (kept hot in L1) × each row block of the group → one 4×8 tile over the full depth k.
@usableFromInline
func multiplyTiles(
    _ a: UnsafePointer<SIMD4<Float>>, _ b: UnsafePointer<SIMD8<Float>>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, blocks: Range<Int>
) {
    let panels = (n + 7) / 8
    let group = 16
    var g = blocks.lowerBound
    while g < blocks.upperBound {
        let groupEnd = min(g + group, blocks.upperBound)
        for jb in 0..<panels {
            let bp = b + jb * k
            for ib in g..<groupEnd {
                let ap = a + ib * k
                var c0 = SIMD8<Float>.zero
                var c1 = SIMD8<Float>.zero
                var c2 = SIMD8<Float>.zero
                var c3 = SIMD8<Float>.zero
                for p in 0..<k {
                    let bv = bp[p]
                    let av = ap[p]
                    c0 += bv * av[0]
                    c1 += bv * av[1]
                    c2 += bv * av[2]
                    c3 += bv * av[3]
                }
                // Write the valid part of the tile.
                let rowsHere = min(4, m - ib * 4)
                let colsHere = min(8, n - jb * 8)
                let tile = (c0, c1, c2, c3)
                for r in 0..<rowsHere {
                    let v: SIMD8<Float>
                    switch r {
                    case 0: v = tile.0
                    case 1: v = tile.1
                    case 2: v = tile.2
                    default: v = tile.3
                    }
                    let out = c + (ib * 4 + r) * n + jb * 8
                    for jj in 0..<colsHere { out[jj] = v[jj] }
                }
            }
        }
        g = groupEnd
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
