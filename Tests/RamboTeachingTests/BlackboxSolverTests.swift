import Rambo
import RamboTeaching
import Support
import Testing

/// Random finite scores; with `ties`, rounded to one decimal so that equal scores occur.
func randomVector(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1, ties: Bool = false) -> [Double] {
    (0..<n).map { _ in
        let x = scale * rng.nextGaussian()
        return ties ? (x * 2).rounded() / 2 : x
    }
}

@Suite("Blackbox backward and solvers")
struct BlackboxSolverTests {
    // Hand-derived cases of dL/dy = −(rk(y) − rk(y + λg))/λ.
    //
    // (a) y = [0.3, 0.9, −0.1, 0.5], rk = [3, 1, 4, 2], g = [1, 0, 0, 0] (the loss is the rank of item 0), λ = 0.5:
    //     y' = [0.8, 0.9, −0.1, 0.5], rk' = [2, 1, 4, 3], rk − rk' = [1, 0, 0, −1], grad = [−2, 0, 0, 2].
    //     Descent raises y₀ (better rank for item 0) and lowers y₃, the item it overtakes.
    // (b) same, λ = 0.1: y' = [0.4, 0.9, −0.1, 0.5], rk' = rk, grad = 0 (λ too small to reach a switch).
    // (c) same, λ = 1: y' = [1.3, 0.9, −0.1, 0.5], rk' = [1, 2, 4, 3], rk − rk' = [2, −1, 0, −1],
    //     grad = [−2, 1, 0, 1].
    // (d) ties: y = [1, 1, 0], rk = [1, 2, 3] (earlier index first), g = [0, 1, 0], λ = 0.5:
    //     y' = [1, 1.5, 0], rk' = [2, 1, 3], rk − rk' = [−1, 1, 0], grad = [2, −2, 0].
    @Test(
        "rankBackward and RankingSolver.backward on hand-derived cases",
        arguments: [
            ([0.3, 0.9, -0.1, 0.5], [1.0, 0, 0, 0], 0.5, [-2.0, 0, 0, 2]),
            ([0.3, 0.9, -0.1, 0.5], [1.0, 0, 0, 0], 0.1, [0.0, 0, 0, 0]),
            ([0.3, 0.9, -0.1, 0.5], [1.0, 0, 0, 0], 1.0, [-2.0, 1, 0, 1]),
            ([1.0, 1.0, 0.0], [0.0, 1, 0], 0.5, [2.0, -2, 0]),
        ])
    func handCases(scores: [Double], upstream: [Double], lambda: Double, expected: [Double]) throws {
        #expect(rankBackward(scores: scores, upstream: upstream, lambda: lambda) == expected)
        #expect(RankingSolver().backward(weights: scores, upstream: upstream, lambda: lambda) == expected)
        #expect(try checkedRankBackward(scores: scores, upstream: upstream, lambda: lambda) == expected)
    }

    // Grid: 2 × 2 cells [[0, 1], [2, 0]] (row-major w = [0, 1, 2, 0]). Paths: right-then-down (cells 0, 1, 3,
    // cost 1) and down-then-right (cells 0, 2, 3, cost 2); y = [1, 1, 0, 1]. With g = [0, 1, 0, 0] (the loss
    // counts cell 1) and λ = 2: w' = [0, 3, 2, 0], y' = [1, 0, 1, 1], grad = −(y − y')/2 = [0, −0.5, 0.5, 0]:
    // descent makes cell 1 dearer and cell 2 cheaper, so the path moves off cell 1.
    @Test("GridPathSolver: hand-derived solution and backward")
    func gridHand() throws {
        let grid = try GridPathSolver(rows: 2, columns: 2)
        #expect(grid.solve([0, 1, 2, 0]) == [1, 1, 0, 1])
        #expect(grid.backward(weights: [0, 1, 2, 0], upstream: [0, 1, 0, 0], lambda: 2) == [0, -0.5, 0.5, 0])
        #expect(try grid.checkedBackward(weights: [0, 1, 2, 0], upstream: [0, 0.1, 0, 0], lambda: 2) == [0, 0, 0, 0])
    }

    @Test("RankingSolver.backward equals rankBackward exactly, with and without ties")
    func rankingInstanceAgrees() {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<2000 {
            let n = 1 + trial % 40
            let ties = trial % 2 == 0
            let y = randomVector(n, &rng, ties: ties)
            let g = randomVector(n, &rng, ties: ties)
            let lambda = 0.01 + 5 * rng.nextUnit()
            #expect(RankingSolver().solve(y) == rank(y).map(Double.init))
            let generic = RankingSolver().backward(weights: y, upstream: g, lambda: lambda)
            let specific = rankBackward(scores: y, upstream: g, lambda: lambda)
            #expect(generic == specific, "n = \(n), λ = \(lambda)")
        }
    }

    @Test("allPermutations lists n! distinct permutations")
    func permutations() {
        for n in 1...6 {
            let all = allPermutations(n)
            #expect(all.count == (1...n).reduce(1, *))
            #expect(Set(all).count == all.count)
            #expect(all.allSatisfy { $0.sorted() == Array(1...n) })
        }
    }

