import Support
import Testing

@testable import RankKernel

// The O(n) AP kernel against the textbook route: rank the margin-shifted scores, walk the
// order for rk⁺/rk and dL/drk, rank the perturbed scores, take the difference of the two rankings. Here every
// ranking is the comparison sort, so the reference shares no code with the kernel. The kernel promises the
// same numbers bit for bit, so the comparisons are on bit patterns (a −0.0 where +0.0 was expected fails).

/// The reference AP term and gradient of one list (the textbook route, comparison sorts): Σ_pos rk⁺/rk / #pos of
/// the margin-shifted scores and dL/dy for L = −weight · term.
func referenceAP(
    scores: [Double], relevance: [Bool], margin: Double, weight: Double, lambda: Double
) -> (precision: Double?, gradient: [Double]) {
    // The margin of Eq. 14 as Rambo's `applyMargin` writes it.
    let half = margin / 2
    let shifted = scores.indices.map { scores[$0] + (relevance[$0] ? -half : half) }
    let positives = relevance.filter { $0 }.count
    guard positives > 0 else { return (nil, [Double](repeating: 0, count: scores.count)) }
    let order = RankingKernel.comparisonArgsortDescending(shifted)
    let positiveCount = Double(positives)
    var upstream = [Double](repeating: 0, count: scores.count)
    var positivesSoFar = 0
    var sum = 0.0
    for (position, index) in order.enumerated() where relevance[index] {
        positivesSoFar += 1
        let rankAll = Double(position + 1)
        let rankPositive = Double(positivesSoFar)
        sum += rankPositive / rankAll
        upstream[index] = weight * rankPositive / (rankAll * rankAll * positiveCount)
    }
    let forward = ranks(fromOrder: order)
    var perturbed = shifted
    for i in perturbed.indices { perturbed[i] += lambda * upstream[i] }
    let backward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(perturbed))
    let gradient = scores.indices.map { -Double(forward[$0] - backward[$0]) / lambda }
    return (sum / Double(positives), gradient)
}

/// nil when `a` and `b` are equal bit for bit, else where they first differ (short, for test output).
func mismatch(_ a: [Double], _ b: [Double]) -> String? {
    guard a.count == b.count else { return "lengths \(a.count) and \(b.count)" }
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return nil }
    let count = a.indices.filter { a[$0].bitPattern != b[$0].bitPattern }.count
    return "\(count) entries differ, first at \(i): \(a[i]) vs \(b[i])"
}

/// Input families: each stresses something else in the kernel.
enum FastAPInput: String, CaseIterable, CustomTestStringConvertible {
    case gaussian, tied, signedZeros, subnormal, extreme, ascending, constant
    var testDescription: String { rawValue }

    func scores(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        switch self {
        case .gaussian: return (0..<n).map { _ in rng.nextGaussian() }
        case .tied: return (0..<n).map { _ in Double(Int(rng.next() % 4)) / 8 }
        case .signedZeros:
            return (0..<n).map { _ in [0.0, -0.0, 0.0, -0.0, 1e-300, -1e-300][Int(rng.next() % 6)] }
        case .subnormal:
            return (0..<n).map { _ in
                let magnitude = Double.leastNonzeroMagnitude * Double(rng.next() % 5)
                return rng.next() % 2 == 0 ? magnitude : -magnitude
            }
        case .extreme:
            let values: [Double] = [
                .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
                .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1, 1.0.nextUp, 1e300, -1e300, 0, -0.0,
            ]
            return (0..<n).map { _ in values[Int(rng.next() % UInt64(values.count))] }
        case .ascending: return (0..<n).map { Double($0) * 0.25 - Double(n) / 16 }
        case .constant: return [Double](repeating: 0.75, count: n)
        }
    }
}

func relevanceVector(_ n: Int, rate: Double, seed: UInt64) -> [Bool] {
    var rng = SplitMix64(seed: seed ^ 0xABCD)
    return (0..<n).map { _ in rng.nextUnit() < rate }
}

/// Runs the kernel on one list and compares everything with the reference.
private func checkKernel(
    scores: [Double], relevance: [Bool], margin: Double, weight: Double, lambda: Double,
    workspace: inout RankingWorkspace,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let expected = referenceAP(
        scores: scores, relevance: relevance, margin: margin, weight: weight, lambda: lambda)
    var gradient = [Double](repeating: .nan, count: scores.count)
    let (precision, forwardOnly) = scores.withUnsafeBufferPointer { y in
        relevance.withUnsafeBufferPointer { rel in
            gradient.withUnsafeMutableBufferPointer { out in
                (
                    workspace.averagePrecisionFastPath(
                        scores: y, relevance: rel, half: margin / 2, weight: weight,
                        lambda: lambda, gradient: out.baseAddress),
                    workspace.averagePrecisionFastPath(
                        scores: y, relevance: rel, half: margin / 2, weight: weight,
                        lambda: lambda, gradient: nil)
                )
            }
        }
    }
    let context = "n \(scores.count), α \(margin), weight \(weight), λ \(lambda)"
    #expect(
        precision?.bitPattern == expected.precision?.bitPattern, "precision, \(context)",
        sourceLocation: sourceLocation)
    #expect(
        forwardOnly?.bitPattern == expected.precision?.bitPattern, "forward-only precision, \(context)",
        sourceLocation: sourceLocation)
    let difference = mismatch(gradient, expected.gradient)
    #expect(difference == nil, "gradient, \(context)", sourceLocation: sourceLocation)
}

