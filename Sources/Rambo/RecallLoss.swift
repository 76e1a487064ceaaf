// The recall loss (paper §4.5, Eqs. 16–20): a weighted sum over K of 1 − refined recall@K, in closed form.

import Support

/// ℓ in L_rec = E_{i∈rel} ℓ(r_i), r_i = the number of negatives ahead of positive i (Eq. 20).
public enum RecallWeighting: String, Sendable, CaseIterable, Codable {
    /// ℓ(r) = log(1 + r): the weights w_K = ℓ(K) − ℓ(K−1) = log(1 + 1/K) ≈ 1/K.
    case log
    /// ℓ(r) = log(1 + log(1 + r)): w_K = ℓ(K) − ℓ(K−1) ≈ 1/(K log K).
    case loglog
    /// ℓ(r) = r, every K weighted 1: the mean number of negatives ahead. Not in the paper; used to show the
    /// official code's normalisation (docs/paper-vs-code.md, `weight_fn = identity`).
    case identity

    /// ℓ(r).
    @inlinable
    public func value(_ r: Double) -> Double {
        switch self {
        case .log: return Libm.log1p(r)
        case .loglog: return Libm.log1p(Libm.log1p(r))
        case .identity: return r
        }
    }

    /// dℓ/dr.
    @inlinable
    public func derivative(_ r: Double) -> Double {
        switch self {
        case .log: return 1 / (1 + r)
        case .loglog: return 1 / ((1 + Libm.log1p(r)) * (1 + r))
        case .identity: return 1
        }
    }

    /// The weight w_K = ℓ(K) − ℓ(K−1) of L@K = 1 − r̃@K in Eq. 19, K ≥ 1. With these weights
    /// Σ_K w_K · 1[r ≥ K] = ℓ(r) − ℓ(0) = ℓ(r) exactly (telescoping), which is Eq. 20.
    public func weight(atK k: Int) -> Double {
        value(Double(k)) - value(Double(k - 1))
    }
}

/// The recall loss of the paper on Q ranked lists (rows), for example the cosine similarities of each query
/// in a batch to the other items.
///
/// Forward (paper convention), per row q with margin-shifted scores ỹ (Eq. 14):
///
///     r_i = rk(ỹ)_i − rk(ỹ⁺)_i          (Eq. 17: the negatives ahead of positive i)
///     L   = mean over rows with a positive of [ mean over the row's positives of ℓ(r_i) ]
///
/// 0 with a zero gradient when no row has a positive. Backward: rk(ỹ⁺) is a constant, so
/// dL/drk(ỹ)_i = ℓ'(r_i) / (|rel_q| · Q_valid) for positives and 0 for negatives; `rankBackward` per row gives
/// dL/dỹ = dL/dy (the margin shift is additive).
///
/// Memory (paper §4.3), `paper`: each stored `ScoreBatch` is `[Q][m]`, m more scores for each row (for
/// retrieval: the similarities of each current query to stored gallery items). They are appended to the row as
/// extra ranked items (columns), take part in both rankings of the backward pass and get no gradient.
///
/// `official` (recall.py `RecallLoss`, and `BatchMemoryRecallLoss` for memory):
/// - ranks normalised by the row length L = columns; λ in those units with +1e-8 (λ_code = λ_paper/L);
/// - r_i is "denormalised" by the number of ROWS: r_i^code = (rk_i/L − rk⁺_i/L) · rows = r_i · rows/columns.
///   Exact only for square inputs; a 1×6 row with mean r = 2 and ℓ = identity gives 2/6 = 0.333…;
/// - micro average: L = Σ over all positive (row, item) pairs of ℓ(r_i) / total positives, which equals the
///   paper's only when every row has the same number of positives;
/// - memory batches are `[Q'][L]` extra ROWS (extra queries): they never enter the current rows' rankings, add
///   constant terms, positives and rows (so r_i scales by (1 + Σ Q'/Q)); all rows must have one length;
/// - the code's self-pair is whatever the caller passes (`retrieval…` drops the diagonal in both conventions);
/// - ranks in Float32 with the later index first among ties, the backward in Float32 (`normalisedRank`);
/// - no positive at all: 0/0 = NaN, as in the code, with the gradient the code's NaN perturbation gives.
public struct RecallLoss: Sendable {
    /// λ > 0: integer-rank units (`paper`) or normalised-rank units (`official`).
    public var lambda: Double
    /// α ≥ 0, the margin of Eq. 14 (deterministic in both conventions, as in recall.py).
    public var margin: Double
    public var weighting: RecallWeighting
    public var convention: Convention

