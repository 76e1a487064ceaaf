import Rambo
import RamboTeaching
import Support
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func axpy(_ a: Double, _ x: [Double], _ y: [Double]) -> [Double] {
    zip(x, y).map { a * $0 + $1 }
}

private func randomUnit(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
    let d = randomVector(n, &rng)
    let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return d.map { $0 / norm }
}

/// λ log-uniform in [0.05, 5].
private func randomLambda(_ rng: inout SplitMix64) -> Double {
    0.05 * exp(log(100.0) * rng.nextUnit())
}

@Suite("f_λ: the interpolation the blackbox gradient differentiates")
struct InterpolationTests {
    /// Central finite differences of f_λ along a random direction, at points where neither y nor y_λ switches
    /// within the stencil (f_λ is affine there, so the difference quotient is exact up to rounding).
    private func checkSlope<S: BlackboxSolver>(
        solver: S, dimension: @escaping (inout SplitMix64) -> Int, seed: UInt64, trials: Int
    ) throws -> (maxError: Double, tested: Int, nonZero: Int) {
        var rng = SplitMix64(seed: seed)
        var maxError = 0.0
        var tested = 0
        var nonZero = 0
        let h = 1e-4
        for _ in 0..<trials {
            let n = dimension(&rng)
            let w = randomVector(n, &rng)
            let loss = LinearLoss(gradient: randomVector(n, &rng), offset: rng.nextGaussian())
            let f = try Interpolation(solver: solver, loss: loss, lambda: randomLambda(&rng))
            let d = randomUnit(n, &rng)
            let centre = f.evaluate(at: w)
            let plus = f.evaluate(at: axpy(h, d, w))
            let minus = f.evaluate(at: axpy(-h, d, w))
            guard plus.solution == centre.solution, minus.solution == centre.solution,
                plus.perturbedSolution == centre.perturbedSolution,
                minus.perturbedSolution == centre.perturbedSolution
            else { continue }  // a kink inside the stencil
            tested += 1
            let slope = dot(centre.gradient, d)
            if slope != 0 { nonZero += 1 }
            #expect(centre.gradient == solver.backward(weights: w, upstream: loss.gradient, lambda: f.lambda))
            maxError = max(maxError, abs((plus.value - minus.value) / (2 * h) - slope))
        }
        return (maxError, tested, nonZero)
    }

    @Test("ranking: ∇f_λ = −(y − y_λ)/λ, checked by central differences away from kinks")
    func slopeRanking() throws {
        let r = try checkSlope(solver: RankingSolver(), dimension: { 2 + Int($0.next() % 7) }, seed: 21, trials: 3000)
        print(
            "f_λ slope (ranking): max |FD − blackbox| = \(r.maxError) over \(r.tested) points, \(r.nonZero) with non-zero slope"
        )
        #expect(r.maxError <= 1e-9)
        #expect(r.tested >= 2000)
        #expect(r.nonZero >= 1000)  // the check is not vacuous: most tested slopes are non-zero
    }

    @Test("grid shortest path: ∇f_λ = −(y − y_λ)/λ by central differences")
    func slopeGrid() throws {
        let grid = try GridPathSolver(rows: 4, columns: 5)
        let r = try checkSlope(solver: grid, dimension: { _ in 20 }, seed: 22, trials: 2000)
        print(
            "f_λ slope (grid path): max |FD − blackbox| = \(r.maxError) over \(r.tested) points, \(r.nonZero) non-zero")
        #expect(r.maxError <= 1e-9)
        #expect(r.tested >= 1500)
        #expect(r.nonZero >= 500)
    }

