// The readable reference path of the kernel: a comparison sort with the tie rule spelled out.

/// The comparison sort the radix kernel (`RankingWorkspace`) is tested against, and the O(n log n) baseline
/// chapter 12 times it against.
public enum RankingKernel {
    /// A stable descending argsort by comparison (the readable reference path).
    ///
    /// Same contract as `RankingWorkspace.argsortDescending`: `order[k]` is the index of the item at rank `k + 1`,
    /// the larger score first and, among equal scores, the smaller index first.
    ///
    /// - Precondition: no score is NaN.
    /// - Complexity: O(n log n).
    public static func comparisonArgsortDescending(_ scores: [Double]) -> [Int] {
        // Sort indices by (score descending, index ascending): an explicit tie rule, so the result does not
        // depend on the stability of the library sort.
        scores.indices.sorted { a, b in
            scores[a] > scores[b] || (scores[a] == scores[b] && a < b)
        }
    }
}
