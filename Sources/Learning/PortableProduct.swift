// The portable matrix-product kernel, in Swift: what runs where no C kernel does, and the tests' oracle for them.

/// Copies op(A) rows `firstRow ..< firstRow + m` (depth k) into blocks of 4 rows: element `ib*k + p` holds rows
/// 4ib…4ib+3 at depth p (zero past m), with op(A)(i, p) = `src[i * rowStride + p * depthStride]`.
func packRowBlocks(
    _ s: UnsafePointer<Float>, rows m: Int, depth k: Int, rowStride: Int, depthStride: Int,
    firstRow: Int = 0
) -> [SIMD4<Float>] {
    let blocks = (m + 3) / 4
    var packed = [SIMD4<Float>](repeating: .zero, count: blocks * k)
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
                let raw = UnsafeRawPointer(s)
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
    return packed
}

/// Copies op(B) (k×n) into panels of 8 columns: element `jb*k + p` holds columns 8jb…8jb+7 at depth p (zero past n).
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

/// C rows of the given row blocks × the given panels = packed A · packed B, C with `n` floats per row. Loops: a
/// group of row blocks (kept hot in L2) × each panel of B (kept hot in L1) × each row block of the group → one
/// 4×8 tile over the full depth k, multiplied then added at each step (`c += b * a`, two roundings).
func multiplyTiles(
    _ a: UnsafePointer<SIMD4<Float>>, _ b: UnsafePointer<SIMD8<Float>>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, blocks: Range<Int>, panels: Range<Int>
) {
    let group = 16
    var g = blocks.lowerBound
    while g < blocks.upperBound {
        let groupEnd = min(g + group, blocks.upperBound)
        for jb in panels {
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