    @Test("a non-linear loss over an enumerated Y: f_λ from Eq. 3–4 still has slope −(y − y_λ)/λ")
    func slopeNonLinear() throws {
        var rng = SplitMix64(seed: 23)
        let n = 5
        let perms = FiniteSetSolver.permutations(of: n)
        let h = 1e-4
        var maxError = 0.0
        var tested = 0
        var nonZero = 0
        for _ in 0..<800 {
            let target = allPermutations(n)[Int(rng.next() % 120)].map(Double.init)
            let loss: ([Double]) -> Double = { y in zip(y, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            let lambda = randomLambda(&rng)
            let w = randomVector(n, &rng)
            let d = randomUnit(n, &rng)
            let c = interpolationByEnumeration(solver: perms, loss: loss, lambda: lambda, at: w)
            let p = interpolationByEnumeration(solver: perms, loss: loss, lambda: lambda, at: axpy(h, d, w))
            let m = interpolationByEnumeration(solver: perms, loss: loss, lambda: lambda, at: axpy(-h, d, w))
            guard p.solution == c.solution, m.solution == c.solution,
                p.perturbedSolution == c.perturbedSolution, m.perturbedSolution == c.perturbedSolution
            else { continue }
            tested += 1
            let slope = zip(c.solution, c.perturbedSolution).enumerated().reduce(0.0) {
                $0 + (-($1.element.0 - $1.element.1) / lambda) * d[$1.offset]
            }
            if slope != 0 { nonZero += 1 }
            maxError = max(maxError, abs((p.value - m.value) / (2 * h) - slope))
            // Observation 3 holds for this f too.
            #expect(loss(c.perturbedSolution) <= c.value + 1e-9 && c.value <= loss(c.solution) + 1e-9)
        }
        print(
            "f_λ slope (non-linear loss, enumeration): max error \(maxError) over \(tested) points, \(nonZero) non-zero"
        )
        #expect(maxError <= 1e-9)
        #expect(tested >= 500 && nonZero >= 200)
    }

    @Test("brute force n ≤ 6: the solver's f_λ equals Eq. 4 over all permutations")
    func bruteForceMatches() throws {
        var rng = SplitMix64(seed: 24)
        var maxError = 0.0
        for n in 1...6 {
            let perms = FiniteSetSolver.permutations(of: n)
            for _ in 0..<100 {
                let w = randomVector(n, &rng)
                let loss = LinearLoss(gradient: randomVector(n, &rng), offset: rng.nextGaussian())
                let f = try Interpolation(solver: RankingSolver(), loss: loss, lambda: randomLambda(&rng))
                let e = f.evaluate(at: w)
                let brute = interpolationByEnumeration(solver: perms, loss: { loss($0) }, lambda: f.lambda, at: w)
                #expect(e.solution == brute.solution)
                #expect(e.perturbedSolution == brute.perturbedSolution)
                maxError = max(maxError, abs(e.value - brute.value) / (1 + abs(brute.value)))
            }
        }
        print("f_λ ranking vs enumeration over permutations: max relative difference \(maxError)")
        #expect(maxError <= 1e-12)
    }

    // Observation 3 in this convention (solver minimises ⟨w, y⟩, y_λ = y(w + λg)): f(y_λ) ≤ f_λ ≤ f(y).
    @Test("sandwich f(y_λ(w)) ≤ f_λ(w) ≤ f(y(w)) on 6000 random points; the w − λg convention breaks it")
    func sandwich() throws {
        var rng = SplitMix64(seed: 25)
        var strictBelow = 0
        var wrongSignViolations = 0
        for trial in 0..<6000 {
            let n = 2 + trial % 7
            let w = randomVector(n, &rng, ties: trial % 5 == 0)
            let loss = LinearLoss(gradient: randomVector(n, &rng), offset: rng.nextGaussian())
            let lambda = randomLambda(&rng)
            let f = try Interpolation(solver: RankingSolver(), loss: loss, lambda: lambda)
            let e = f.evaluate(at: w)
            let tol = 1e-12 * (1 + abs(e.lossAtSolution) + abs(e.lossAtPerturbed))
            #expect(e.lossAtPerturbed <= e.value + tol)
            #expect(e.value <= e.lossAtSolution + tol)
            #expect(e.gap >= -tol)
            #expect(abs(e.gap - (e.lossAtSolution - e.value)) <= 1e-9 * (1 + abs(e.lossAtSolution)))
            if e.value < e.lossAtSolution - 1e-9 { strictBelow += 1 }
            // The other sign, y⁻ = y(w − λg), in Eq. 4: the upper bound fails.
            let yMinus = RankingSolver().perturbedSolve(w, upstream: loss.gradient, lambda: -lambda)
            let wrong = loss(yMinus) - (dot(w, e.solution) - dot(w, yMinus)) / lambda
            if wrong > e.lossAtSolution + 1e-9 { wrongSignViolations += 1 }
        }
        print(
            "sandwich: f_λ strictly below f(y) at \(strictBelow)/6000 points; the w − λg convention violates f_λ ≤ f(y) at \(wrongSignViolations)"
        )
        #expect(strictBelow >= 1000)
        #expect(wrongSignViolations >= 1000)
    }

    // A2: the gap f(y(w)) − f_λ(w) is non-decreasing in λ at every w, so W_dif^λ = {gap > 0} grows with λ,
    // and it is empty for λ small enough.
    @Test("A2: gap and W_dif^λ grow with λ on 2000 random points, and vanish as λ → 0")
    func monotoneInLambda() throws {
        var rng = SplitMix64(seed: 26)
        let lambdas = [1e-9, 1e-3, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100]
        var counts = [Int](repeating: 0, count: lambdas.count)
        for trial in 0..<2000 {
            let n = 2 + trial % 7
            let w = randomVector(n, &rng)
            let loss = LinearLoss(gradient: randomVector(n, &rng))
            var previousGap = 0.0
            var previousDiffers = false
            for (k, lambda) in lambdas.enumerated() {
                let e = try Interpolation(solver: RankingSolver(), loss: loss, lambda: lambda).evaluate(at: w)
                #expect(e.gap >= previousGap - 1e-12 * (1 + previousGap), "w = \(w), λ = \(lambda)")
                #expect(!previousDiffers || e.differs, "W_dif not monotone at w = \(w), λ = \(lambda)")
                // w ∈ W_dif ⇔ y(w) no longer solves the perturbed problem (with no ties: y_λ ≠ y).
                #expect(e.differs == (e.perturbedSolution != e.solution))
                previousGap = e.gap
                previousDiffers = e.differs
                if e.differs { counts[k] += 1 }
            }
        }
        print("A2: |W_dif^λ ∩ sample| for λ = \(lambdas): \(counts)")
        #expect(counts[0] == 0)
        #expect(counts == counts.sorted())
        // At λ = 100, y_λ ≈ argmin ⟨g, ·⟩: only the points whose ranking already minimises ⟨g, ·⟩ stay outside.
        #expect(counts.last! > 1700)
    }

    @Test("LinearLoss.linearising agrees with the loss at the linearisation point and has the given slope")
    func linearising() {
        let target = [2.0, 1, 3]
        let squaredError: ([Double]) -> Double = { y in zip(y, target).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        }
        let yHat = [1.0, 2, 3]
        let g = zip(yHat, target).map { 2 * ($0 - $1) }  // dL/dy at ŷ = [−2, 2, 0]
        let f = LinearLoss.linearising(squaredError, gradient: g, at: yHat)
        #expect(f(yHat) == squaredError(yHat))  // 2
        #expect(f([2, 1, 3]) == 2 + (-2) * 1 + 2 * (-1))  // −2: the linearisation, not L (= 0)
    }

    @Test("Interpolation rejects invalid λ, loss and weights")
    func validation() throws {
        let loss = LinearLoss(gradient: [1, 0])
        #expect(throws: RamboError.outOfRange(name: "lambda", value: 0, allowed: "finite and > 0")) {
            _ = try Interpolation(solver: RankingSolver(), loss: loss, lambda: 0)
        }
        #expect(throws: RamboError.nonFinite(name: "loss.gradient", index: 1, value: .infinity)) {
            _ = try Interpolation(solver: RankingSolver(), loss: LinearLoss(gradient: [0, .infinity]), lambda: 1)
        }
        let f = try Interpolation(solver: RankingSolver(), loss: loss, lambda: 1)
        #expect(throws: RamboError.lengthMismatch(name: "weights", expected: 2, actual: 3)) {
            _ = try f.checkedEvaluate(at: [1, 2, 3])
        }
        #expect(throws: RamboError.self) { _ = try f.checkedEvaluate(at: [1, .nan]) }
    }
}
