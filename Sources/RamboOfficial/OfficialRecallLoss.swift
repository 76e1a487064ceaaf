// The recall loss as the authors' recall.py computes it (Rambo's `RecallLoss` is the paper's).

import Rambo

/// The recall loss as recall.py's `RecallLoss` (and `BatchMemoryRecallLoss` for memory) computes it on Q ranked
/// lists (rows) of one length L:
/// - ranks normalised by the row length L = columns; λ in those units with +1e-8 (λ_code = λ_paper/L);
/// - r_i is "denormalised" by the number of ROWS: r_i^code = (rk_i/L − rk⁺_i/L) · rows = r_i · rows/columns.
///   Exact only for square inputs; a 1×6 row with mean r = 2 and ℓ = identity gives 2/6 = 0.333…;
/// - micro average: L = Σ over all positive (row, item) pairs of ℓ(r_i) / total positives, which equals the
///   paper's only when every row has the same number of positives;
/// - memory batches are `[Q'][L]` extra ROWS (extra queries): they never enter the current rows' rankings, add
///   constant terms, positives and rows (so r_i scales by (1 + Σ Q'/Q)); all rows must have one length;
/// - the self-pair is whatever the caller passes;
/// - ranks in Float32 with the later index first among ties, the backward in Float32 (`normalisedRank`);
/// - no positive at all: 0/0 = NaN, as in the code, with the gradient the code's NaN perturbation gives.
///
/// The margin is the deterministic ±α/2 of Eq. 14, as in recall.py. Cost: two official rankings per row with a
/// positive (memory rows included), O(L) each.
public struct OfficialRecallLoss: Sendable {
    /// λ_code > 0, in normalised-rank units.
    public var lambda: Double
    /// α ≥ 0, the margin of Eq. 14.
    public var margin: Double
    public var weighting: RecallWeighting

    public init(lambda: Double, margin: Double = 0, weighting: RecallWeighting = .log) {
        self.lambda = lambda
        self.margin = margin
        self.weighting = weighting
    }

    /// The loss of `scores` ([Q][L]) with 0/1 `relevance`, and stored `memory` batches (`[Q'][L]` rows each).
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = []) -> Double {
        evaluate(scores: scores, relevance: relevance, memory: memory, upstream: nil).loss
    }

    /// The loss and dOuter/dscores ([Q][L], the current rows only); `upstream` is dOuter/dL (1 for the plain
    /// gradient), and the perturbation uses λ · upstream · dL/drk, as autograd would.
    ///
    /// - Precondition: valid inputs (see `validate`).
    public func valueAndGradient(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1
    )
        -> LossResult
    {
        evaluate(scores: scores, relevance: relevance, memory: memory, upstream: upstream)
    }

    /// Checks λ > 0, α ≥ 0, non-empty finite rows of one length with relevance of the same shape, and memory rows
    /// as long as the current ones.
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = []) throws {
        try LossValidation.lambda(lambda)
        try LossValidation.margin(margin)
        let columns = scores.first?.count
        try LossValidation.lists(scores, relevance, columns: columns)
        for (k, batch) in memory.enumerated() {
            try LossValidation.lists(
                batch.scores, batch.relevance, name: "memory[\(k)].scores", relevanceName: "memory[\(k)].relevance",
                columns: columns)
        }
    }

    /// Micro average over all positives; memory adds rows; r scaled by rows/columns; recall.py's arithmetic
    /// operation by operation (Float32 ranks and rank differences, the official tie order, the Float32 backward).
    private func evaluate(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double?
    )
        -> LossResult
    {
        var gradient = scores.zerosLike
        let allScores = scores + memory.flatMap(\.scores)
        let allRelevance = relevance + memory.flatMap(\.relevance)
        let rowCount = allScores.count
        let positives = allRelevance.reduce(0) { $0 + $1.reduce(0) { $0 + ($1 ? 1 : 0) } }
        guard positives > 0 else {
            if upstream != nil { gradient = noPositiveGradient(scores: scores, relevance: relevance) }
            return LossResult(loss: .nan, gradient: gradient)
        }
        let factor = upstream.map { $0 * Double(rowCount) / Double(positives) }
        var total = 0.0
        for q in allScores.indices where allRelevance[q].contains(true) {
            let current = q < scores.count
            let shifted = marginShifted(allScores[q], relevance: allRelevance[q], alpha: margin)
            let row = Self.row(
                shifted: shifted, relevance: allRelevance[q], weighting: weighting, rowCount: rowCount,
                factor: current ? factor : nil, lambda: lambda)
            total += row.sum
            if let g = row.gradient { gradient[q] = g }
        }
        return LossResult(loss: total / Double(positives), gradient: gradient)
    }

    /// The gradient of 0/0 = NaN: NaN everywhere upstream of the ranking, so every perturbed score is NaN, which
    /// torch's sort treats as one big tie: the perturbed ranking is the all-tied one (later index first).
    private func noPositiveGradient(scores: [[Double]], relevance: [[Bool]]) -> [[Double]] {
        scores.indices.map { q in
            let shifted = marginShifted(scores[q], relevance: relevance[q], alpha: margin)
            return OfficialRanking.gradient(
                forward: OfficialRanking.ranks(shifted),
                backward: OfficialRanking.ranks([Double](repeating: 0, count: shifted.count)), lambda: lambda)
        }
    }

    /// One row of the official loss (recall.py): ra = Float32(rk)/Float32(L) by the official tie order,
    /// rp = the rank among positives the same way, r = Float64(Float32(ra − rp)) · rows; Σ ℓ(r) over the positives
    /// in index order; with `factor` (rows/total positives · upstream) the upstream on ra is factor · ℓ'(r),
    /// rounded to Float32 by `OfficialRanking.rankBackward`.
    static func row(
        shifted: [Double], relevance: [Bool], weighting: RecallWeighting, rowCount: Int, factor: Double?,
        lambda: Double
    ) -> (sum: Double, gradient: [Double]?) {
        let n = shifted.count
        let (ranks, within) = OfficialRanking.ranksAmongAllAndPositives(shifted, relevance: relevance)
        var upstream = [Double](repeating: 0, count: n)
        var sum = 0.0
        for i in 0..<n where relevance[i] {
            let difference = OfficialRanking.normalised(ranks[i], n) - OfficialRanking.normalised(within[i], n)
            let r = Double(difference) * Double(rowCount)
            sum += weighting.value(r)
            if let factor { upstream[i] = factor * weighting.derivative(r) }
        }
        guard factor != nil else { return (sum, nil) }
        return (sum, OfficialRanking.rankBackward(scores: shifted, ranks: ranks, upstream: upstream, lambda: lambda))
    }
}

extension OfficialRecallLoss: RankLoss {}
