// RamboAutodiff: blackbox differentiation as a Swift automatic-differentiation primitive (`_Differentiation`). A
// module of its own because not every toolchain ships `_Differentiation`: Rambo builds without it.
//
// A solver is piecewise constant, so the compiler cannot differentiate it; we register a custom VJP whose
// pullback is the blackbox backward:
//     value    = y(w)
//     pullback = v ↦ −(y(w) − y(w + λ v)) / λ
// λ is a hyperparameter, not an input to differentiate: it is a stored property of a non-differentiable
// struct (so the struct itself is never a differentiation parameter), or a `wrt:`-excluded function argument.
// `[Double]` is `Differentiable` with `TangentVector == Array<Double>.DifferentiableView`; its `.zero` is the
// EMPTY array, so a pullback can receive an empty cotangent (the loss did not use the output) and must answer
// with zeros instead of indexing it.

import Rambo
import RamboTeaching
import _Differentiation

/// A solver with a fixed λ, callable inside differentiable code: `Blackbox(solver:lambda:)(w)` returns y(w),
/// and reverse-mode AD through it uses the blackbox backward.
///
/// ```swift
/// let layer = try BlackboxRank(lambda: 2)
/// let g = gradient(at: scores) { w in weightedSum(layer(w), weights) }  // == rankBackward(...)
/// ```
public struct Blackbox<Solver: BlackboxSolver> {
    public let solver: Solver
    /// λ > 0, in the units of w per unit of dL/dy (for ranking: score per unit of dL/drk, integer ranks).
    public let lambda: Double

    /// - Throws: `RamboError.outOfRange` naming `lambda` unless it is finite and > 0.
    public init(solver: Solver, lambda: Double) throws {
        try validateLambda(lambda)
        self.solver = solver
        self.lambda = lambda
    }

    /// y(w), differentiable with the blackbox backward as its pullback.
    ///
    /// - Precondition: `weights` is finite (see `validateScores`).
    @differentiable(reverse)
    public func callAsFunction(_ weights: [Double]) -> [Double] {
        solver.solve(weights)
    }

    @derivative(of: callAsFunction)
    public func _vjpCallAsFunction(
        _ weights: [Double]
    ) -> (
        value: [Double], pullback: (Array<Double>.TangentVector) -> Array<Double>.TangentVector
    ) {
        let solution = solver.solve(weights)
        let solver = self.solver
        let lambda = self.lambda
        return (
            solution,
            { upstream in
                // An empty cotangent is the zero tangent: the output did not reach the loss.
                guard upstream.base.count == weights.count else {
                    precondition(
                        upstream.base.isEmpty,
                        "Blackbox: cotangent has \(upstream.base.count) entries, expected \(weights.count)")
                    return Array<Double>.TangentVector([Double](repeating: 0, count: weights.count))
                }
                return Array<Double>.TangentVector(
                    solver.backward(weights: weights, solution: solution, upstream: upstream.base, lambda: lambda))
            }
        )
    }
}

/// Ranking as a differentiable layer: `BlackboxRank(lambda:)(scores)` is `rank(scores)` as `Double`s, and its
/// pullback is `rankBackward` (paper Eq. 10, integer-rank units).
public typealias BlackboxRank = Blackbox<RankingSolver>

extension Blackbox where Solver == RankingSolver {
    /// - Throws: `RamboError.outOfRange` naming `lambda` unless it is finite and > 0.
    public init(lambda: Double) throws {
        try self.init(solver: RankingSolver(), lambda: lambda)
    }
}

/// `rank(scores)` as `Double`s, differentiable with respect to `scores` only, with the blackbox backward at
/// `lambda` as its pullback. The function form of `BlackboxRank`.
///
/// - Precondition: `scores` finite and λ finite and > 0 (use `BlackboxRank(lambda:)` for a throwing check).
@differentiable(reverse,wrt: scores)
public func blackboxRank(_ scores: [Double], lambda: Double) -> [Double] {
    rank(scores).map(Double.init)
}

@derivative(of: blackboxRank, wrt: scores)
public func _vjpBlackboxRank(
    _ scores: [Double], lambda: Double
) -> (
    value: [Double], pullback: (Array<Double>.TangentVector) -> Array<Double>.TangentVector
) {
    precondition(lambda.isFinite && lambda > 0, "blackboxRank: lambda = \(lambda); must be finite and > 0")
    let ranks = rank(scores)
    return (
        ranks.map(Double.init),
        { upstream in
            guard upstream.base.count == scores.count else {
                precondition(
                    upstream.base.isEmpty,
                    "blackboxRank: cotangent has \(upstream.base.count) entries, expected \(scores.count)")
                return Array<Double>.TangentVector([Double](repeating: 0, count: scores.count))
            }
            return Array<Double>.TangentVector(
                rankBackward(scores: scores, ranks: ranks, upstream: upstream.base, lambda: lambda))
        }
    )
}

/// Σ_i (a_i − b_i)², differentiable in `a`: the loss "ranks should equal a target ranking".
@differentiable(reverse,wrt: a)
public func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "squaredDistance: lengths differ (\(a.count) vs \(b.count))")
    var sum = 0.0
    for i in 0..<withoutDerivative(at: a.count) {
        let d = a[i] - b[i]
        sum += d * d
    }
    return sum
}

/// ⟨a, b⟩, differentiable in `a`: a linear loss of a solver output (for example ⟨rank, weights⟩).
@differentiable(reverse,wrt: a)
public func weightedSum(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "weightedSum: lengths differ (\(a.count) vs \(b.count))")
    var sum = 0.0
    for i in 0..<withoutDerivative(at: a.count) {
        sum += a[i] * b[i]
    }
    return sum
}
