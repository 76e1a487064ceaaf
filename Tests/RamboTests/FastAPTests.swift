import Support
import Testing

@testable import Rambo
@testable import RankKernel

// The O(n) AP kernel (FastAPKernel.swift) against the textbook route: rank the margin-shifted scores, walk the
// order for rk⁺/rk and dL/drk, rank the perturbed scores, take the difference of the two rankings. Here every
// ranking is the comparison sort, so the reference shares no code with the kernel. The kernel promises the
// same numbers bit for bit, so the comparisons are on bit patterns (a −0.0 where +0.0 was expected fails).
// The kernel serves the `paper` convention; `official` takes the reference path (OfficialTests).

/// The reference AP term and gradient of one list (the route of `APCore.referenceBackward`, comparison sorts).
func referenceAP(
    scores: [Double], relevance: [Bool], margin: Double, weight: Double, lambda: Double, convention: Convention
) -> (precision: Double?, gradient: [Double]) {
    let shifted = marginShifted(scores, relevance: relevance, alpha: margin)
    let positives = relevance.filter { $0 }.count
    guard positives > 0 else { return (nil, [Double](repeating: 0, count: scores.count)) }
    let order = RankingKernel.comparisonArgsortDescending(shifted)
    let length = Double(scores.count)
    let positiveCount = convention == .paper ? Double(positives) : Double(positives) + 1e-5
    var upstream = [Double](repeating: 0, count: scores.count)
    var positivesSoFar = 0
    var sum = 0.0
    for (position, index) in order.enumerated() where relevance[index] {
        positivesSoFar += 1
        switch convention {
        case .paper:
            let rankAll = Double(position + 1)
            let rankPositive = Double(positivesSoFar)
            sum += rankPositive / rankAll
            upstream[index] = weight * rankPositive / (rankAll * rankAll * positiveCount)
        case .official:
            let rankAll = Double(position + 1) / length
            let rankPositive = Double(positivesSoFar) / length
            sum += rankPositive / rankAll
            upstream[index] = weight * rankPositive / (rankAll * rankAll) / positiveCount
        }
    }
    let forward = ranks(fromOrder: order)
    var perturbed = shifted
    for i in perturbed.indices { perturbed[i] += lambda * upstream[i] }
    let backward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(perturbed))
    let gradient: [Double] = scores.indices.map { i in
        switch convention {
        case .paper: return -Double(forward[i] - backward[i]) / lambda
        case .official:
            return -(Double(forward[i]) / length - Double(backward[i]) / length) / (lambda + 1e-8)
        }
    }
    let precision = convention == .paper ? sum / Double(positives) : sum / (Double(positives) + 1e-5)
    return (precision, gradient)
}

