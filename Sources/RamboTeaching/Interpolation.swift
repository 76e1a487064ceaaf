// The piecewise-affine interpolation f_λ (ICLR Eq. 3–5, Theorem 1, Observation 3), evaluated from its definition.
//
// Setting and sign conventions (checked numerically by Tests/RamboTeachingTests/InterpolationTests.swift):
// - The solver MINIMISES the cost c(w, y) = ⟨w, y⟩ (for ranking, w = scores and y = rank vector).
// - f is the loss as a function of the solver output. For blackbox differentiation it is the linearisation of
//   L at ŷ = y(ŵ): f(y) = L(ŷ) + ⟨g, y − ŷ⟩ with g = dL/dy(ŷ) (`LinearLoss`).
// - Perturbed problem (Eq. 3): y_λ(w) = argmin_y ⟨w, y⟩ + λ f(y). For an affine f this is y(w + λ g)
//   (Proposition 1): the loss shifts the cost vector by +λ g.
// - Eq. 4:  f_λ(w) = f(y_λ(w)) − (1/λ) [ ⟨w, y(w)⟩ − ⟨w, y_λ(w)⟩ ]
//                   = (1/λ) min_y (⟨w, y⟩ + λ f(y)) − (1/λ) min_y ⟨w, y⟩.
//   The second form shows f_λ is a difference of two minima of affine functions of w (A1), and that its
//   gradient (envelope theorem) is
// - Eq. 5:  ∇f_λ(w) = (y_λ(w) − y(w)) / λ = −(y(w) − y_λ(w)) / λ,  the blackbox backward.
// - Observation 3, in this (minimising, +λg) convention, holds as stated in the ICLR paper:
//       f(y_λ(w)) ≤ f_λ(w) ≤ f(y(w)).
//   Lower bound: y(w) minimises ⟨w, ·⟩, so the bracket is ≤ 0 and is subtracted.
//   Upper bound: y_λ(w) minimises ⟨w, ·⟩ + λ f, so ⟨w, y_λ⟩ + λ f(y_λ) ≤ ⟨w, y⟩ + λ f(y).
//   The interpolant lies below the piecewise-constant loss f(y(w)): it "anticipates" the improvement the
//   perturbed solution would bring.
// - A2, strengthened: the gap f(y(w)) − f_λ(w) = (⟨w', y(w)⟩ − ⟨w', y_λ(w)⟩)/λ with w' = w + λ g is
//   h(λ)/λ for the concave h(λ) = ⟨w, y⟩ + λ f(y) − min_y' (⟨w, y'⟩ + λ f(y')) ≥ 0, h(0) = 0, so it is
//   NON-DECREASING in λ at every w. Hence W_dif^λ = { w : f_λ(w) ≠ f(y(w)) } = { w : gap > 0 } grows with λ,
//   and W_dif^λ → ∅ as λ → 0⁺ (for a w where y(w) is the unique minimiser).
// - The same proofs hold for any loss f on a finite Y, not only affine ones; only the shortcut
//   y_λ(w) = y(w + λ g) needs f affine. `interpolationByEnumeration` evaluates the general definition.

import Rambo

/// An affine loss of the solver output, f(y) = ⟨g, y⟩ + c: the linearisation blackbox differentiation uses.
public struct LinearLoss: Sendable, Equatable {
    /// g = df/dy, the upstream gradient of the blackbox backward.
    public let gradient: [Double]
    /// c.
    public let offset: Double

    public init(gradient: [Double], offset: Double = 0) {
        self.gradient = gradient
        self.offset = offset
    }

    /// The linearisation of `loss` at `solution` ŷ: f(y) = L(ŷ) + ⟨g, y − ŷ⟩ with g = `gradient` = dL/dy(ŷ).
    public static func linearising(
        _ loss: ([Double]) -> Double, gradient: [Double], at solution: [Double]
    ) -> LinearLoss {
        LinearLoss(gradient: gradient, offset: loss(solution) - dot(gradient, solution))
    }

    /// f(y) = ⟨g, y⟩ + c.
    @inlinable
    public func callAsFunction(_ solution: [Double]) -> Double {
        dot(gradient, solution) + offset
    }
}

/// f_λ for a solver and an affine loss (ICLR Theorem 1), with everything needed to look at it.
public struct Interpolation<Solver: BlackboxSolver> {
    public let solver: Solver
    public let loss: LinearLoss
    public let lambda: Double

    /// - Throws: `RamboError` when λ is not finite and > 0 (`lambda`) or the loss gradient is not finite
    ///   (`loss.gradient`).
    public init(solver: Solver, loss: LinearLoss, lambda: Double) throws {
        try validateLambda(lambda)
        try validateScores(loss.gradient, name: "loss.gradient")
        guard loss.offset.isFinite else {
            throw RamboError.nonFinite(name: "loss.offset", index: 0, value: loss.offset)
        }
        self.solver = solver
        self.loss = loss
        self.lambda = lambda
    }

