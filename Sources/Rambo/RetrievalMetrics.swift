// Retrieval metrics on an embedding: every item is a query, the others are the gallery.
//
// Cosine similarity, the reference's procedure (Data/reference/SPEC.md, "Cosine similarity"), each step one
// correctly rounded Float64 operation: ss = Σ_k e_k·e_k in index order; u = e / sqrt(ss) elementwise; then
// s_qj = Σ_k u_qk·u_jk in index order. Normalising first (as torch's F.normalize and pytorch-metric-learning do)
// makes s_qj = s_jq bit for bit and gives parallel vectors of one dimension exactly ±1; the quotient forms
// ⟨a,b⟩/(√⟨a,a⟩·√⟨b,b⟩) and ⟨a,b⟩/√(⟨a,a⟩·⟨b,b⟩) differ from it in the last bit, which orders cosines that tie
// in real arithmetic (embeddings [[1,1],[3,3],[1,2]]: the vectors flagged `cosine-procedure`).

/// `v` divided elementwise by its norm sqrt(Σ v_k² in index order): the first step of the reference's cosine.
///
/// - Returns: `nil` when the sum of squares is 0 (also when it underflows: [1e-200, 1e-200]) or not finite
///   (it overflows: [1e200, 1e200]).
/// - Complexity: O(d).
@inlinable
public func unitVector(_ v: [Double]) -> [Double]? {
    var squares = 0.0
    for x in v { squares += x * x }
    guard squares > 0, squares.isFinite else { return nil }
    let norm = squares.squareRoot()
    return v.map { $0 / norm }
}

/// Cosine similarity of two vectors of the same dimension, by the reference's procedure: both normalised by
/// `unitVector`, then their dot product summed in index order.
///
/// - Returns: the similarity in [−1, 1] (up to rounding), or NaN when a vector's squared norm is 0 or overflows.
/// - Precondition: `a.count == b.count`.
/// - Complexity: O(d).
@inlinable
public func cosineSimilarity(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "the vectors differ in dimension")
    guard let u = unitVector(a), let v = unitVector(b) else { return .nan }
    var dot = 0.0
    for k in u.indices { dot += u[k] * v[k] }
    return dot
}

/// The retrieval results of an embedding: for every query, its gallery ordered by cosine similarity.
///
/// Build it once and read several metrics from it. Ties in similarity follow the ranking convention: the
/// gallery item with the smaller index comes first.
public struct RetrievalRanking: Sendable {
    /// `labels[neighbours[q][k]]` is the label of the (k+1)-th nearest neighbour of query `q` (query excluded).
    public let neighbours: [[Int]]
    public let labels: [Int]

    /// Wraps neighbour lists computed elsewhere (for example by a blocked matrix product in `Learning`).
    ///
    /// - Precondition: `neighbours[q]` lists gallery indices ≠ q, nearest first, ties by smaller index.
    public init(neighbours: [[Int]], labels: [Int]) {
        self.neighbours = neighbours
        self.labels = labels
    }

    /// Ranks the gallery for every query by the reference's cosine (the top of this file), keeping the first
    /// `depth` neighbours (all when `nil`).
    ///
    /// - Parameters:
    ///   - embeddings: N vectors of one dimension, each with non-zero norm.
    ///   - labels: N class labels.
    ///   - depth: how many neighbours to keep per query; MAP@R needs at least the largest class size − 1.
    /// - Throws: `RamboError` for mismatched sizes, ragged or non-finite vectors, or a vector whose squared norm is
    ///   zero or overflows.
    /// - Complexity: O(N² d + N² log N) time, O(N · depth) memory.
    public init(embeddings: [[Double]], labels: [Int], depth: Int? = nil) throws {
        guard !embeddings.isEmpty else { throw RamboError.empty(name: "embeddings") }
        guard embeddings.count == labels.count else {
            throw RamboError.lengthMismatch(name: "labels", expected: embeddings.count, actual: labels.count)
        }
        let dimension = embeddings[0].count
        guard dimension > 0 else { throw RamboError.empty(name: "embeddings[0]") }
        var normalised = [[Double]]()
        normalised.reserveCapacity(embeddings.count)
        for (i, e) in embeddings.enumerated() {
            guard e.count == dimension else {
                throw RamboError.lengthMismatch(name: "embeddings[\(i)]", expected: dimension, actual: e.count)
            }
            try validateScores(e, name: "embeddings[\(i)]")
            guard let unit = unitVector(e) else {
                throw RamboError.invalid(
                    e.reduce(0) { $0 + $1 * $1 }.isFinite
                        ? "embeddings[\(i)] has zero norm; cosine similarity is undefined"
                        : "embeddings[\(i)] is too large: its squared norm overflows a double")
            }
            normalised.append(unit)
        }
        let n = embeddings.count
        let keep = min(depth ?? (n - 1), n - 1)
        self.labels = labels
        self.neighbours = (0..<n).map { q in
            var similarity = [Double](repeating: -.infinity, count: n)
            for j in 0..<n where j != q {
                var dot = 0.0
                for k in 0..<dimension { dot += normalised[q][k] * normalised[j][k] }
                similarity[j] = dot
            }
            // The query sits last (−∞ is below every cosine); drop it.
            return Array(argsortDescending(similarity).prefix(keep))
        }
    }

    /// How many gallery items share query `q`'s class.
    public func relevantCount(query q: Int) -> Int {
        labels.indices.reduce(0) { $0 + ($1 != q && labels[$1] == labels[q] ? 1 : 0) }
    }

    /// Recall@K (deep-metric-learning usage): the fraction of queries with a same-class item among their K
    /// nearest neighbours. Queries whose class has no other member are skipped.
    ///
    /// - Returns: one value in [0, 1] per K, or `nil` when no query has a same-class item.
    /// - Complexity: O(N² + N·K): the position of each query's first same-class neighbour, found once, then one
    ///   comparison per query and K.
    public func recallAtK(_ ks: [Int]) -> [Int: Double]? {
        var counts = [Int: Int]()
        for label in labels { counts[label, default: 0] += 1 }
        let queries = labels.indices.filter { counts[labels[$0]]! > 1 }
        guard !queries.isEmpty else { return nil }
        // 1-based position of the first same-class neighbour (Int.max when it is beyond the kept depth).
        let first = queries.map { q in
            (neighbours[q].firstIndex { labels[$0] == labels[q] }).map { $0 + 1 } ?? Int.max
        }
        var result = [Int: Double]()
        for k in ks {
            let hits = first.reduce(0) { $0 + ($1 <= k ? 1 : 0) }
            result[k] = Double(hits) / Double(queries.count)
        }
        return result
    }

    /// MAP@R (Musgrave, Belongie & Lim 2020): for a query with R same-class items, the mean over the top R
    /// neighbours of precision-at-i at each relevant position, divided by R. Averaged over queries with R > 0.
    ///
    /// - Returns: MAP@R ∈ [0, 1], or `nil` when no query has a same-class item.
    public func mapAtR() -> Double? {
        var total = 0.0
        var counted = 0
        for q in labels.indices {
            let r = relevantCount(query: q)
            guard r > 0 else { continue }
            precondition(neighbours[q].count >= r, "depth is smaller than R for query \(q)")
            var hits = 0
            var sum = 0.0
            for (i, j) in neighbours[q].prefix(r).enumerated() where labels[j] == labels[q] {
                hits += 1
                sum += Double(hits) / Double(i + 1)
            }
            total += sum / Double(r)
            counted += 1
        }
        return counted == 0 ? nil : total / Double(counted)
    }
}