private func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

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
        scores: scores, relevance: relevance, margin: margin, weight: weight, lambda: lambda,
        convention: .paper)
    var gradient = [Double](repeating: .nan, count: scores.count)
    let (precision, forwardOnly) = scores.withUnsafeBufferPointer { y in
        relevance.withUnsafeBufferPointer { rel in
            gradient.withUnsafeMutableBufferPointer { out in
                (
                    workspace.averagePrecisionKernel(
                        scores: y, relevance: rel, half: margin / 2, weight: weight,
                        lambda: lambda, gradient: out.baseAddress),
                    workspace.averagePrecisionKernel(
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
            var gradient: [Double] = []
            _ = APLoss(lambda: 4).valueAndGradient(
                scores: scores, relevance: relevance, upstream: -1,
                workspace: &workspace, gradient: &gradient)
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

    @Test("APLoss entry points agree with the reference and with each other")
    func entryPoints() {
        var rng = SplitMix64(seed: 77)
        var workspace = RankingWorkspace(capacity: 10)
        var gradient: [Double] = []
        for n in [1, 5, 300, 4000, 70_000, 12] {  // the workspace grows, then serves a shorter list
            let scores = (0..<n).map { _ in (rng.nextGaussian() * 16).rounded() / 16 }
            let relevance = relevanceVector(n, rate: 0.2, seed: UInt64(n))
            // `official` runs on the reference path (Float32, the authors' ties), checked against the authors'
            // frozen answers in AuthorsFixtureTests; here its entry points must agree with each other.
            let official = APLoss(lambda: 2, margin: 0.125, convention: .official)
            let officialPlain = official.valueAndGradient(scores: scores, relevance: relevance, upstream: 0.5)
            let officialFast = official.valueAndGradient(
                scores: scores, relevance: relevance, upstream: 0.5,
                workspace: &workspace, gradient: &gradient)
            #expect(officialPlain.loss.bitPattern == officialFast.bitPattern)
            #expect(mismatch(officialPlain.gradient, gradient) == nil)
            #expect(official.forward(scores: scores, relevance: relevance).bitPattern == officialFast.bitPattern)
            for convention in [Convention.paper] {
                let loss = APLoss(lambda: 2, margin: 0.125, convention: convention)
                let plain = loss.valueAndGradient(scores: scores, relevance: relevance, upstream: 0.5)
                let fast = loss.valueAndGradient(
                    scores: scores, relevance: relevance, upstream: 0.5,
                    workspace: &workspace, gradient: &gradient)
                let reference = referenceAP(
                    scores: scores, relevance: relevance, margin: 0.125, weight: 0.5,
                    lambda: 2, convention: convention)
                let expectedLoss = reference.precision.map { 1 - $0 } ?? 0
                #expect(plain.loss.bitPattern == expectedLoss.bitPattern)
                #expect(fast.bitPattern == expectedLoss.bitPattern)
                #expect(mismatch(plain.gradient, reference.gradient) == nil)
                #expect(mismatch(gradient, reference.gradient) == nil)
                #expect(
                    loss.forward(scores: scores, relevance: relevance, workspace: &workspace).bitPattern
                        == expectedLoss.bitPattern)
                #expect(loss.forward(scores: scores, relevance: relevance).bitPattern == expectedLoss.bitPattern)
                // The verbatim textbook code (APCore.referenceBackward) agrees too.
                let shifted = marginShifted(scores, relevance: relevance, alpha: 0.125)
                if relevance.contains(true) {
                    let textbook = APCore.referenceBackward(
                        shifted: shifted, relevance: relevance, weight: 0.5,
                        lambda: 2, convention: convention)
                    #expect(mismatch(textbook.gradient, reference.gradient) == nil)
                    #expect(textbook.precision.bitPattern == reference.precision!.bitPattern)
                }
            }
        }
        // No positive: loss 0 and a zero gradient, with a workspace too.
        #expect(
            APLoss(lambda: 1).valueAndGradient(
                scores: [0.2, 0.1], relevance: [false, false],
                workspace: &workspace, gradient: &gradient) == 0)
        #expect(bits(gradient) == bits([0, 0]))
    }

    @Test("several lists: 1 − mean AP over lists with a positive, every list's gradient")
    func severalLists() {
        var rng = SplitMix64(seed: 3)
        let lists = [40, 1, 300, 7, 2500].map { n in (0..<n).map { _ in rng.nextGaussian() } }
        let relevance = lists.enumerated().map { l, list in
            l == 3
                ? [Bool](repeating: false, count: list.count) : relevanceVector(list.count, rate: 0.3, seed: UInt64(l))
        }
        for convention in [Convention.paper] {  // official: AuthorsFixtureTests
            let loss = APLoss(lambda: 3, margin: 0.2, convention: convention)
            let result = loss.valueAndGradient(scores: lists, relevance: relevance, upstream: 2)
            let valid = relevance.filter { $0.contains(true) }.count
            var sum = 0.0
            for l in lists.indices {
                let reference = referenceAP(
                    scores: lists[l], relevance: relevance[l], margin: 0.2,
                    weight: 2 / Double(valid), lambda: 3, convention: convention)
                if let precision = reference.precision { sum += precision }
                #expect(mismatch(result.gradient[l], reference.gradient) == nil, "list \(l), \(convention)")
            }
            #expect(result.loss.bitPattern == (1 - sum / Double(valid)).bitPattern)
            #expect(loss.forward(scores: lists, relevance: relevance).bitPattern == result.loss.bitPattern)
        }
    }
}
