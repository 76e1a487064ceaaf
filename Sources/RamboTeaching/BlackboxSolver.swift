// Blackbox differentiation of linear combinatorial solvers (ICLR, Vlastelica et al. 2020, §3; CVPR §4.1).
//
// Conventions (the reference; `Interpolation.swift` builds on them):
// - A solver maps a cost vector w ∈ ℝⁿ to a point of a finite set Y ⊂ ℝⁿ minimising the linear cost:
//       y(w) = argmin_{y ∈ Y} ⟨w, y⟩.
//   It MINIMISES. Ties between minimisers are broken by a rule the solver documents; any fixed rule will do.
// - The loss L is a function of the solver output; dL/dy is the "upstream" gradient.
// - Blackbox backward (ICLR Eq. 5, Algorithm 1):
//       w'    = w + λ · dL/dy
//       dL/dw = −(y(w) − y(w')) / λ,     λ > 0.
//   It is the exact gradient of the interpolation f_λ of the linearised loss (see `Interpolation`).
// - Ranking is an instance with w = scores and Y = Π_n (permutations as vectors of 1-based ranks):
//   with DESCENDING ranks, Proposition 1 holds as stated, rk(w) = argmin_π ⟨w, π⟩, because the rearrangement
//   inequality gives the smallest rank to the largest score. So `RankingSolver` needs no sign flip and its
//   backward is exactly `rankBackward`.
//
// RamboTeaching holds what chapters 01–04 show rather than what a model trains with: blackbox solvers besides
// ranking (a brute force over a finite set, a shortest path on a grid), the interpolation f_λ and its enumeration.

import Rambo

/// A linear combinatorial solver y(w) = argmin_{y ∈ Y} ⟨w, y⟩ over a finite set Y ⊂ ℝⁿ, treated as a blackbox.
///
/// Conformers implement `solve`; the blackbox backward, the interpolation f_λ and validation come for free.
public protocol BlackboxSolver {
    /// A minimiser of ⟨w, y⟩ over Y, with the conformer's fixed tie rule.
    ///
    /// - Precondition: `weights` has the solver's dimension and is finite.
    func solve(_ weights: [Double]) -> [Double]
}

extension BlackboxSolver {
    /// The linear cost ⟨w, y⟩ the solver minimises.
    @inlinable
    public func cost(_ weights: [Double], _ solution: [Double]) -> Double {
        dot(weights, solution)
    }

    /// The solution of the perturbed problem, y_λ(w) = y(w + λ · dL/dy) (ICLR Proposition 1: for a linear loss
    /// the λ·f term of argmin ⟨w, y⟩ + λ f(y) is a shift of the cost vector).
    ///
    /// - Complexity: one solver call.
    @inlinable
    public func perturbedSolve(_ weights: [Double], upstream: [Double], lambda: Double) -> [Double] {
        var shifted = weights
        for i in shifted.indices { shifted[i] += lambda * upstream[i] }
        return solve(shifted)
    }

    /// The blackbox backward: dL/dw = −(y(w) − y(w + λ · dL/dy)) / λ.
    ///
    /// - Parameters:
    ///   - weights: w, finite.
    ///   - solution: y(w) if the forward pass already computed it; recomputed when `nil`.
    ///   - upstream: dL/dy, one entry per weight, finite.
    ///   - lambda: λ > 0.
    /// - Precondition: the inputs are valid (see `validateBackward`).
    /// - Complexity: one extra solver call (two when `solution` is `nil`).
    @inlinable
    public func backward(
        weights: [Double], solution: [Double]? = nil, upstream: [Double], lambda: Double
    )
        -> [Double]
    {
        let forward = solution ?? solve(weights)
        let perturbed = perturbedSolve(weights, upstream: upstream, lambda: lambda)
        return weights.indices.map { -(forward[$0] - perturbed[$0]) / lambda }
    }

