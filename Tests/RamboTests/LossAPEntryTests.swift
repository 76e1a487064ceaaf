import RankKernel
import Support
import Testing

@testable import Rambo

// APLoss's entry points (one list or several, fresh or reused workspace) against its textbook route
// (`APCore.referenceBackward`: two full rankings), bit for bit. RankKernelTests check the kernel itself against
// comparison sorts.

/// The textbook AP term and gradient of one list: the margin, then `APCore.referenceBackward`.
private func textbook(
    scores: [Double], relevance: [Bool], margin: Double, weight: Double, lambda: Double
) -> (precision: Double?, gradient: [Double]) {
    guard relevance.contains(true) else { return (nil, [Double](repeating: 0, count: scores.count)) }
    let shifted = marginShifted(scores, relevance: relevance, alpha: margin)
    let result = APCore.referenceBackward(shifted: shifted, relevance: relevance, weight: weight, lambda: lambda)
    #expect(APCore.referencePrecision(shifted: shifted, relevance: relevance) == result.precision)
    return (result.precision, result.gradient)
}

/// nil when `a` and `b` are equal bit for bit, else where they first differ.
private func mismatch(_ a: [Double], _ b: [Double]) -> String? {
    guard a.count == b.count else { return "lengths \(a.count) and \(b.count)" }
    guard let i = a.indices.first(where: { a[$0].bitPattern != b[$0].bitPattern }) else { return nil }
    return "first difference at \(i): \(a[i]) vs \(b[i])"
}

private func relevanceVector(_ n: Int, rate: Double, seed: UInt64) -> [Bool] {
    var rng = SplitMix64(seed: seed ^ 0xABCD)
    return (0..<n).map { _ in rng.nextUnit() < rate }
}

@Suite("AP loss entry points")
struct LossAPEntryTests {
    @Test("APLoss entry points agree with the textbook route and with each other")
    func entryPoints() {
        var rng = SplitMix64(seed: 77)
        var workspace = RankingWorkspace(capacity: 10)
        var gradient: [Double] = []
        for n in [1, 5, 300, 4000, 70_000, 12] {  // the workspace grows, then serves a shorter list
            let scores = (0..<n).map { _ in (rng.nextGaussian() * 16).rounded() / 16 }
            let relevance = relevanceVector(n, rate: 0.2, seed: UInt64(n))
            let loss = APLoss(lambda: 2, margin: 0.125)
            let plain = loss.valueAndGradient(scores: scores, relevance: relevance, upstream: 0.5)
            let fast = loss.valueAndGradient(
                scores: scores, relevance: relevance, upstream: 0.5,
                workspace: &workspace, gradient: &gradient)
            let reference = textbook(scores: scores, relevance: relevance, margin: 0.125, weight: 0.5, lambda: 2)
            let expectedLoss = reference.precision.map { 1 - $0 } ?? 0
            #expect(plain.loss.bitPattern == expectedLoss.bitPattern)
            #expect(fast.bitPattern == expectedLoss.bitPattern)
            #expect(mismatch(plain.gradient, reference.gradient) == nil)
            #expect(mismatch(gradient, reference.gradient) == nil)
            #expect(
                loss.forward(scores: scores, relevance: relevance, workspace: &workspace).bitPattern
                    == expectedLoss.bitPattern)
            #expect(loss.forward(scores: scores, relevance: relevance).bitPattern == expectedLoss.bitPattern)
        }
        // No positive: loss 0 and a zero gradient, with a workspace too.
        #expect(
            APLoss(lambda: 1).valueAndGradient(
                scores: [0.2, 0.1], relevance: [false, false],
                workspace: &workspace, gradient: &gradient) == 0)
        #expect(gradient.map(\.bitPattern) == [0, 0])
    }

    @Test("several lists: 1 − mean AP over lists with a positive, every list's gradient")
    func severalLists() {
        var rng = SplitMix64(seed: 3)
        let lists = [40, 1, 300, 7, 2500].map { n in (0..<n).map { _ in rng.nextGaussian() } }
        let relevance = lists.enumerated().map { l, list in
            l == 3
                ? [Bool](repeating: false, count: list.count) : relevanceVector(list.count, rate: 0.3, seed: UInt64(l))
        }
        let loss = APLoss(lambda: 3, margin: 0.2)
        let result = loss.valueAndGradient(scores: lists, relevance: relevance, upstream: 2)
        let valid = relevance.filter { $0.contains(true) }.count
        var sum = 0.0
        for l in lists.indices {
            let reference = textbook(
                scores: lists[l], relevance: relevance[l], margin: 0.2, weight: 2 / Double(valid), lambda: 3)
            if let precision = reference.precision { sum += precision }
            #expect(mismatch(result.gradient[l], reference.gradient) == nil, "list \(l)")
        }
        #expect(result.loss.bitPattern == (1 - sum / Double(valid)).bitPattern)
        #expect(loss.forward(scores: lists, relevance: relevance).bitPattern == result.loss.bitPattern)
    }

    @Test("two positives whose perturbed scores meet in the opposite of their index order")
    func perturbedTiesByIndex() {
        var workspace = RankingWorkspace()
        for (scores, relevance, expected) in [
            ([1.0, 2, 0], [true, true, false], [-0.25, 0.25, -0.0]),
            ([0.0, 1, 2], [false, true, true], [-0.5, -0.0, 0.5]),
        ] {
            var gradient: [Double] = []
            _ = APLoss(lambda: 4).valueAndGradient(
                scores: scores, relevance: relevance, upstream: -1,
                workspace: &workspace, gradient: &gradient)
            #expect(mismatch(gradient, expected) == nil)
        }
    }
}