    /// Everything f_λ is made of at one w.
    public struct Evaluation: Sendable {
        /// y(w).
        public let solution: [Double]
        /// y_λ(w) = y(w + λ g).
        public let perturbedSolution: [Double]
        /// f(y(w)): the piecewise-constant loss.
        public let lossAtSolution: Double
        /// f(y_λ(w)).
        public let lossAtPerturbed: Double
        /// f_λ(w), Eq. 4.
        public let value: Double
        /// f(y(w)) − f_λ(w), ≥ 0 by Observation 3 (not clamped, so a sign error would show), computed as (⟨w', y⟩ − ⟨w', y_λ⟩)/λ (no cancellation of two large losses).
        public let gap: Double
        /// ∇f_λ(w) = −(y(w) − y_λ(w))/λ, Eq. 5: the blackbox gradient.
        public let gradient: [Double]

        /// Whether w ∈ W_dif^λ, i.e. f_λ(w) ≠ f(y(w)).
        public var differs: Bool { gap > 0 }
    }

    /// Evaluates f_λ at `weights` from its definition.
    ///
    /// - Precondition: `weights` is finite and of the solver's dimension.
    /// - Complexity: two solver calls.
    public func evaluate(at weights: [Double]) -> Evaluation {
        precondition(weights.count == loss.gradient.count, "Interpolation: weights and loss differ in length")
        let y = solver.solve(weights)
        let yLambda = solver.perturbedSolve(weights, upstream: loss.gradient, lambda: lambda)
        var difference = [Double](repeating: 0, count: y.count)  // y_λ − y, exact for integer vectors
        for i in y.indices { difference[i] = yLambda[i] - y[i] }
        let fAtY = loss(y)
        let fAtYLambda = loss(yLambda)
        // f_λ = f(y_λ) − (1/λ)(⟨w, y⟩ − ⟨w, y_λ⟩) = f(y_λ) + ⟨w, y_λ − y⟩/λ.
        let value = fAtYLambda + dot(weights, difference) / lambda
        // f(y) − f_λ = −⟨w + λg, y_λ − y⟩/λ.
        var gap = 0.0
        for i in y.indices { gap -= (weights[i] + lambda * loss.gradient[i]) * difference[i] }
        gap /= lambda
        return Evaluation(
            solution: y, perturbedSolution: yLambda, lossAtSolution: fAtY, lossAtPerturbed: fAtYLambda,
            value: value, gap: gap, gradient: difference.map { $0 / lambda })
    }

    /// f_λ(w).
    public func callAsFunction(_ weights: [Double]) -> Double {
        evaluate(at: weights).value
    }

    /// ∇f_λ(w) = −(y(w) − y_λ(w))/λ, equal to `solver.backward(weights:upstream: loss.gradient, lambda:)`.
    public func gradient(at weights: [Double]) -> [Double] {
        solver.backward(weights: weights, upstream: loss.gradient, lambda: lambda)
    }

    /// The checked entry point: validates `weights` first.
    ///
    /// - Throws: `RamboError` naming `weights` when it is non-finite or of the wrong length.
    public func checkedEvaluate(at weights: [Double]) throws -> Evaluation {
        try validateScores(weights, name: "weights")
        guard weights.count == loss.gradient.count else {
            throw RamboError.lengthMismatch(name: "weights", expected: loss.gradient.count, actual: weights.count)
        }
        return evaluate(at: weights)
    }
}

/// f_λ straight from Eq. 3–4 for ANY loss f over an explicit finite set, by enumeration:
/// y = argmin ⟨w, y⟩, y_λ = argmin ⟨w, y⟩ + λ f(y) (first minimiser in `solver.candidates` wins ties),
/// f_λ = f(y_λ) − (1/λ)(⟨w, y⟩ − ⟨w, y_λ⟩). Its gradient is still −(y − y_λ)/λ; for an affine f it coincides
/// with `Interpolation`.
///
/// - Complexity: O(|Y| · (n + cost of f)).
public func interpolationByEnumeration(
    solver: FiniteSetSolver, loss: ([Double]) -> Double, lambda: Double, at weights: [Double]
) -> (value: Double, solution: [Double], perturbedSolution: [Double]) {
    let y = solver.solve(weights)
    let yLambda = solver.candidates[solver.argmin(weights, extra: { lambda * loss($0) })]
    let value = loss(yLambda) - (dot(weights, y) - dot(weights, yLambda)) / lambda
    return (value, y, yLambda)
}