    /// `backward` after validating its inputs.
    ///
    /// - Throws: `RamboError` naming the offending argument (`weights`, `upstream` or `lambda`).
    public func checkedBackward(weights: [Double], upstream: [Double], lambda: Double) throws -> [Double] {
        try validateBackward(weights: weights, upstream: upstream, lambda: lambda)
        return backward(weights: weights, upstream: upstream, lambda: lambda)
    }

    /// Checks the inputs of `backward`: finite weights and upstream of equal length, λ finite and > 0.
    ///
    /// - Throws: `RamboError` naming the offending argument.
    public func validateBackward(weights: [Double], upstream: [Double], lambda: Double) throws {
        try validateScores(weights, name: "weights")
        try validateScores(upstream, name: "upstream")
        guard upstream.count == weights.count else {
            throw RamboError.lengthMismatch(name: "upstream", expected: weights.count, actual: upstream.count)
        }
        try validateLambda(lambda)
    }
}

/// ⟨a, b⟩, summed left to right.
///
/// - Precondition: equal lengths.
@inlinable
public func dot(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "dot: lengths differ (\(a.count) vs \(b.count))")
    var sum = 0.0
    for i in a.indices { sum += a[i] * b[i] }
    return sum
}

// MARK: - Ranking

/// Ranking as a blackbox solver (CVPR Proposition 1): w = scores, Y = permutations of 1...n as vectors of ranks,
/// `solve(w) = rank(w)` as `Double`s.
///
/// rk(w) = argmin_π ⟨w, π⟩ holds as stated with descending ranks. Among tied scores every assignment of their
/// ranks has the same cost; the stable rule of `rank` (earlier index, smaller rank) picks one.
/// `backward` equals `rankBackward` exactly (same arithmetic, integer ranks converted to `Double`).
public struct RankingSolver: BlackboxSolver, Sendable {
    public init() {}

    /// `rank(weights)` as `Double`s.
    ///
    /// - Complexity: O(n) (the radix kernel).
    public func solve(_ weights: [Double]) -> [Double] {
        rank(weights).map(Double.init)
    }
}

// MARK: - A brute-force solver over an explicit finite set

/// The definition itself: argmin_{y ∈ Y} ⟨w, y⟩ by trying every candidate. The first minimiser in `candidates`
/// wins ties. Use it to check faster solvers and to show that blackbox differentiation is not about ranking.
public struct FiniteSetSolver: BlackboxSolver, Sendable {
    /// Y, every element of the same dimension.
    public let candidates: [[Double]]

    /// - Throws: `RamboError` when `candidates` is empty, ragged or non-finite.
    public init(candidates: [[Double]]) throws {
        guard let first = candidates.first else { throw RamboError.empty(name: "candidates") }
        for (k, c) in candidates.enumerated() {
            guard c.count == first.count else {
                throw RamboError.lengthMismatch(name: "candidates[\(k)]", expected: first.count, actual: c.count)
            }
            try validateScores(c, name: "candidates[\(k)]")
        }
        self.candidates = candidates
    }

    /// Every permutation of 1...n as a candidate vector (n! of them), in lexicographic order.
    ///
    /// - Precondition: 1 ≤ n ≤ 8 (8! = 40 320 candidates).
    public static func permutations(of n: Int) -> FiniteSetSolver {
        precondition((1...8).contains(n), "permutations(of:) is a brute force: 1 ≤ n ≤ 8")
        // The candidates are valid by construction.
        return try! FiniteSetSolver(candidates: allPermutations(n).map { $0.map(Double.init) })
    }

    /// The index in `candidates` of the first minimiser of ⟨w, y⟩ + extra(y).
    public func argmin(_ weights: [Double], extra: ([Double]) -> Double = { _ in 0 }) -> Int {
        var best = 0
        var bestValue = Double.infinity
        for (k, c) in candidates.enumerated() {
            let value = dot(weights, c) + extra(c)
            if value < bestValue {
                best = k
                bestValue = value
            }
        }
        return best
    }

