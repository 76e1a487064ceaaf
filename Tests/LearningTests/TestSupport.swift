// Shared helpers: seeded random matrices and a central-difference gradient check.
import Learning
import Rambo
import Support
import Testing

func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64, std: Float = 1) -> Matrix {
    var rng = SplitMix64(seed: seed)
    return .randomNormal(rows: rows, cols: cols, std: std, using: &rng)
}

/// A fixed random projection Σ_k G_k · Y_k, accumulated in Double: a generic scalar "loss" of a layer output,
/// whose gradient w.r.t. Y is G.
func projection(_ y: Matrix, _ g: Matrix) -> Double {
    precondition(y.storage.count == g.storage.count)
    return zip(y.storage, g.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

/// ∂f/∂x by central differences, one entry at a time: (f(x + h e_k) − f(x − h e_k)) / (2h), dividing by the
/// step actually representable in Float.
func numericalGradient(at x: Matrix, step h: Float, _ f: (Matrix) -> Double) -> [Double] {
    x.storage.indices.map { k in
        var plus = x
        var minus = x
        plus.storage[k] += h
        minus.storage[k] -= h
        return (f(plus) - f(minus)) / Double(plus.storage[k] - minus.storage[k])
    }
}

/// max_k |analytic_k − numeric_k| ≤ tolerance · max(max_k |numeric_k|, floor). Fails, too, if the numeric
/// gradient is identically zero, which would make the comparison vacuous.
func expectGradient(
    _ analytic: Matrix, matches numeric: [Double], tolerance: Double, floor: Double = 1e-3,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(analytic.storage.count == numeric.count, sourceLocation: sourceLocation)
    let scale = max(numeric.map(abs).max() ?? 0, floor)
    let error = zip(analytic.storage, numeric).map { abs(Double($0) - $1) }.max() ?? 0
    #expect(numeric.contains { $0 != 0 }, "numeric gradient is all zero", sourceLocation: sourceLocation)
    #expect(error <= tolerance * scale, "max error \(error) vs scale \(scale)", sourceLocation: sourceLocation)
}
