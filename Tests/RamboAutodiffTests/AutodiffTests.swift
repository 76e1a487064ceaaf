import Rambo
import RamboAutodiff
import RamboTeaching
import Support
import Testing
import _Differentiation

/// Scores from features: s_i = ⟨x_i, θ⟩, differentiable in θ.
@differentiable(reverse,wrt: theta)
func linearScores(_ features: [[Double]], _ theta: [Double]) -> [Double] {
    var scores = [Double]()
    for i in 0..<withoutDerivative(at: features.count) {
        scores.append(weightedSum(theta, features[i]))
    }
    return scores
}

@Suite("Swift autodiff through the blackbox")
struct AutodiffTests {
    @Test("the VJP of BlackboxRank and blackboxRank is rankBackward, exactly")
    func vjpEqualsExplicit() throws {
        var rng = SplitMix64(seed: 31)
        for trial in 0..<500 {
            let n = 1 + trial % 30
            let y = randomVector(n, &rng, ties: trial % 4 == 0)
            let g = randomVector(n, &rng)
            let lambda = 0.01 + 3 * rng.nextUnit()
            let layer = try BlackboxRank(lambda: lambda)
            let explicit = rankBackward(scores: y, upstream: g, lambda: lambda)
            // L = ⟨rk(y), g⟩, so dL/drk = g.
            let viaStruct = gradient(at: y) { weightedSum(layer($0), g) }
            let viaFunction = gradient(at: y) { weightedSum(blackboxRank($0, lambda: lambda), g) }
            #expect(viaStruct.base == explicit)
            #expect(viaFunction.base == explicit)
            #expect(layer(y) == rank(y).map(Double.init))
            // The pullback directly.
            let (value, pullback) = valueWithPullback(at: y) { layer($0) }
            #expect(value == rank(y).map(Double.init))
            #expect(pullback(.init(g)).base == explicit)
        }
    }

    @Test("a squared-distance loss: autodiff sends dL/drk = 2(rk − target) into the blackbox")
    func squaredLoss() throws {
        let y = [0.3, 0.9, -0.1, 0.5]  // rk = [3, 1, 4, 2]
        let target = [1.0, 2, 3, 4]
        let layer = try BlackboxRank(lambda: 1)
        // dL/drk = 2(rk − target) = [4, −2, 2, −4]; y' = y + g = [4.3, −1.1, 1.9, −3.5], rk' = [1, 3, 2, 4];
        // rk − rk' = [2, −2, 2, −2], so dL/dy = [−2, 2, −2, 2].
        let (loss, grad) = valueWithGradient(at: y) { squaredDistance(layer($0), target) }
        #expect(loss == 4 + 1 + 1 + 4)
        #expect(grad.base == [-2, 2, -2, 2])
        #expect(grad.base == rankBackward(scores: y, upstream: [4, -2, 2, -4], lambda: 1))
    }

    @Test("an unused output gets a zero cotangent and contributes nothing")
    func zeroCotangent() throws {
        let layer = try BlackboxRank(lambda: 1)
        let grad = gradient(at: [0.5, 0.2, 0.9]) { y -> Double in
            let unused = layer(y)
            return y[0] * 3 + withoutDerivative(at: unused[0]) * 0
        }
        #expect(grad.base == [3, 0, 0])
    }

    @Test("the generic Blackbox layer on a grid shortest path matches the solver's backward")
    func gridLayer() throws {
        var rng = SplitMix64(seed: 32)
        let grid = try GridPathSolver(rows: 3, columns: 4)
        for _ in 0..<200 {
            let w = randomVector(12, &rng)
            let g = randomVector(12, &rng)
            let layer = try Blackbox(solver: grid, lambda: 0.7)
            let viaAD = gradient(at: w) { weightedSum(layer($0), g) }
            #expect(viaAD.base == grid.backward(weights: w, upstream: g, lambda: 0.7))
        }
    }

