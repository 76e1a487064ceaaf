import RankKernel

// The kernel's own entry points under the names the tests read best, and the two oracles: the inverse of a
// comparison sort and the definition of rank by counting.

/// `RankingWorkspace.argsortDescending` on a fresh workspace.
func argsortDescending(_ scores: [Double]) -> [Int] {
    var workspace = RankingWorkspace()
    return workspace.argsortDescending(scores)
}

/// `RankingWorkspace.rank` on a fresh workspace.
func rank(_ scores: [Double]) -> [Int] {
    var workspace = RankingWorkspace()
    return workspace.rank(scores)
}

/// `RankingWorkspace.rankBackward` on a fresh workspace.
func rankBackward(scores: [Double], upstream: [Double], lambda: Double) -> [Double] {
    var workspace = RankingWorkspace()
    return workspace.rankBackward(scores: scores, upstream: upstream, lambda: lambda)
}

/// 1-based ranks from a descending order: `ranks[order[k]] = k + 1`.
func ranks(fromOrder order: [Int]) -> [Int] {
    var result = [Int](repeating: 0, count: order.count)
    for (position, index) in order.enumerated() { result[index] = position + 1 }
    return result
}

/// The definition: 1 + the number of items that beat item i (a larger score, or an equal one at a smaller index).
/// O(n²).
func countingRanks(_ scores: [Double]) -> [Int] {
    scores.indices.map { i in
        1 + scores.indices.filter { j in scores[j] > scores[i] || (scores[j] == scores[i] && j < i) }.count
    }
}

/// The AP kernel's precision term and gradient (weight 1, no margin) of one list through `workspace`.
func averagePrecision(
    _ scores: [Double], relevance: [Bool], lambda: Double, workspace: inout RankingWorkspace
) -> (precision: Double?, gradient: [Double]) {
    var gradient = [Double](repeating: .nan, count: scores.count)
    let precision = scores.withUnsafeBufferPointer { y in
        relevance.withUnsafeBufferPointer { rel in
            gradient.withUnsafeMutableBufferPointer { out in
                workspace.averagePrecisionFastPath(
                    scores: y, relevance: rel, half: 0, weight: 1, lambda: lambda, gradient: out.baseAddress)
            }
        }
    }
    return (precision, gradient)
}
