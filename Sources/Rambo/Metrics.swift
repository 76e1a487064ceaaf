// Rank-based metrics (paper §3, Eqs. 3–8, 16), computed exactly from ranks.
//
// Conventions:
// - A "list" is a vector of scores with 0/1 relevance. Ranks follow `rank` (1-based, descending, stable ties).
// - Average precision (Eqs. 3–5): Prec(i) = rk(y⁺)_i / rk(y)_i for each positive i, where rk(y⁺)_i is its rank
//   among the positives only; AP = mean of Prec over positives. With no ties, rk(y⁺)_i = #{ j ∈ rel : y_j ≥ y_i },
//   the paper's numerator. With ties, the stable rule decides both ranks, so AP is that of the sorted list.
// - A list without positives has no AP (`nil`); mAP averages over the lists that have one.
// - Retrieval metrics (Recall@K, MAP@R) use cosine similarity, exclude the query itself, and skip queries whose
//   class has no other member (they can neither hit nor miss); they average over the remaining queries.

/// Average precision of one ranked list: the mean over positives of (rank among positives) / (rank among all).
///
/// - Parameters:
///   - scores: the list's scores, finite.
///   - relevance: `true` for the relevant (positive) items, same length as `scores`.
/// - Returns: AP ∈ (0, 1], or `nil` when the list has no positive.
/// - Complexity: O(n) (one radix argsort).
public func averagePrecision(scores: [Double], relevance: [Bool]) -> Double? {
    precondition(scores.count == relevance.count, "scores and relevance differ in length")
    var positivesSoFar = 0
    var sum = 0.0
    for (position, index) in argsortDescending(scores).enumerated() where relevance[index] {
        positivesSoFar += 1
        sum += Double(positivesSoFar) / Double(position + 1)
    }
    return positivesSoFar == 0 ? nil : sum / Double(positivesSoFar)
}

/// Mean average precision over several lists (classes, or queries): the mean of `averagePrecision` over the
/// lists that have at least one positive (paper Eq. 6).
///
/// - Returns: mAP ∈ (0, 1], or `nil` when no list has a positive.
/// - Complexity: O(Σ n).
public func meanAveragePrecision(scores: [[Double]], relevance: [[Bool]]) -> Double? {
    precondition(scores.count == relevance.count, "scores and relevance differ in number of lists")
    let aps = zip(scores, relevance).compactMap { averagePrecision(scores: $0, relevance: $1) }
    return aps.isEmpty ? nil : aps.reduce(0, +) / Double(aps.count)
}

/// Precision at every rank of a list, for precision–recall curves.
///
/// - Returns: one point per rank k = 1...n: (recall, precision) after the top k items. Empty when the list has
///   no positive.
/// - Complexity: O(n) (one radix argsort).
public func precisionRecallCurve(scores: [Double], relevance: [Bool]) -> [(recall: Double, precision: Double)] {
    precondition(scores.count == relevance.count, "scores and relevance differ in length")
    let total = relevance.filter { $0 }.count
    guard total > 0 else { return [] }
    var hits = 0
    return argsortDescending(scores).enumerated().map { position, index in
        if relevance[index] { hits += 1 }
        return (Double(hits) / Double(total), Double(hits) / Double(position + 1))
    }
}

/// For each positive of a list, the number of negatives ranked ahead of it:
/// r_i = rk(y)_i − rk(y⁺)_i (paper Eq. 17). Returned in the order the positives appear in `scores`.
///
/// - Complexity: O(n) (one radix argsort).
public func negativesAhead(scores: [Double], relevance: [Bool]) -> [Int] {
    precondition(scores.count == relevance.count, "scores and relevance differ in length")
    var negativesSoFar = 0
    var byIndex = [Int: Int]()
    for index in argsortDescending(scores) {
        if relevance[index] { byIndex[index] = negativesSoFar } else { negativesSoFar += 1 }
    }
    return relevance.indices.compactMap { relevance[$0] ? byIndex[$0] : nil }
}

/// Whether a list "hits" at K: some positive has rank ≤ K (paper Eq. 7, r@K).
///
/// - Returns: `nil` when the list has no positive.
/// - Complexity: O(n) (one radix argsort).
public func hitAtK(scores: [Double], relevance: [Bool], k: Int) -> Bool? {
    let r = negativesAhead(scores: scores, relevance: relevance)
    guard let best = r.min() else { return nil }
    return best < k  // the best positive has rank best + 1
}

/// Refined recall r̃@K (paper Eq. 16): the fraction of positives with fewer than K negatives ahead of them.
/// Every positive contributes, not only the best one; r̃@K ≤ r@K.
///
/// - Returns: r̃@K ∈ [0, 1], or `nil` when the list has no positive.
/// - Complexity: O(n) (one radix argsort).
public func refinedRecallAtK(scores: [Double], relevance: [Bool], k: Int) -> Double? {
    let r = negativesAhead(scores: scores, relevance: relevance)
    guard !r.isEmpty else { return nil }
    return Double(r.filter { $0 < k }.count) / Double(r.count)
}