    /// Gradient descent on free scores w through `BlackboxRank`; returns (solved, steps of the slowest solved run).
    private func trainFreeScores(
        seeds: Range<UInt64>, lambda: Double, rate: Double, maxSteps: Int, linearLoss: Bool
    ) throws -> (solved: Int, slowest: Int) {
        var solved = 0
        var slowest = 0
        for seed in seeds {
            var rng = SplitMix64(seed: 33 + seed)
            let n = 10
            let target = allPermutationsSample(n, &rng)
            var w = randomVector(n, &rng)
            let layer = try BlackboxRank(lambda: lambda)
            var steps = 0
            while rank(w).map(Double.init) != target && steps < maxSteps {
                let grad =
                    linearLoss
                    ? gradient(at: w) { -weightedSum(layer($0), target) }
                    : gradient(at: w) { squaredDistance(layer($0), target) }
                for i in w.indices { w[i] -= rate * grad.base[i] }
                steps += 1
            }
            if rank(w).map(Double.init) == target {
                solved += 1
                slowest = max(slowest, steps)
            }
        }
        return (solved, slowest)
    }

    // On permutations Σ(rk − t)² = const − 2⟨rk, t⟩, so −⟨rk, t⟩ is the same objective as a LINEAR loss of the
    // solver output: its blackbox gradient is the exact slope of f_λ and descent reaches the target every time.
    // The squared form linearises to 2(rk − t), whose extra 2rk term (constant on permutations) still shifts
    // w + λg; descent then occasionally oscillates between rankings with a non-zero gradient.
    @Test("training free scores through the blackbox reaches the target ranking")
    func trainScores() throws {
        let linear = try trainFreeScores(seeds: 0..<20, lambda: 3, rate: 0.01, maxSteps: 1000, linearLoss: true)
        let squared = try trainFreeScores(seeds: 0..<20, lambda: 1, rate: 0.001, maxSteps: 1000, linearLoss: false)
        print(
            "free scores, n = 10: −⟨rk, t⟩ solved \(linear.solved)/20 (slowest \(linear.slowest) steps); Σ(rk − t)² solved \(squared.solved)/20 (slowest \(squared.slowest))"
        )
        #expect(linear.solved == 20)
        #expect(squared.solved >= 17)
    }

    @Test("training a linear scoring of features through the blackbox recovers a hidden ranking")
    func trainLinearScoring() throws {
        var rng = SplitMix64(seed: 34)
        let n = 12
        let d = 3
        let features = (0..<n).map { _ in randomVector(d, &rng) }
        let hidden = [1.0, -2.0, 0.5]
        let target = rank(features.map { dot($0, hidden) }).map(Double.init)
        var theta = randomVector(d, &rng)
        let layer = try BlackboxRank(lambda: 0.5)
        func loss(_ theta: [Double]) -> Double { squaredDistance(layer(linearScores(features, theta)), target) }
        let initial = loss(theta)
        var best = initial
        for _ in 0..<400 where best > 0 {
            let grad = gradient(at: theta) { squaredDistance(layer(linearScores(features, $0)), target) }
            for k in theta.indices { theta[k] -= 0.01 * grad.base[k] }
            best = min(best, loss(theta))
        }
        print("linear scoring: loss \(initial) → \(best)")
        #expect(initial > 20)
        #expect(best <= 0.1 * initial)
    }
}

/// A random permutation of 1...n as `Double`s (Fisher–Yates).
func allPermutationsSample(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
    var p = Array(1...n)
    for i in stride(from: n - 1, to: 0, by: -1) {
        p.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    return p.map(Double.init)
}

@Suite("BlackboxRank validation")
struct BlackboxRankValidationTests {
    @Test("λ must be finite and > 0")
    func rejectsBadLambda() {
        for bad in [0.0, -1.0, -0.0, -Double.infinity, Double.infinity, .nan] {
            #expect(throws: RamboError.self) { _ = try BlackboxRank(lambda: bad) }
        }
    }
}
