// The product kernels against each other and against oracles: every instruction-set path this machine runs.
import CKernels
import Support
import Testing

@testable import Learning

#if canImport(Glibc)
import Glibc
#endif

/// op(A)·op(B) with each entry one chain of fused multiply-adds in increasing depth from 0, as the C kernels
/// promise (`Float.addingProduct` is IEEE fma, correctly rounded): the exact bits every C path must give.
func fusedChainProduct(_ a: Matrix, _ b: Matrix, transposeA: Bool, transposeB: Bool) -> Matrix {
    let m = transposeA ? a.cols : a.rows
    let k = transposeA ? a.rows : a.cols
    let n = transposeB ? b.rows : b.cols
    var c = Matrix(rows: m, cols: n)
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k {
                sum = sum.addingProduct(transposeA ? a[p, i] : a[i, p], transposeB ? b[j, p] : b[p, j])
            }
            c[i, j] = sum
        }
    }
    return c
}

/// The four variants of a product of shape m × k × n: stored operands and the flags that make them m×k and k×n.
struct ProductCase: CustomStringConvertible, Sendable {
    let a: Matrix, b: Matrix, transposeA: Bool, transposeB: Bool

    static func all(m: Int, k: Int, n: Int, seed: UInt64) -> [ProductCase] {
        [(false, false), (false, true), (true, false), (true, true)].enumerated().map { index, flags in
            let s = seed &* 8 &+ UInt64(index) &* 2
            return ProductCase(
                a: flags.0 ? randomMatrix(k, m, seed: s) : randomMatrix(m, k, seed: s),
                b: flags.1 ? randomMatrix(n, k, seed: s + 1) : randomMatrix(k, n, seed: s + 1),
                transposeA: flags.0, transposeB: flags.1)
        }
    }

    var m: Int { transposeA ? a.cols : a.rows }
    var k: Int { transposeA ? a.rows : a.cols }
    var n: Int { transposeB ? b.rows : b.cols }
    var description: String { "\(m)×\(k)×\(n)\(transposeA ? " Aᵀ" : "")\(transposeB ? " Bᵀ" : "")" }

    func product(_ kernel: ProductKernel, threads: Int = 1) -> Matrix {
        matmul(a, b, transposeA: transposeA, transposeB: transposeB, threads: threads, kernel: kernel)
    }

    /// Σ_p |op(A)(i, p)| · |op(B)(p, j)| for every entry: the scale of the rounding error of entry (i, j).
    func absoluteProducts() -> [[Double]] {
        naiveMatmul(
            Matrix(rows: a.rows, cols: a.cols, storage: a.storage.map(abs)),
            Matrix(rows: b.rows, cols: b.cols, storage: b.storage.map(abs)), transposeA: transposeA,
            transposeB: transposeB)
    }
}

/// Shapes that put an edge at every block boundary of `kernel`: one tile row and one panel column, one past a
/// tile (MR + 1) and a panel (NR + 1), one short of them, one past the largest depth block and one past the
/// columns of one pass, k = 0, primes; M or N = 0 are in `emptyProducts`.
func boundaryShapes(_ kernel: ProductKernel) -> [(m: Int, k: Int, n: Int)] {
    var shapes: [(m: Int, k: Int, n: Int)] = [(1, 1, 1), (2, 3, 5), (7, 11, 13), (31, 37, 41), (3, 0, 5), (1, 97, 1)]
    let (mr, nr) = kernel.tileShape
    shapes += [(mr, 5, nr), (mr + 1, 9, nr + 1), (mr - 1, 4, nr - 1), (2 * mr + 1, 3, 2 * nr + 1)]
    if kernel != .portable {
        let largestBlock = largestDepthBlock(kernel)
        let chunk = ck_sgemm_chunk_columns(kernel.path, largestBlock)
        shapes += [(mr + 1, largestBlock + 1, nr + 3), (3, largestBlock, chunk + 1), (mr + 2, 2 * largestBlock + 1, 5)]
    }
    return shapes
}

