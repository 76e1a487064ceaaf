// The recall loss on the rows of a score matrix (the training path of `RecallEmbeddingLoss`): each row through
// RankKernel's positives-only backward (one radix sort, a sort of the row's positives, a merge) in reused buffers.
import Rambo
import RankKernel

/// RaMBO's recall loss (`Rambo.RecallLoss`, Eqs. 14–20) on the Q rows of a `Float` score matrix, with the same loss
/// and the same gradient, bit for bit, as `RecallLoss.valueAndGradient` on the rows written out as `[[Double]]`
/// lists (the reference path the tests compare it with).
///
/// Row q ranks its columns j (all of them, or all but j = q with `excludingDiagonal`); column j is a positive of
/// row q when `columnLabels[j] == rowLabels[q]`. The scores are widened to `Double` and margin-shifted exactly as
/// the reference does, so every ranking and every tie is the reference's.
///
/// **Why it is faster.** The reference builds two `[[Double]]` copies of the lists and ranks every list twice:
/// once for the forward, once more with the perturbed scores y + λ·dL/drk for the backward. Here each row goes
/// through RankKernel's `positivesOnlyBackward`, the blackbox backward of a loss whose upstream is zero on the
/// negatives (the AP loss's fast path is the other): the negatives keep their scores and their order in the
/// perturbed ranking, so the row is sorted once, its positives are sorted again by their perturbed scores, and a
/// merge of the two gives the perturbed ranking, in buffers that live as long as the value.
///
/// - Complexity: per row, one radix sort of the row and one of its p positives (O(n)) and O(n) walks; no
///   allocation once the buffers have grown to the row length.
public struct RecallRows {
    /// The loss (its λ, margin and weighting).
    public let loss: RecallLoss
    private var workspace = RankingWorkspace()
    private var row: [Double] = []  // the row's scores, widened to Double, in list order
    private var relevant: [Bool] = []
    private var rowGradient: [Double] = []  // dL/dỹ of the row, by list index

    public init(loss: RecallLoss) {
        self.loss = loss
    }

    /// The loss over the rows of `scores` (Q × n) and dL/dscores written into `gradient` (Q × n, zero at the
    /// excluded diagonal and in rows without a positive). The loss is 0 with a zero gradient when no row has a
    /// positive.
    ///
    /// - Parameters:
    ///   - scores: Q × n finite scores, row q = query q.
    ///   - rowLabels: Q labels; `columnLabels`: n labels.
    ///   - excludingDiagonal: drop column q from row q (the self-pair); needs n ≥ Q.
    ///   - gradient: receives dL/dscores; replaced by a Q × n matrix if its shape differs.
    /// - Precondition: the label counts match the shape; at least one column is left in every row.
    public mutating func valueAndGradient(
        scores: Matrix, rowLabels: [Int], columnLabels: [Int], excludingDiagonal: Bool, gradient: inout Matrix
    ) -> Double {
        let rows = scores.rows
        let n = scores.cols
        precondition(rowLabels.count == rows, "RecallRows: \(rows) rows with \(rowLabels.count) labels")
        precondition(columnLabels.count == n, "RecallRows: \(n) columns with \(columnLabels.count) labels")
        precondition(!excludingDiagonal || n >= rows, "RecallRows: the diagonal needs n ≥ Q (\(n) < \(rows))")
        let length = excludingDiagonal ? n - 1 : n
        precondition(length >= 1, "RecallRows: empty lists")
        if gradient.rows != rows || gradient.cols != n {
            gradient = Matrix(rows: rows, cols: n)
        } else {
            gradient.storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        // Rows with a positive: the loss is their mean, so every upstream carries 1/valid.
        var counts = [Int: Int]()
        for label in columnLabels { counts[label, default: 0] += 1 }
        var valid = 0
        for q in 0..<rows {
            let selfPair = excludingDiagonal && columnLabels[q] == rowLabels[q] ? 1 : 0
            let positives = counts[rowLabels[q], default: 0] - selfPair
            if positives > 0 { valid += 1 }
        }
        guard valid > 0 else { return 0 }
        let factor = 1 / Double(valid)
        row.resizeUninitialized(to: length)
        relevant.resizeUninitialized(to: length)
        rowGradient.resizeUninitialized(to: length)
        var total = 0.0
        for q in 0..<rows {
            let skip = excludingDiagonal ? q : -1
            var positives = 0
            scores.storage.withUnsafeBufferPointer { s in
                let scoresOfRow = s.baseAddress! + q * n
                var i = 0
                for j in 0..<n where j != skip {
                    let isPositive = columnLabels[j] == rowLabels[q]
                    row[i] = Double(scoresOfRow[j])
                    relevant[i] = isPositive
                    if isPositive { positives += 1 }
                    i += 1
                }
            }
            guard positives > 0 else { continue }
            total += rowLossAndGradient(positives: positives, factor: factor) / Double(positives)
            // Write the row's gradient back to matrix columns.
            gradient.storage.withUnsafeMutableBufferPointer { g in
                let out = g.baseAddress! + q * n
                rowGradient.withUnsafeBufferPointer { d in
                    var i = 0
                    for j in 0..<n where j != skip {
                        out[j] = Float(d[i])
                        i += 1
                    }
                }
            }
        }
        return total / Double(valid)
    }

    /// One row in `row`/`relevant`, shifted by the margin as `applyMargin` shifts it (ỹ = y − α/2 for positives,
    /// y + α/2 for negatives, in Double): returns Σ_pos ℓ(r_i) (summed in ranked order, as the reference) and leaves
    /// dL/dỹ in `rowGradient`.
    private mutating func rowLossAndGradient(positives: Int, factor: Double) -> Double {
        let terms = RecallTerms(weighting: loss.weighting, factor: factor, positives: positives)
        let half = loss.margin / 2
        let lambda = loss.lambda
        return row.withUnsafeBufferPointer { y in
            relevant.withUnsafeBufferPointer { rel in
                rowGradient.withUnsafeMutableBufferPointer { out in
                    workspace.positivesOnlyBackward(
                        scores: y, relevance: rel, positives: positives, half: half, lambda: lambda, terms: terms,
                        gradient: out.baseAddress!)
                }
            }
        }
    }
}

/// The recall loss's terms of one positive (Eqs. 17–20): ℓ(r) with r = rk − rk⁺ the negatives ahead of it, and
/// dL/drk = factor · ℓ'(r)/#pos, the expressions of `RecallLoss`'s reference path.
struct RecallTerms: PositiveRankTerms {
    let weighting: RecallWeighting
    let factor: Double
    let positiveCount: Double

    init(weighting: RecallWeighting, factor: Double, positives: Int) {
        self.weighting = weighting
        self.factor = factor
        self.positiveCount = Double(positives)
    }

    @inline(__always)
    func term(rankAll: Int, rankPositive: Int) -> Double {
        weighting.value(Double(rankAll - rankPositive))
    }

    @inline(__always)
    func upstream(rankAll: Int, rankPositive: Int) -> Double {
        factor * weighting.derivative(Double(rankAll - rankPositive)) / positiveCount
    }
}