@Suite("Fast AP kernel")
struct FastAPTests {
    @Test(
        "every input family, margins, λ and upstream weights (short lists)",
        arguments: FastAPInput.allCases)
    func shortLists(family: FastAPInput) {
        var workspace = RankingWorkspace()
        for n in [1, 2, 3, 7, 47, 48, 49, 300, 2049] {
            let scores = family.scores(n, seed: UInt64(n))
            for rate in [0.1, 0.5, 1.0] {
                let relevance = relevanceVector(n, rate: rate, seed: UInt64(n) &+ 11)
                for margin in [0.0, 0.1] {
                    for lambda in [1e-3, 1.0, 1e3, 1e308] {
                        for weight in [1.0, -0.5, 0] {
                            checkKernel(
                                scores: scores, relevance: relevance, margin: margin, weight: weight,
                                lambda: lambda, workspace: &workspace)
                        }
                    }
                }
            }
        }
    }

    @Test("long lists: the split by top bytes before the in-cache passes", arguments: FastAPInput.allCases)
    func longLists(family: FastAPInput) {
        var workspace = RankingWorkspace()
        let n = 70_001
        let scores = family.scores(n, seed: 5)
        let relevance = relevanceVector(n, rate: 0.1, seed: 6)
        for (margin, lambda) in [(0.0, 1.0), (0.05, 1e4), (0.0, 1e-2)] {
            checkKernel(
                scores: scores, relevance: relevance, margin: margin, weight: 1, lambda: lambda,
                workspace: &workspace)
        }
    }

    @Test("the windowed gradient writes give the same gradient", arguments: [FastAPInput.gaussian, .tied])
    func windowedWrites(family: FastAPInput) {
        var workspace = RankingWorkspace()
        workspace.thresholds.windowThreshold = 0
        for n in [1000, 300_001] {  // one window; three windows of 2^17
            let scores = family.scores(n, seed: 9)
            let relevance = relevanceVector(n, rate: 0.1, seed: 10)
            checkKernel(
                scores: scores, relevance: relevance, margin: 0.01, weight: 1, lambda: 1e3,
                workspace: &workspace)
        }
    }

    @Test("a large λ moves positives past many items, and positives past each other")
    func largeMoves() {
        var workspace = RankingWorkspace()
        // Positives at the bottom with large upstream reach the top; ties among perturbed positives are
        // resolved by index even when their forward order differs.
        let n = 5000
        var scores = (0..<n).map { Double(n - $0) }
        let relevance = (0..<n).map { $0 % 7 == 3 || $0 > n - 20 }
        checkKernel(
            scores: scores, relevance: relevance, margin: 0, weight: 1, lambda: 1e9,
            workspace: &workspace)
        // Two positives whose perturbed scores meet exactly (2 − 4·0.5 = 1 − 4·0.25 = 0) in the opposite of
        // their index order, on top of a negative at 0: all three tie, so the perturbed order is by index.
        for (scores, relevance, expected) in [
            ([1.0, 2, 0], [true, true, false], [-0.25, 0.25, -0.0]),
            ([0.0, 1, 2], [false, true, true], [-0.5, -0.0, 0.5]),
        ] {
            checkKernel(
                scores: scores, relevance: relevance, margin: 0, weight: -1, lambda: 4,
                workspace: &workspace)
            var gradient = [Double](repeating: .nan, count: scores.count)
            _ = scores.withUnsafeBufferPointer { y in
                relevance.withUnsafeBufferPointer { rel in
                    gradient.withUnsafeMutableBufferPointer { out in
                        workspace.averagePrecisionFastPath(
                            scores: y, relevance: rel, half: 0, weight: -1, lambda: 4, gradient: out.baseAddress)
                    }
                }
            }
            #expect(mismatch(gradient, expected) == nil)
        }
        // Integer-valued scores with dyadic λ·upstream land exactly on other scores: ties across the merge.
        scores = (0..<n).map { Double(($0 * 37) % 50) }
        for lambda in [0.5, 1, 4, 64, 4096] {
            checkKernel(
                scores: scores, relevance: relevance, margin: 1, weight: 1, lambda: lambda,
                workspace: &workspace)
        }
    }
}