/// The largest depth block of a C kernel: the block it uses for a depth that is one block long.
func largestDepthBlock(_ kernel: ProductKernel) -> Int {
    var k = 1
    while ck_sgemm_depth_block(kernel.path, k + 1) == k + 1 { k += 1 }
    return k
}

@Suite struct ProductKernelPaths {
    /// Every C path gives exactly the bits of the fused chain (and so of each other), on every boundary shape and
    /// every transpose variant. This is the strict test: a skipped term, a wrong edge mask or a reordered sum
    /// changes bits.
    @Test(arguments: ProductKernel.supported.filter { $0 != .portable })
    func cPathsEqualTheFusedChainBitForBit(kernel: ProductKernel) {
        for (index, shape) in boundaryShapes(kernel).enumerated() {
            for product in ProductCase.all(m: shape.m, k: shape.k, n: shape.n, seed: UInt64(index)) {
                let fast = product.product(kernel)
                let chain = fusedChainProduct(
                    product.a, product.b, transposeA: product.transposeA, transposeB: product.transposeB)
                #expect(fast.rows == product.m && fast.cols == product.n, "\(product)")
                let mismatches = zip(fast.storage, chain.storage).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(mismatches == 0, "\(kernel) \(product): \(mismatches) entries differ from the fused chain")
            }
        }
    }

    /// Every path (the portable one included) is within the forward-error bound of recursive summation of the
    /// exact product, and so within twice that bound of the portable Swift kernel.
    ///
    /// Tolerance: summing k products in Float, with or without fusing, gives |ĉ − c| ≤ γ_k · Σ_p |a_ip||b_pj| with
    /// γ_k = k·u / (1 − k·u), u = 2⁻²⁴ (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1: each of
    /// the k steps rounds once or twice, each rounding a relative error ≤ u of a partial sum bounded by
    /// Σ|a||b|). Two such results differ by at most 2γ_k · Σ|a||b|. The exact value is the Double triple loop,
    /// whose own error (γ_k in 2⁻⁵³) is added. Random data sit far inside the bound; a dropped or doubled term
    /// (an error of order |a_ip b_pj|, about Σ|a||b| / k) is far outside it for these k.
    @Test(arguments: ProductKernel.supported)
    func everyPathIsWithinTheRoundingBound(kernel: ProductKernel) {
        for (index, shape) in boundaryShapes(kernel).enumerated() {
            for product in ProductCase.all(m: shape.m, k: shape.k, n: shape.n, seed: UInt64(100 + index)) {
                let fast = product.product(kernel)
                let portable = product.product(.portable)
                let exact = naiveMatmul(
                    product.a, product.b, transposeA: product.transposeA, transposeB: product.transposeB)
                let scale = product.absoluteProducts()
                let k = Double(product.k)
                let gamma = k * 0x1p-24 / (1 - k * 0x1p-24) + k * 0x1p-53 / (1 - k * 0x1p-53)
                var worst = 0.0  // the largest error as a fraction of its bound
                for i in 0..<product.m {
                    for j in 0..<product.n {
                        let bound = gamma * scale[i][j]
                        let toExact = abs(Double(fast[i, j]) - exact[i][j])
                        let toPortable = abs(Double(fast[i, j]) - Double(portable[i, j]))
                        if toExact > 0 || toPortable > 0 {
                            worst = max(worst, toExact / bound, toPortable / (2 * bound))
                        }
                    }
                }
                #expect(worst <= 1, "\(kernel) \(product): error at \(worst) of the bound")
            }
        }
    }