    public init(lambda: Double, margin: Double = 0, weighting: RecallWeighting = .log, convention: Convention = .paper)
    {
        self.lambda = lambda
        self.margin = margin
        self.weighting = weighting
        self.convention = convention
    }

    /// The loss of `scores` ([Q][n]) with 0/1 `relevance`, and stored `memory` batches (oldest first).
    ///
    /// - Precondition: valid inputs (see `validate`).
    /// - Complexity: one argsort per row (and per memory row in `official`).
    public func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = []) -> Double {
        evaluate(scores: scores, relevance: relevance, memory: memory, upstream: nil).loss
    }

    /// The loss and dL/dscores ([Q][n]; memory gets no gradient).
    ///
    /// - Parameters:
    ///   - scores: Q ranked lists, [Q][n] finite scores (all rows one length in `official`).
    ///   - relevance: [Q][n] flags, `true` for each row's positives.
    ///   - memory: stored batches, oldest first: `[Q][m]` extra columns per row (`paper`) or `[Q'][n]` extra
    ///     rows (`official`); they get no gradient.
    ///   - upstream: dOuter/dL (1 for the plain gradient); the blackbox perturbation uses
    ///     λ · upstream · dL/drk, as autograd would.
    /// - Returns: the loss and dOuter/dscores, [Q][n] (the current rows only).
    /// - Precondition: valid inputs (see `validate`).
    /// - Complexity: two argsorts per current row.
    public func valueAndGradient(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = [], upstream: Double = 1
    )
        -> LossResult
    {
        evaluate(scores: scores, relevance: relevance, memory: memory, upstream: upstream)
    }

    /// Validates, converts 0/1 relevance, and returns loss and gradient.
    ///
    /// - Throws: `RamboError` for any invalid input, including relevance other than 0/1.
    public func checkedValueAndGradient(
        scores: [[Double]], relevance: [[Double]], memory: [ScoreBatch] = []
    )
        throws -> LossResult
    {
        let binary = try binaryRelevance(relevance)
        try validate(scores: scores, relevance: binary, memory: memory)
        return valueAndGradient(scores: scores, relevance: binary, memory: memory)
    }

    /// Checks λ > 0, α ≥ 0, non-empty finite rows with relevance of the same shape, and memory shapes: `[Q][m]`
    /// blocks (`paper`) or rows as long as the current ones (`official`, which also needs equal row lengths).
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = []) throws {
        try LossValidation.lambda(lambda)
        try LossValidation.margin(margin)
        let columns = convention == .official ? scores.first?.count : nil
        try LossValidation.lists(scores, relevance, columns: columns)
        for (k, batch) in memory.enumerated() {
            let name = "memory[\(k)].scores"
            let relevanceName = "memory[\(k)].relevance"
            switch convention {
            case .paper:
                guard batch.scores.count == scores.count else {
                    throw RamboError.lengthMismatch(name: name, expected: scores.count, actual: batch.scores.count)
                }
                try LossValidation.lists(batch.scores, batch.relevance, name: name, relevanceName: relevanceName)
            case .official:
                try LossValidation.lists(
                    batch.scores, batch.relevance, name: name, relevanceName: relevanceName, columns: columns)
            }
        }
    }

    // MARK: Retrieval form

    /// The retrieval loss of a batch: `similarities` is B×B (row q = query q), relevance = same label, and the
    /// self-pair (diagonal) is dropped from each row before ranking (paper §5.1). `memory` batches are passed on
    /// unchanged (`[B][m]` columns for `paper`, `[Q'][B−1]` rows for `official`).
    ///
    /// - Returns: the loss and dL/dS as B×B with zeros on the diagonal.
    public func retrievalValueAndGradient(
        similarities: [[Double]], labels: [Int], memory: [ScoreBatch] = [], upstream: Double = 1
    ) -> LossResult {
        let (lists, relevance) = Self.offDiagonal(similarities, labels: labels)
        let result = valueAndGradient(scores: lists, relevance: relevance, memory: memory, upstream: upstream)
        var gradient = similarities.zerosLike
        for q in gradient.indices {
            for j in gradient[q].indices where j != q { gradient[q][j] = result.gradient[q][j < q ? j : j - 1] }
        }
        return LossResult(loss: result.loss, gradient: gradient)
    }

    /// The retrieval loss without the gradient.
    public func retrievalForward(similarities: [[Double]], labels: [Int], memory: [ScoreBatch] = []) -> Double {
        let (lists, relevance) = Self.offDiagonal(similarities, labels: labels)
        return forward(scores: lists, relevance: relevance, memory: memory)
    }

    /// Checks that `similarities` is B×B with B ≥ 2, finite, `labels` has B entries, and the memory shapes.
    public func validateRetrieval(similarities: [[Double]], labels: [Int], memory: [ScoreBatch] = []) throws {
        guard similarities.count >= 2 else {
            throw RamboError.invalid("similarities has \(similarities.count) rows; a batch needs at least 2 items")
        }
        guard labels.count == similarities.count else {
            throw RamboError.lengthMismatch(name: "labels", expected: similarities.count, actual: labels.count)
        }
        for (q, row) in similarities.enumerated() {
            guard row.count == similarities.count else {
                throw RamboError.lengthMismatch(
                    name: "similarities[\(q)]", expected: similarities.count, actual: row.count)
            }
            try validateScores(row, name: "similarities[\(q)]")
        }
        let (lists, relevance) = Self.offDiagonal(similarities, labels: labels)
        try validate(scores: lists, relevance: relevance, memory: memory)
    }

    /// Row q without its diagonal entry, and relevance labels[j] == labels[q].
    static func offDiagonal(_ similarities: [[Double]], labels: [Int]) -> ([[Double]], [[Bool]]) {
        var lists = [[Double]]()
        var relevance = [[Bool]]()
        lists.reserveCapacity(similarities.count)
        relevance.reserveCapacity(similarities.count)
        for q in similarities.indices {
            var row = [Double]()
            var rel = [Bool]()
            row.reserveCapacity(similarities.count - 1)
            rel.reserveCapacity(similarities.count - 1)
            for j in similarities[q].indices where j != q {
                row.append(similarities[q][j])
                rel.append(labels[j] == labels[q])
            }
            lists.append(row)
            relevance.append(rel)
        }
        return (lists, relevance)
    }

    // MARK: Core

    private func evaluate(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double?
    )
        -> LossResult
    {
        switch convention {
        case .paper: return evaluatePaper(scores: scores, relevance: relevance, memory: memory, upstream: upstream)
        case .official:
            return evaluateOfficial(scores: scores, relevance: relevance, memory: memory, upstream: upstream)
        }
    }

    /// Macro average over rows; memory adds columns.
    private func evaluatePaper(
        scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch], upstream: Double?
    )
        -> LossResult
    {
        var gradient = scores.zerosLike
        var rows: [(scores: [Double], relevance: [Bool])] = []
        rows.reserveCapacity(scores.count)
        var valid = 0
        for q in scores.indices {
            var row = scores[q]
            var rel = relevance[q]
            for batch in memory {
                row += batch.scores[q]
                rel += batch.relevance[q]
            }
            applyMargin(&row, relevance: rel, alpha: margin)
            if rel.contains(true) { valid += 1 }
            rows.append((row, rel))
        }
        guard valid > 0 else { return LossResult(loss: 0, gradient: gradient) }
        var total = 0.0
        for q in rows.indices where rows[q].relevance.contains(true) {
            let row = RecallCore.row(
                shifted: rows[q].scores, relevance: rows[q].relevance, weighting: weighting,
                factor: upstream.map { $0 / Double(valid) }, lambda: lambda)
            total += row.sum / Double(row.positives)
            if let g = row.gradient { gradient[q] = Array(g[0..<scores[q].count]) }
        }
        return LossResult(loss: total / Double(valid), gradient: gradient)
    }

    /// Micro average over all positives; memory adds rows; r scaled by rows/columns; recall.py's arithmetic
    /// operation by operation (Float32 ranks and rank differences, the official tie order, the Float32 backward).
    private func evaluateOfficial(
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
            // 0/0: NaN. Its gradient is NaN everywhere, so every perturbed score is NaN, which torch's sort
            // treats as one big tie: the perturbed ranking is the all-tied one (later index first).
            if upstream != nil {
                for q in scores.indices {
                    let shifted = marginShifted(scores[q], relevance: relevance[q], alpha: margin)
                    gradient[q] = OfficialRanking.gradient(
                        forward: OfficialRanking.ranks(shifted),
                        backward: OfficialRanking.ranks([Double](repeating: 0, count: shifted.count)), lambda: lambda)
                }
            }
            return LossResult(loss: .nan, gradient: gradient)
        }
        let factor = upstream.map { $0 * Double(rowCount) / Double(positives) }
        var total = 0.0
        for q in allScores.indices where allRelevance[q].contains(true) {
            let current = q < scores.count
            let shifted = marginShifted(allScores[q], relevance: allRelevance[q], alpha: margin)
            let row = RecallCore.officialRow(
                shifted: shifted, relevance: allRelevance[q], weighting: weighting, rowCount: rowCount,
                factor: current ? factor : nil, lambda: lambda)
            total += row.sum
            if let g = row.gradient { gradient[q] = g }
        }
        return LossResult(loss: total / Double(positives), gradient: gradient)
    }
}

