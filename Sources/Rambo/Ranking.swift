// Ranking: the combinatorial "solver" at the heart of RaMBO (paper §3.1, §4.1).
//
// Conventions (the reference; every other file and every port follows them):
// - Ranks are 1-based and descending: rank 1 is the highest score.
// - Ties are broken stably: among equal scores the earlier index ranks higher,
//       rk(y)_i = 1 + #{ j : y_j > y_i } + #{ j < i : y_j == y_i }.
//   With no ties this is the paper's Eq. 2, rk(y)_i = 1 + #{ j : y_j > y_i }.
// - -0.0 and +0.0 are equal scores (IEEE `==`), so they tie and the earlier index wins.
// - Scores must be finite. `validateScores` says which entry is not; the functions below assume it.
//
// The sorting itself is RankKernel's (a linear-time radix sort of order-preserving 64-bit keys); this file says
// what it computes.

import RankKernel

/// The permutation that sorts `scores` in descending order, stably.
///
/// `order[k]` is the index of the item at rank `k + 1`: `scores[order[0]]` is the largest score, and among
/// equal scores the smaller index comes first.
///
/// Implemented by the linear-time radix kernel (RankKernel's `RankingWorkspace`); the readable comparison
/// sort `RankingKernel.comparisonArgsortDescending` gives the same result and is what the kernel is tested
/// against. To rank many lists without allocating scratch memory each time, keep a `RankingWorkspace`.
///
/// - Precondition: every score is finite (see `validateScores`).
/// - Complexity: O(n) time (radix sort on 64-bit keys), O(n) extra memory (24 bytes per item of scratch).
public func argsortDescending(_ scores: [Double]) -> [Int] {
    var workspace = RankingWorkspace()
    return workspace.argsortDescending(scores)
}

/// The 1-based descending ranks of `scores`, ties broken stably (earlier index ranks higher).
///
/// `rank(y)[i] == 1` for the largest score. The result is a permutation of `1...n`, and it is the inverse
/// of `argsortDescending` shifted by one: `rank(y)[argsortDescending(y)[k]] == k + 1`.
///
/// Example: `rank([0.3, 0.9, -0.1, 0.5]) == [3, 1, 4, 2]`; `rank([1, 1, 0]) == [1, 2, 3]`.
///
/// Computed as the inverse of the radix argsort (written straight into the result, no order array); to rank
/// many lists without allocating, use `RankingWorkspace.rank(_:into:)`.
///
/// - Precondition: every score is finite (see `validateScores`).
/// - Complexity: O(n) time, O(n) extra memory.
public func rank(_ scores: [Double]) -> [Int] {
    var workspace = RankingWorkspace()
    return workspace.rank(scores)
}

/// Inverts a descending order into 1-based ranks: `ranks[order[k]] = k + 1`.
///
/// `rank(y) == ranks(fromOrder: RankingKernel.comparisonArgsortDescending(y))` is the reference path.
///
/// - Precondition: `order` is a permutation of `0..<order.count`.
/// - Complexity: O(n).
@inlinable
public func ranks(fromOrder order: [Int]) -> [Int] {
    var result = [Int](repeating: 0, count: order.count)
    for (position, index) in order.enumerated() { result[index] = position + 1 }
    return result
}

/// The readable reference definition of rank, straight from the convention: for every item, count the items
/// that beat it (a larger score, or an equal score at a smaller index).
///
/// Use it to check faster implementations; never in a hot loop.
///
/// - Complexity: O(n²).
public func rankByCounting(_ scores: [Double]) -> [Int] {
    scores.indices.map { i in
        1
            + scores.indices.reduce(0) { count, j in
                count + ((scores[j] > scores[i] || (scores[j] == scores[i] && j < i)) ? 1 : 0)
            }
    }
}

/// Checks that every score is finite, so that ranking is well defined.
///
/// - Parameters:
///   - scores: the list to check.
///   - name: how the caller calls these scores, used in the error ("scores", "scores[2]", ...).
/// - Throws: `RamboError.nonFinite` naming the first offending index.
/// - Complexity: O(n).
public func validateScores(_ scores: [Double], name: String = "scores") throws {
    if let bad = scores.firstIndex(where: { !$0.isFinite }) {
        throw RamboError.nonFinite(name: name, index: bad, value: scores[bad])
    }
}
