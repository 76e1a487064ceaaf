import Learning
import Testing

/// One parameter row x with the quadratic loss ½ Σ a_i (x_i − c_i)², minimised at x = c.
final class Quadratic: Trainable {
    var x: Matrix
    let a: [Float] = [1, 10, 0.1]
    let c: [Float] = [3, -2, 0.5]
    var gradient = Matrix(rows: 1, cols: 3)

    init(start: [Float]) { x = Matrix(rows: 1, cols: 3, storage: start) }

    func computeGradient() {
        for i in 0..<3 { gradient.storage[i] += a[i] * (x.storage[i] - c[i]) }
    }

    func updateParameters(_ body: (Int, inout Matrix, Matrix) -> Void) { body(0, &x, gradient) }
    func zeroGradients() { gradient = Matrix(rows: 1, cols: 3) }
}

@Suite struct Optimisers {
    @Test func adamFirstStepMovesEachCoordinateByTheLearningRate() {
        // At t = 1, m̂ = g and v̂ = g², so the step is lr · g / (|g| + ε) ≈ lr · sign(g) whatever the scale of g.
        let problem = Quadratic(start: [0, 0, 0])
        let adam = Adam(learningRate: 0.1)
        problem.computeGradient()
        adam.update(problem)
        let expected: [Float] = [0.1, -0.1, 0.1]
        #expect(zip(problem.x.storage, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(adam.step == 1)
    }

    @Test func adamConvergesOnAnIllConditionedQuadratic() {
        let problem = Quadratic(start: [-1, 4, 2])
        let adam = Adam(learningRate: 0.05)
        for _ in 0..<3000 {
            problem.zeroGradients()
            problem.computeGradient()
            adam.update(problem)
        }
        let error = zip(problem.x.storage, problem.c).map { abs($0 - $1) }.max()!
        #expect(error < 1e-3, "distance to the minimum: \(error)")
    }

    @Test func sgdStepIsLearningRateTimesGradient() {
        let problem = Quadratic(start: [0, 0, 0])
        let sgd = SGD(learningRate: 0.01, momentum: 0.9)
        problem.computeGradient()  // g = a·(0 − c) = [−3, 20, −0.05]
        sgd.update(problem)
        #expect(zip(problem.x.storage, [0.03, -0.2, 0.0005] as [Float]).allSatisfy { abs($0 - $1) < 1e-7 })
        sgd.update(problem)  // same gradient again: velocity 1.9 g
        #expect(abs(problem.x.storage[1] - (-0.2 - 0.38)) < 1e-6)
    }

    @Test func adamTrainsAnMLPOnRegression() {
        // Fit y = sum of inputs with a small MLP: the loss must drop by two orders of magnitude.
        let mlp = MLP(sizes: [4, 16, 1], seed: 3)
        let x = randomMatrix(32, 4, seed: 4)
        let y = Matrix(rows: 32, cols: 1, storage: (0..<32).map { i in x.row(i).reduce(0, +) })
        let adam = Adam(learningRate: 0.01)
        func loss() -> Double {
            let r = mlp.forward(x) - y
            return r.storage.reduce(0.0) { $0 + Double($1 * $1) } / 32
        }
        let initial = loss()
        for _ in 0..<500 {
            mlp.zeroGradients()
            let residual = mlp.forward(x) - y
            _ = mlp.backward((2 / 32) * residual)
            adam.update(mlp)
        }
        #expect(loss() < initial / 100, "loss \(initial) → \(loss())")
    }
}

/// The in-place Adam against the formulas written out with explicit moment arrays, step after step: equal.
@Suite struct AdamFormulas {
    @Test func adamEqualsTheWrittenOutFormulasBitForBit() {
        let problem = Quadratic(start: [-1, 4, 2])
        let adam = Adam(learningRate: 0.05)
        var x: [Float] = [-1, 4, 2]
        var m: [Float] = [0, 0, 0]
        var v: [Float] = [0, 0, 0]
        var (p1, p2): (Float, Float) = (1, 1)
        for _ in 0..<50 {
            problem.zeroGradients()
            problem.computeGradient()
            let g = problem.gradient.storage
            adam.update(problem)
            p1 *= 0.9
            p2 *= 0.999
            for k in 0..<3 {
                m[k] = 0.9 * m[k] + (1 - 0.9) * g[k]
                v[k] = 0.999 * v[k] + (1 - 0.999) * g[k] * g[k]
                x[k] -= 0.05 * (m[k] / (1 - p1)) / ((v[k] / (1 - p2)).squareRoot() + 1e-8)
            }
            #expect(problem.x.storage == x)
        }
    }
}
