import Learning
import Rambo
import Support
import Testing

@Suite struct MatrixBasics {
    @Test func layoutAndConversions() {
        let m = Matrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        #expect(m.rows == 2 && m.cols == 3)
        #expect(m.storage == [1, 2, 3, 4, 5, 6])
        #expect(m[1, 0] == 4)
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.doubleRows == [[1, 2, 3], [4, 5, 6]])
        #expect(Matrix(m.floatRows) == m)
        #expect(m.rows([1, 1, 0]).storage == [4, 5, 6, 4, 5, 6, 1, 2, 3])
        #expect(m.transposed.storage == [1, 4, 2, 5, 3, 6])
        #expect(Matrix(rows: 2, cols: 2, repeating: 7).storage == [7, 7, 7, 7])
    }

    @Test func elementWise() {
        let a = Matrix([[1.0, -2.0], [3.0, 4.0]])
        let b = Matrix([[0.5, 0.5], [-1.0, 2.0]])
        #expect((a + b).storage == [1.5, -1.5, 2, 6])
        #expect((a - b).storage == [0.5, -2.5, 4, 2])
        #expect((2 * a).storage == [2, -4, 6, 8])
        #expect(a.hadamard(b).storage == [0.5, -1, -3, 8])
        #expect(a.addingTranspose().storage == [2, 1, 1, 8])
        #expect(a.columnSums() == [4, 2])
        #expect(a.sum() == 6)
        #expect(a.maxAbs() == 4)
        var c = a
        c.addRowVector([10, 20])
        #expect(c.storage == [11, 18, 13, 24])
    }

    @Test func seededRandomIsReproducible() {
        #expect(randomMatrix(3, 4, seed: 9) == randomMatrix(3, 4, seed: 9))
        #expect(randomMatrix(3, 4, seed: 9) != randomMatrix(3, 4, seed: 10))
        var rng = SplitMix64(seed: 1)
        let u = Matrix.randomUniform(rows: 50, cols: 50, in: -1..<2, using: &rng)
        #expect(u.storage.allSatisfy { $0 >= -1 && $0 < 2 })
        let g = randomMatrix(100, 100, seed: 3)
        let mean = g.sum() / 10_000
        let variance = g.storage.reduce(0.0) { $0 + Double($1) * Double($1) } / 10_000 - mean * mean
        #expect(abs(mean) < 0.05 && abs(variance - 1) < 0.05)
    }
}

@Suite struct MatrixProducts {
    /// Shapes that exercise full tiles, ragged edges in rows (≠ 0 mod 4) and columns (≠ 0 mod 8), and k = 1.
    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (4, 3, 8), (5, 7, 3), (13, 17, 9), (33, 1, 20), (64, 40, 70),
    ]

    func check(_ fast: Matrix, _ naive: [[Double]], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fast.rows == naive.count && fast.cols == (naive.first?.count ?? 0), sourceLocation: sourceLocation)
        var error = 0.0
        for i in 0..<fast.rows { for j in 0..<fast.cols { error = max(error, abs(Double(fast[i, j]) - naive[i][j])) } }
        // Float accumulation over k ≤ 40 terms of size ~1: a few ulps of the partial sums.
        #expect(error < 1e-4, "max |fast − naive| = \(error)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 2])
    func allVariantsAgreeWithTripleLoop(threads: Int) {
        for (index, s) in Self.shapes.enumerated() {
            let seed = UInt64(index * 10)
            let a = randomMatrix(s.m, s.k, seed: seed)
            let b = randomMatrix(s.k, s.n, seed: seed + 1)
            let at = randomMatrix(s.k, s.m, seed: seed + 2)
            let bt = randomMatrix(s.n, s.k, seed: seed + 3)
            check(matmul(a, b, threads: threads), naiveMatmul(a, b))
            check(matmul(a, bt, transposeB: true, threads: threads), naiveMatmul(a, bt, transposeB: true))
            check(matmul(at, b, transposeA: true, threads: threads), naiveMatmul(at, b, transposeA: true))
            check(
                matmul(at, bt, transposeA: true, transposeB: true, threads: threads),
                naiveMatmul(at, bt, transposeA: true, transposeB: true))
        }
    }

    @Test func handComputedProduct() {
        let a = Matrix([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        let b = Matrix([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
        #expect(matmul(a, b).storage == [5, 2, 0, 11, 4, -1, 17, 6, -2])
        #expect(matmul(a, a, transposeA: true).storage == [35, 44, 44, 56])
        #expect(matmul(a, a, transposeB: true).storage == [5, 11, 17, 11, 25, 39, 17, 39, 61])
    }

    @Test func resultDoesNotDependOnThreadCount() {
        let a = randomMatrix(150, 70, seed: 5)
        let b = randomMatrix(70, 90, seed: 6)
        #expect(matmul(a, b, threads: 1) == matmul(a, b, threads: 2))
        #expect(matmul(a, b, threads: 1) == matmul(a, b, threads: 7))
    }

    @Test func emptyShapes() {
        #expect(matmul(Matrix(rows: 0, cols: 3), Matrix(rows: 3, cols: 2)) == Matrix(rows: 0, cols: 2))
        #expect(matmul(Matrix(rows: 2, cols: 0), Matrix(rows: 0, cols: 2)) == Matrix(rows: 2, cols: 2))
    }
}