/// One row of the recall loss on margin-shifted scores: `row` (paper) and `officialRow` (recall.py).
enum RecallCore {
    /// Σ_pos ℓ(r_i) over the row (`paper`, integer ranks), its number of positives, and (when `factor` is given)
    /// dL/dỹ for the upstream on ranks `factor · ℓ'(r_i) / #pos`. r_i is read off the sorted order: one argsort
    /// for the forward, one more for the backward.
    static func row(
        shifted: [Double], relevance: [Bool], weighting: RecallWeighting, factor: Double?, lambda: Double
    ) -> (sum: Double, positives: Int, gradient: [Double]?) {
        let order = argsortDescending(shifted)
        let positives = relevance.reduce(0) { $0 + ($1 ? 1 : 0) }
        var upstream = factor == nil ? [] : [Double](repeating: 0, count: shifted.count)
        var positivesSoFar = 0
        var sum = 0.0
        for (position, index) in order.enumerated() where relevance[index] {
            positivesSoFar += 1
            let r = Double(position + 1 - positivesSoFar)
            sum += weighting.value(r)
            if let factor { upstream[index] = factor * weighting.derivative(r) / Double(positives) }
        }
        guard factor != nil else { return (sum, positives, nil) }
        let gradient = rankBackward(scores: shifted, ranks: ranks(fromOrder: order), upstream: upstream, lambda: lambda)
        return (sum, positives, gradient)
    }

    /// One row of the official loss (recall.py): ra = Float32(rk)/Float32(L) by the official tie order,
    /// rp = the rank among positives the same way, r = Float64(Float32(ra − rp)) · rows; Σ ℓ(r) over the positives
    /// in index order; with `factor` (rows/total positives · upstream) the upstream on ra is factor · ℓ'(r),
    /// rounded to Float32 by `OfficialRanking.rankBackward`.
    static func officialRow(
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