    /// A hand-computed product with exact sums: every path gives it exactly.
    @Test(arguments: ProductKernel.supported)
    func handComputedProduct(kernel: ProductKernel) {
        let a = Matrix([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        let b = Matrix([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
        #expect(matmul(a, b, kernel: kernel).storage == [5, 2, 0, 11, 4, -1, 17, 6, -2])
        #expect(matmul(a, a, transposeA: true, kernel: kernel).storage == [35, 44, 44, 56])
        #expect(matmul(a, a, transposeB: true, kernel: kernel).storage == [5, 11, 17, 11, 25, 39, 17, 39, 61])
    }

    /// Threads split rows (tall products) or columns (wide ones), never the depth: the same bits for any count.
    @Test(arguments: ProductKernel.supported)
    func bitIdenticalForEveryThreadCount(kernel: ProductKernel) {
        let (mr, nr) = kernel.tileShape
        for (m, k, n) in [(20 * mr + 3, 70, 2 * nr + 1), (mr - 1, 45, 30 * nr + 5), (mr * 3, 400, nr * 3)] {
            for product in ProductCase.all(m: m, k: k, n: n, seed: UInt64(m * n)) {
                let one = product.product(kernel, threads: 1).storage.map(\.bitPattern)
                for threads in [2, 3, 7] {
                    #expect(
                        product.product(kernel, threads: threads).storage.map(\.bitPattern) == one,
                        "\(kernel) \(product) with \(threads) threads")
                }
            }
        }
    }

    /// Products started at once on several threads (each packs into its own thread's scratch buffer, of a
    /// different size each time) equal the same products computed one after another.
    @Test(arguments: ProductKernel.supported)
    func concurrentProductsDoNotShareScratch(kernel: ProductKernel) {
        let cases = (0..<12).map { i in
            ProductCase.all(m: 5 + 7 * i, k: 30 + 11 * i, n: 9 + 13 * i, seed: UInt64(i))[i % 4]
        }
        let expected = cases.map { $0.product(kernel).storage.map(\.bitPattern) }
        let results = runIndependently(
            cases.map { product in { @Sendable in product.product(kernel).storage.map(\.bitPattern) } }, threads: 4)
        #expect(results == expected)
    }

    /// M = 0 or N = 0 gives an empty result of the right shape; k = 0 gives zeros, overwriting what was there.
    @Test(arguments: ProductKernel.supported)
    func emptyProducts(kernel: ProductKernel) {
        #expect(matmul(Matrix(rows: 0, cols: 3), Matrix(rows: 3, cols: 2), kernel: kernel) == Matrix(rows: 0, cols: 2))
        #expect(matmul(Matrix(rows: 4, cols: 3), Matrix(rows: 3, cols: 0), kernel: kernel) == Matrix(rows: 4, cols: 0))
        var c = Matrix(rows: 2, cols: 2, repeating: .nan)
        matmul(Matrix(rows: 2, cols: 0), Matrix(rows: 0, cols: 2), into: &c, kernel: kernel)
        #expect(c == Matrix(rows: 2, cols: 2))
    }

    /// `matmul(into:)` overwrites every entry (a NaN-filled output leaves no trace) and equals `matmul`.
    @Test(arguments: ProductKernel.supported)
    func intoOverwritesEveryEntry(kernel: ProductKernel) {
        let a = randomMatrix(29, 300, seed: 1)
        let b = randomMatrix(300, 45, seed: 2)
        var c = Matrix(rows: 29, cols: 45, repeating: .nan)
        matmul(a, b, into: &c, kernel: kernel)
        #expect(c == matmul(a, b, kernel: kernel))
    }

    /// A column range of the C entry point writes exactly those columns, with the entries of the whole product:
    /// what lets threads share one packed B and split the columns.
    @Test(arguments: ProductKernel.supported.filter { $0 != .portable })
    func columnRangesWriteOnlyTheirColumns(kernel: ProductKernel) {
        let (m, k, n) = (5, 40, 3 * kernel.tileShape.columns + 7)
        let a = randomMatrix(m, k, seed: 3)
        let b = randomMatrix(k, n, seed: 4)
        let whole = matmul(a, b, kernel: kernel)
        let count = ck_sgemm_packed_count(kernel.path, k, n)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        defer { packed.deallocate() }
        b.storage.withUnsafeBufferPointer { ck_sgemm_pack_b(kernel.path, k, n, $0.baseAddress, n, 1, packed) }
        let nr = kernel.tileShape.columns
        for (j0, j1) in [(0, nr), (nr, 2 * nr + 3), (2 * nr, n), (3 * nr, n)] {
            var c = [Float](repeating: .nan, count: m * n)
            let status = a.storage.withUnsafeBufferPointer { pa in
                ck_sgemm_packed(kernel.path, m, k, pa.baseAddress, k, 1, packed, n, j0, j1, &c, n)
            }
            #expect(status == 0)
            for i in 0..<m {
                for j in 0..<n {
                    let expected = (j0..<j1).contains(j) ? whole[i, j].bitPattern : Float.nan.bitPattern
                    #expect(c[i * n + j].bitPattern == expected, "\(kernel) columns \(j0)..<\(j1): entry (\(i), \(j))")
                }
            }
        }
    }

    /// `best` is the widest path the CPU reports, read independently of the kernels' own detection: the flags
    /// line of /proc/cpuinfo (Linux lists a feature only when the kernel also saves its registers).
    @Test func dispatchPicksTheWidestPathTheCPUHas() throws {
        #expect(ProductKernel.best.isSupported)
        #expect(ProductKernel.portable.isSupported)
        #if os(Linux) && arch(x86_64)
        let flags = try cpuFlags()
        let expected: ProductKernel =
            flags.contains("avx512f") ? .avx512 : flags.contains("avx2") && flags.contains("fma") ? .avx2 : .portable
        #expect(ProductKernel.best == expected, "flags say \(expected), dispatch chose \(ProductKernel.best)")
        #expect(ProductKernel.avx2.isSupported == (flags.contains("avx2") && flags.contains("fma")))
        #expect(ProductKernel.avx512.isSupported == flags.contains("avx512f"))
        #expect(!ProductKernel.neon.isSupported)
        #elseif arch(arm64)
        #expect(ProductKernel.best == .neon)
        #expect(!ProductKernel.avx2.isSupported && !ProductKernel.avx512.isSupported)
        #endif
    }

    /// The C entry point refuses what it cannot do, writing nothing: an unknown path, strides with neither
    /// stride 1, a column range that does not start on a panel or runs past n.
    @Test func cEntryRefusesBadArguments() {
        let a: [Float] = [1, 2, 3, 4]
        var c: [Float] = [7, 7, 7, 7]
        #expect(ck_sgemm_packed(99, 2, 2, a, 2, 1, a, 2, 0, 2, &c, 2) == -1)
        if let kernel = ProductKernel.supported.last, kernel != .portable {
            let nr = kernel.tileShape.columns
            var packed = [Float](repeating: 0, count: ck_sgemm_packed_count(kernel.path, 2, 2) + 16)
            ck_sgemm_pack_b(kernel.path, 2, 2, a, 2, 1, &packed)
            #expect(ck_sgemm_packed(kernel.path, 1, 2, a, 3, 2, packed, 2, 0, 2, &c, 2) == -1)
            #expect(ck_sgemm_packed(kernel.path, 1, 2, a, 2, 1, packed, 2, 1, 2, &c, 2) == -1)
            #expect(ck_sgemm_packed(kernel.path, 1, 2, a, 2, 1, packed, 2, 0, 3, &c, 2) == -1)
            #expect(nr > 1)
        }
        #expect(c == [7, 7, 7, 7])
    }
}

#if os(Linux)
/// The feature flags of the first processor in /proc/cpuinfo.
func cpuFlags() throws -> Set<String> {
    guard let file = fopen("/proc/cpuinfo", "r") else { throw CPUInfoError() }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>? = nil
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0 {
        let text = String(cString: line!)
        if text.hasPrefix("flags") { return Set(text.split(whereSeparator: \.isWhitespace).map(String.init)) }
    }
    throw CPUInfoError()
}

struct CPUInfoError: Error {}
#endif
