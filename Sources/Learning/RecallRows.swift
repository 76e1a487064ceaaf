// The recall loss on the rows of a score matrix (the training path of `RecallEmbeddingLoss`): one radix sort per
// row into reused buffers, a sort of the row's positives only for the backward, and a merge.
import Rambo
import RankKernel

/// RaMBO's recall loss (`Rambo.RecallLoss`, Eqs. 14–20) on the Q rows of a `Float`
/// score matrix, with the same loss and the same gradient, bit for bit, as `RecallLoss.valueAndGradient` on the
/// rows written out as `[[Double]]` lists (the reference path the tests compare it with).
///
/// Row q ranks its columns j (all of them, or all but j = q with `excludingDiagonal`); column j is a positive of
/// row q when `columnLabels[j] == rowLabels[q]`. The scores are widened to `Double` and margin-shifted exactly as
/// the reference does, so every ranking and every tie is the reference's.
///
/// **Why it is faster.** The reference builds two `[[Double]]` copies of the lists and ranks every list twice:
/// once for the forward, once more with the perturbed scores y + λ·dL/drk for the backward. Here each row is
/// ranked once, by the radix kernel, in buffers that live as long as the value. The backward needs no second
/// full ranking: dL/drk is 0 for negatives, so they keep their scores and their order in the perturbed ranking;
/// only the positives move up. They are sorted by their perturbed scores (ties by index) and merged with the
/// negatives in forward order, which is the perturbed ranking of the whole row.
///
/// - Complexity: per row, one radix sort of the row (O(n)), a comparison sort of its p positives
///   (O(p log p)) and O(n) walks; no allocation once the buffers have grown to the row length.
public struct RecallRows {
    /// The loss (its λ, margin and weighting).
    public let loss: RecallLoss
    private var workspace = RankingWorkspace()
    private var shifted: [Double] = []  // the row's margin-shifted scores, in list order
    private var relevant: [Bool] = []
    private var order: [Int] = []  // the forward order: order[position] = list index
    private var ranks: [Int] = []  // forward ranks rk(ỹ), 1-based
    private var rowGradient: [Double] = []  // dL/dỹ of the row, by list index
    private var movers: [(key: UInt64, index: Int)] = []  // positives by perturbed key

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
        shifted.resizeUninitialized(to: length)
        relevant.resizeUninitialized(to: length)
        rowGradient.resizeUninitialized(to: length)
        var total = 0.0
        for q in 0..<rows {
            let skip = excludingDiagonal ? q : -1
            var positives = 0
            let half = loss.margin / 2
            scores.storage.withUnsafeBufferPointer { s in
                let row = s.baseAddress! + q * n
                var i = 0
                for j in 0..<n where j != skip {
                    let isPositive = columnLabels[j] == rowLabels[q]
                    // As `applyMargin`: ỹ = y − α/2 for positives, y + α/2 for negatives, in Double.
                    shifted[i] = Double(row[j]) + (isPositive ? -half : half)
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

    /// One row in `shifted`/`relevant`: returns Σ_pos ℓ(r_i) (summed in ranked order, as the reference) and leaves
    /// dL/dỹ in `rowGradient`.
    private mutating func rowLossAndGradient(positives: Int, factor: Double) -> Double {
        let n = shifted.count
        let lambda = loss.lambda
        let weighting = loss.weighting
        workspace.argsortDescending(shifted, into: &order)
        ranks.resizeUninitialized(to: n)
        movers.removeAll(keepingCapacity: true)
        var sum = 0.0
        var positivesSoFar = 0
        for position in 0..<n {
            let index = order[position]
            ranks[index] = position + 1
            guard relevant[index] else { continue }
            positivesSoFar += 1
            let r = Double(position + 1 - positivesSoFar)
            sum += weighting.value(r)
            // The reference's upstream factor · ℓ'(r) / #pos, and its perturbed score ỹ + λ · upstream.
            let up = factor * weighting.derivative(r) / Double(positives)
            movers.append((descendingRadixKey(shifted[index] + lambda * up), index))
        }
        movers.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
        // Merge: negatives in forward order (their keys are unchanged) with the positives by perturbed key.
        // Position p of the merged order is rk(ỹ_λ) − 1; the gradient is −(rk − rk_λ)/λ.
        var next = 0  // next mover
        var position = 0
        for forward in 0..<n {
            let index = order[forward]
            if relevant[index] { continue }
            let key = descendingRadixKey(shifted[index])
            while next < movers.count
                && (movers[next].key < key || (movers[next].key == key && movers[next].index < index))
            {
                let mover = movers[next].index
                rowGradient[mover] = -Double(ranks[mover] - (position + 1)) / lambda
                position += 1
                next += 1
            }
            rowGradient[index] = -Double(ranks[index] - (position + 1)) / lambda
            position += 1
        }
        while next < movers.count {
            let mover = movers[next].index
            rowGradient[mover] = -Double(ranks[mover] - (position + 1)) / lambda
            position += 1
            next += 1
        }
        return sum
    }
}
