import Rambo
import Support
import Testing

@testable import Learning

/// The batched recall loss (`RecallRows`, one radix sort per row and a merge of the moved positives) against the
/// per-list reference path (`RecallLoss.valueAndGradient` on `[[Double]]` lists, two full rankings per list):
/// the same arithmetic, so the loss and every gradient entry must be equal, not close.
@Suite struct RecallRowsTests {
    /// The reference: row q written out as a list of Doubles (without column q when excluding the diagonal).
    func reference(
        _ loss: RecallLoss, scores: Matrix, rowLabels: [Int], columnLabels: [Int], excludingDiagonal: Bool
    ) -> (loss: Double, gradient: [[Float]]) {
        var lists = [[Double]]()
        var relevance = [[Bool]]()
        for q in 0..<scores.rows {
            let columns = (0..<scores.cols).filter { !excludingDiagonal || $0 != q }
            lists.append(columns.map { Double(scores[q, $0]) })
            relevance.append(columns.map { columnLabels[$0] == rowLabels[q] })
        }
        let result = loss.valueAndGradient(scores: lists, relevance: relevance)
        var gradient = [[Float]](repeating: [Float](repeating: 0, count: scores.cols), count: scores.rows)
        for q in 0..<scores.rows {
            let columns = (0..<scores.cols).filter { !excludingDiagonal || $0 != q }
            for (k, j) in columns.enumerated() { gradient[q][j] = Float(result.gradient[q][k]) }
        }
        return (result.loss, gradient)
    }

    /// Random scores rounded to a coarse grid, so that many scores tie (the tie rule is exercised), with labels
    /// that leave some rows without a positive.
    func scores(_ rows: Int, _ cols: Int, seed: UInt64, levels: Float) -> Matrix {
        var generator = SplitMix64(seed: seed)
        var m = Matrix(rows: rows, cols: cols)
        for k in m.storage.indices { m.storage[k] = (Float(generator.nextUnit()) * levels).rounded() / levels }
        return m
    }

    @Test(arguments: [
        (RecallWeighting.log, 0.1, 3.0, true), (.loglog, 0.0, 40.0, true), (.identity, 0.25, 0.5, false),
        (.log, 0.0, 1e-3, false),
    ])
    func equalsTheReferenceBitForBit(weighting: RecallWeighting, margin: Double, lambda: Double, diagonal: Bool) {
        let loss = RecallLoss(lambda: lambda, margin: margin, weighting: weighting)
        var rows = RecallRows(loss: loss)
        var gradient = Matrix(rows: 0, cols: 0)
        var moved = 0  // gradient entries that are not zero, over the seeds
        for (seed, levels) in [(1, 4), (2, 50), (3, 1e6)] as [(UInt64, Float)] {
            let q = 13
            let n = 40
            let m = scores(q, n, seed: seed, levels: levels)
            let rowLabels = (0..<q).map { $0 % 5 == 4 ? 99 : $0 % 3 }  // label 99: no positive in the row
            let columnLabels = (0..<n).map { ($0 * 7 + Int(seed)) % 4 }
            let want = reference(
                loss, scores: m, rowLabels: rowLabels, columnLabels: columnLabels, excludingDiagonal: diagonal)
            let got = rows.valueAndGradient(
                scores: m, rowLabels: rowLabels, columnLabels: columnLabels, excludingDiagonal: diagonal,
                gradient: &gradient)
            #expect(got == want.loss, "seed \(seed)")
            #expect(gradient.floatRows == want.gradient, "seed \(seed)")
            moved += gradient.storage.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        }
        #expect(moved > 0, "a gradient that is all zero would test nothing")
    }

    /// The buffers are reused across calls of different shapes, and a batch without any positive gives 0.
    @Test func reusedAcrossShapesAndEmptyRows() {
        var rows = RecallRows(loss: RecallLoss(lambda: 2, margin: 0.1))
        var gradient = Matrix(rows: 0, cols: 0)
        let small = scores(3, 5, seed: 9, levels: 8)
        let none = rows.valueAndGradient(
            scores: small, rowLabels: [1, 2, 3], columnLabels: [4, 5, 6, 7, 8], excludingDiagonal: false,
            gradient: &gradient)
        #expect(none == 0 && gradient.rows == 3 && gradient.cols == 5 && gradient.storage.allSatisfy { $0 == 0 })
        let loss = RecallLoss(lambda: 2, margin: 0.1)
        for (r, c) in [(6, 9), (2, 30), (6, 9)] {
            let m = scores(r, c, seed: UInt64(r * c), levels: 16)
            let rowLabels = (0..<r).map { $0 % 2 }
            let columnLabels = (0..<c).map { $0 % 3 }
            let want = reference(
                loss, scores: m, rowLabels: rowLabels, columnLabels: columnLabels, excludingDiagonal: true)
            let got = rows.valueAndGradient(
                scores: m, rowLabels: rowLabels, columnLabels: columnLabels, excludingDiagonal: true,
                gradient: &gradient)
            #expect(got == want.loss && gradient.floatRows == want.gradient, "\(r)×\(c)")
        }
    }

    /// `RecallEmbeddingLoss` with memory, batch after batch, equals the reference lists it used to build:
    /// [S_q without q, E_q·M_kᵀ for the stored batches, oldest first], the same gradient bit for bit.
    @Test(arguments: [MemoryGradient.detached, .query])
    func embeddingLossEqualsTheListReference(mode: MemoryGradient) {
        let recall = RecallLoss(lambda: 9, margin: 0.1)
        var batched = RecallEmbeddingLoss(loss: recall, memorySize: 2, memoryGradient: mode)
        var past = [(e: Matrix, y: [Int])]()
        for step in 0..<4 {
            let e = L2Normalize().forward(randomMatrix(10, 5, seed: UInt64(40 + step)))
            let y = (0..<10).map { ($0 + step) % 3 }
            let s = similarityMatrix(e)
            var lists = [[Double]]()
            var relevance = [[Bool]]()
            for q in 0..<10 {
                var row = (0..<10).filter { $0 != q }.map { Double(s[q, $0]) }
                var rel = (0..<10).filter { $0 != q }.map { y[$0] == y[q] }
                for old in past {
                    let t = matmul(e, old.e, transposeB: true)
                    row += (0..<old.e.rows).map { Double(t[q, $0]) }
                    rel += old.y.map { $0 == y[q] }
                }
                lists.append(row)
                relevance.append(rel)
            }
            let result = recall.valueAndGradient(scores: lists, relevance: relevance)
            let m = past.reduce(0) { $0 + $1.e.rows }
            var gs = Matrix(rows: 10, cols: 10)
            var gt = Matrix(rows: 10, cols: m)
            for q in 0..<10 {
                var k = 0
                for j in 0..<10 where j != q {
                    gs[q, j] = Float(result.gradient[q][k])
                    k += 1
                }
                for j in 0..<m { gt[q, j] = Float(result.gradient[q][9 + j]) }
            }
            var expected = similarityMatrixBackward(gs, embeddings: e)
            if mode == .query, m > 0 {
                let stacked = Matrix(rows: m, cols: 5, storage: past.flatMap(\.e.storage))
                expected += matmul(gt, stacked)
            }
            let got = batched.evaluate(embeddings: e, labels: y)
            #expect(got.loss == result.loss, "step \(step)")
            #expect(got.gradient == expected, "step \(step)")
            past = Array((past + [(e, y)]).suffix(2))
        }
    }
}