    /// The first minimiser of ⟨w, y⟩ in `candidates`.
    ///
    /// - Complexity: O(|Y| · n).
    public func solve(_ weights: [Double]) -> [Double] {
        candidates[argmin(weights)]
    }
}

/// Every permutation of 1...n, in lexicographic order (n! arrays).
///
/// - Complexity: O(n · n!).
public func allPermutations(_ n: Int) -> [[Int]] {
    guard n > 0 else { return [[]] }
    var result = [[Int]]()
    var current = Array(1...n)
    while true {
        result.append(current)
        // Next lexicographic permutation.
        var i = n - 2
        while i >= 0 && current[i] >= current[i + 1] { i -= 1 }
        if i < 0 { return result }
        var j = n - 1
        while current[j] <= current[i] { j -= 1 }
        current.swapAt(i, j)
        current[(i + 1)...].reverse()
    }
}

// MARK: - Shortest monotone path on a grid

/// A second, non-ranking solver: the cheapest path through a grid of vertex costs from the top-left to the
/// bottom-right cell, moving only right or down (the ICLR paper's Warcraft shortest path, on a DAG so that any
/// real cost, including the negative ones a perturbation can produce, is well defined).
///
/// w holds one cost per cell in row-major order; y is the 0/1 indicator of the cells on the path, so the cost
/// of a path is ⟨w, y⟩. Y has C(rows + columns − 2, rows − 1) elements.
/// Ties: at every cell the predecessor from above wins over the one from the left when both are equally cheap.
public struct GridPathSolver: BlackboxSolver, Sendable {
    public let rows: Int
    public let columns: Int

    /// - Throws: `RamboError.outOfRange` unless rows, columns ≥ 1.
    public init(rows: Int, columns: Int) throws {
        guard rows >= 1 else { throw RamboError.outOfRange(name: "rows", value: Double(rows), allowed: "≥ 1") }
        guard columns >= 1 else {
            throw RamboError.outOfRange(name: "columns", value: Double(columns), allowed: "≥ 1")
        }
        self.rows = rows
        self.columns = columns
    }

    /// The cheapest monotone path by dynamic programming.
    ///
    /// - Precondition: `weights.count == rows * columns`, finite.
    /// - Complexity: O(rows · columns).
    public func solve(_ weights: [Double]) -> [Double] {
        precondition(weights.count == rows * columns, "GridPathSolver: expected \(rows * columns) weights")
        var best = [Double](repeating: 0, count: rows * columns)
        var fromAbove = [Bool](repeating: false, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let k = r * columns + c
                if r == 0 && c == 0 {
                    best[k] = weights[k]
                } else if r == 0 {
                    best[k] = best[k - 1] + weights[k]
                } else if c == 0 {
                    best[k] = best[k - columns] + weights[k]
                    fromAbove[k] = true
                } else {
                    let above = best[k - columns]
                    let left = best[k - 1]
                    fromAbove[k] = above <= left
                    best[k] = min(above, left) + weights[k]
                }
            }
        }
        var path = [Double](repeating: 0, count: rows * columns)
        var r = rows - 1
        var c = columns - 1
        while true {
            path[r * columns + c] = 1
            if r == 0 && c == 0 { break }
            if fromAbove[r * columns + c] { r -= 1 } else { c -= 1 }
        }
        return path
    }

    /// Every monotone path as a 0/1 vector, for brute-force checks.
    ///
    /// - Complexity: O(|Y| · rows · columns).
    public func allPaths() -> [[Double]] {
        var result = [[Double]]()
        func walk(_ r: Int, _ c: Int, _ path: [Double]) {
            var path = path
            path[r * columns + c] = 1
            if r == rows - 1 && c == columns - 1 {
                result.append(path)
                return
            }
            if r + 1 < rows { walk(r + 1, c, path) }
            if c + 1 < columns { walk(r, c + 1, path) }
        }
        walk(0, 0, [Double](repeating: 0, count: rows * columns))
        return result
    }
}