    // Proposition 1: rk(y) = argmin_π ⟨y, π⟩ over all n! permutations, with descending ranks.
    @Test("Proposition 1 by brute force: rank = argmin over permutations of ⟨y, π⟩ (n ≤ 6)")
    func propositionOne() {
        var rng = SplitMix64(seed: 12)
        for n in 1...6 {
            let brute = FiniteSetSolver.permutations(of: n)
            for trial in 0..<60 {
                let ties = trial % 3 == 0
                let y = randomVector(n, &rng, ties: ties)
                let r = RankingSolver().solve(y)
                let best = brute.solve(y)
                // Same optimal cost always; the same permutation when the minimiser is unique (no ties).
                #expect(abs(dot(y, r) - dot(y, best)) <= 1e-12 * (1 + abs(dot(y, best))))
                if Set(y).count == n { #expect(r == best, "y = \(y)") }
                // Every permutation costs at least as much as the ranking.
                #expect(brute.candidates.allSatisfy { dot(y, $0) >= dot(y, r) - 1e-12 })
            }
        }
        // The ascending-rank convention would be the argMAX instead: a check that the test can fail.
        let y = [0.3, 0.9, -0.1, 0.5]
        let ascending = rank(y.map { -$0 }).map(Double.init)
        #expect(dot(y, ascending) > dot(y, RankingSolver().solve(y)))
    }

    @Test("GridPathSolver agrees with brute force over all monotone paths, negative costs included")
    func gridBruteForce() throws {
        var rng = SplitMix64(seed: 13)
        for (rows, columns) in [(1, 1), (1, 4), (3, 1), (2, 3), (3, 3), (4, 4), (3, 5)] {
            let grid = try GridPathSolver(rows: rows, columns: columns)
            let brute = try FiniteSetSolver(candidates: grid.allPaths())
            var binomial = 1
            for k in 0..<(rows - 1) { binomial = binomial * (rows + columns - 2 - k) / (k + 1) }
            #expect(brute.candidates.count == binomial)
            for _ in 0..<100 {
                let w = randomVector(rows * columns, &rng)
                let path = grid.solve(w)
                #expect(brute.candidates.contains(path))
                #expect(abs(dot(w, path) - dot(w, brute.solve(w))) <= 1e-12)
            }
        }
    }

    @Test("FiniteSetSolver: the first minimiser wins ties")
    func finiteSetTies() throws {
        let solver = try FiniteSetSolver(candidates: [[1, 0], [0, 1], [0, 0]])
        #expect(solver.solve([1, 1]) == [0, 0])
        #expect(solver.solve([-1, -1]) == [1, 0])
        #expect(solver.solve([-1, -2]) == [0, 1])
    }

    @Test("invalid inputs are rejected with errors naming the argument")
    func validation() throws {
        let y = [0.3, 0.9, -0.1]
        let g = [1.0, 0, 0]
        for bad in [0.0, -1.0, -0.0, -Double.infinity, Double.infinity] {
            #expect(throws: RamboError.outOfRange(name: "lambda", value: bad, allowed: "finite and > 0")) {
                _ = try checkedRankBackward(scores: y, upstream: g, lambda: bad)
            }
            #expect(throws: RamboError.self) {
                _ = try RankingSolver().checkedBackward(weights: y, upstream: g, lambda: bad)
            }
        }
        #expect(throws: RamboError.nonFinite(name: "scores", index: 1, value: .infinity)) {
            _ = try checkedRankBackward(scores: [0, .infinity, 1], upstream: g, lambda: 1)
        }
        #expect(throws: RamboError.nonFinite(name: "weights", index: 2, value: -.infinity)) {
            _ = try RankingSolver().checkedBackward(weights: [0, 1, -.infinity], upstream: g, lambda: 1)
        }
        #expect(throws: RamboError.lengthMismatch(name: "upstream", expected: 3, actual: 2)) {
            _ = try RankingSolver().checkedBackward(weights: y, upstream: [1, 2], lambda: 1)
        }
        // NaN is not Equatable to itself, so match on the case and the name.
        do {
            _ = try checkedRankBackward(scores: y, upstream: [0, .nan, 0], lambda: 1)
            Issue.record("NaN upstream accepted")
        } catch let RamboError.nonFinite(name, index, value) {
            #expect(name == "upstream" && index == 1 && value.isNaN)
        }
        do {
            _ = try checkedRankBackward(scores: y, upstream: g, lambda: .nan)
            Issue.record("NaN lambda accepted")
        } catch let error as RamboError {
            #expect(error.description.hasPrefix("lambda = nan is out of range"))
        }
        #expect(throws: RamboError.empty(name: "candidates")) { _ = try FiniteSetSolver(candidates: []) }
        #expect(throws: RamboError.lengthMismatch(name: "candidates[1]", expected: 2, actual: 1)) {
            _ = try FiniteSetSolver(candidates: [[1, 2], [3]])
        }
        #expect(throws: RamboError.self) { _ = try GridPathSolver(rows: 0, columns: 3) }
    }
}
