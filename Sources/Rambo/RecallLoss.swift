// The recall loss (paper §4.5, Eqs. 16–20): a weighted sum over K of 1 − refined recall@K, in closed form.

import Support

/// ℓ in L_rec = E_{i∈rel} ℓ(r_i), r_i = the number of negatives ahead of positive i (Eq. 20).
public enum RecallWeighting: String, Sendable, CaseIterable, Codable {
    /// ℓ(r) = log(1 + r): the weights w_K = ℓ(K) − ℓ(K−1) = log(1 + 1/K) ≈ 1/K.
    case log
    /// ℓ(r) = log(1 + log(1 + r)): w_K = ℓ(K) − ℓ(K−1) ≈ 1/(K log K).
    case loglog
    /// ℓ(r) = r, every K weighted 1: the mean number of negatives ahead. Not in the paper; used to show the
    /// authors' code's normalisation (docs/paper-vs-code.md, `weight_fn = identity`).
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
/// Memory (paper §4.3): each stored `ScoreBatch` is `[Q][m]`, m more scores for each row (for retrieval: the
/// similarities of each current query to stored gallery items). They are appended to the row as extra ranked items
/// (columns), take part in both rankings of the backward pass and get no gradient.
///
/// What the authors' recall.py computes instead (normalised ranks, r_i scaled by rows/columns, a micro average,
/// memory as extra rows) is RamboOfficial's `OfficialRecallLoss`.
public struct RecallLoss: Sendable {
    /// λ > 0, in integer-rank units.
    public var lambda: Double
    /// α ≥ 0, the margin of Eq. 14.
    public var margin: Double
    public var weighting: RecallWeighting

    public init(lambda: Double, margin: Double = 0, weighting: RecallWeighting = .log) {
        self.lambda = lambda
        self.margin = margin
        self.weighting = weighting
    }

    /// The loss of `scores` ([Q][n]) with 0/1 `relevance`, and stored `memory` batches (oldest first).
    ///
    /// - Precondition: valid inputs (see `validate`).
    /// - Complexity: one argsort per row.
    public func forward(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = []) -> Double {
        evaluate(scores: scores, relevance: relevance, memory: memory, upstream: nil).loss
    }

    /// The loss and dL/dscores ([Q][n]; memory gets no gradient).
    ///
    /// - Parameters:
    ///   - scores: Q ranked lists, [Q][n] finite scores (rows may differ in length).
    ///   - relevance: [Q][n] flags, `true` for each row's positives.
    ///   - memory: stored batches, oldest first: `[Q][m]` extra columns per row; they get no gradient.
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
    /// blocks, one row per current row.
    ///
    /// - Throws: `RamboError` naming the argument and index.
    public func validate(scores: [[Double]], relevance: [[Bool]], memory: [ScoreBatch] = []) throws {
        try LossValidation.lambda(lambda)
        try LossValidation.margin(margin)
        try LossValidation.lists(scores, relevance)
        for (k, batch) in memory.enumerated() {
            let name = "memory[\(k)].scores"
            guard batch.scores.count == scores.count else {
                throw RamboError.lengthMismatch(name: name, expected: scores.count, actual: batch.scores.count)
            }
            try LossValidation.lists(
                batch.scores, batch.relevance, name: name, relevanceName: "memory[\(k)].relevance")
        }
    }

    // MARK: Retrieval form

    /// The retrieval loss of a batch: `similarities` is B×B (row q = query q), relevance = same label, and the
    /// self-pair (diagonal) is dropped from each row before ranking (paper §5.1). `memory` batches are passed on
    /// unchanged (`[B][m]` columns).
    ///
    /// - Returns: the loss and dL/dS as B×B with zeros on the diagonal.
    public func retrievalValueAndGradient(
        similarities: [[Double]], labels: [Int], memory: [ScoreBatch] = [], upstream: Double = 1
    ) -> LossResult {
        let (lists, relevance) = Self.offDiagonal(similarities, labels: labels)
        let result = valueAndGradient(scores: lists, relevance: relevance, memory: memory, upstream: upstream)
        return LossResult(loss: result.loss, gradient: Self.withDiagonal(result.gradient))
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

    /// The B × B matrix whose row q is `rows[q]` (B − 1 entries) with a zero inserted at column q: the inverse of
    /// `offDiagonal` for gradients.
    static func withDiagonal(_ rows: [[Double]]) -> [[Double]] {
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: rows.count), count: rows.count)
        for q in matrix.indices {
            for j in matrix[q].indices where j != q { matrix[q][j] = rows[q][j < q ? j : j - 1] }
        }
        return matrix
    }

    /// Row q without its diagonal entry, and relevance labels[j] == labels[q].
    package static func offDiagonal(_ similarities: [[Double]], labels: [Int]) -> ([[Double]], [[Bool]]) {
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

    /// Macro average over rows; memory adds columns.
    private func evaluate(
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
            let row = Self.row(
                shifted: rows[q].scores, relevance: rows[q].relevance, weighting: weighting,
                factor: upstream.map { $0 / Double(valid) }, lambda: lambda)
            total += row.sum / Double(row.positives)
            if let g = row.gradient { gradient[q] = Array(g[0..<scores[q].count]) }
        }
        return LossResult(loss: total / Double(valid), gradient: gradient)
    }

    /// One row on margin-shifted scores: Σ_pos ℓ(r_i), its number of positives, and (when `factor` is given)
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
}
