import Support
import Testing

@testable import RankKernel

// Every path of the radix kernel against the comparison path, bit for bit. With small thresholds
// (`RankingThresholds.tiny` and two more settings) short lists go through insertion sorts, whole-list LSD sorts,
// the split by top bytes, the MSD recursion and windowed index writes (grouped once or twice); the path counters of
// the workspace show that each was taken. Then one list just above each default threshold, with the default
// thresholds.

/// Input families, each stressing something else: random keys, ties, zeros of both signs, subnormals, the
/// extremes of the finite range, one value, presorted lists, and keys that differ only in their low bytes.
enum KernelFamily: String, CaseIterable, CustomTestStringConvertible {
    case uniform, gaussian, tied, signedZeros, subnormal, extreme, constant, ascending, descending, narrow
    var testDescription: String { rawValue }

    func scores(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        switch self {
        case .uniform: return (0..<n).map { _ in rng.nextUnit() }
        case .gaussian: return (0..<n).map { _ in rng.nextGaussian() }
        case .tied: return (0..<n).map { _ in Double(Int(rng.next() % 5)) / 4 - 0.5 }
        case .signedZeros: return (0..<n).map { _ in [0.0, -0.0, 0.0, -0.0, 1e-300, -1e-300][Int(rng.next() % 6)] }
        case .subnormal:
            return (0..<n).map { _ in
                let magnitude = Double.leastNonzeroMagnitude * Double(rng.next() % 1000)
                return rng.next() % 2 == 0 ? magnitude : -magnitude
            }
        case .extreme:
            let values: [Double] = [
                .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .greatestFiniteMagnitude.nextDown,
                .leastNormalMagnitude, -.leastNormalMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                1, -1, 1e300, -1e300, 0, -0.0,
            ]
            return (0..<n).map { _ in values[Int(rng.next() % UInt64(values.count))] }
        case .constant: return [Double](repeating: -0.75, count: n)
        case .ascending: return (0..<n).map { Double($0) * 0.25 - Double(n) / 16 }
        case .descending: return (0..<n).map { Double(n - $0) * 0.5 }
        case .narrow: return (0..<n).map { _ in 1.0 + Double(rng.next() % 5000) * 0x1p-52 }
        }
    }
}

/// Small thresholds under which short lists take every path.
private let settings: [(name: String, thresholds: RankingThresholds)] = {
    var everything = RankingThresholds()  // split every list, recurse down to single items, window every write
    everything.insertionSize = 0
    everything.leafSize = 1
    everything.lsdSize = 0
    everything.windowThreshold = 0
    everything.windowBits = 0
    everything.largestWindowBits = 0
    var insertionHeavy = RankingThresholds()  // big insertion leaves under a split list
    insertionHeavy.insertionSize = 200
    insertionHeavy.leafSize = 300
    insertionHeavy.lsdSize = 100
    insertionHeavy.windowThreshold = 1000
    insertionHeavy.windowBits = 6
    insertionHeavy.largestWindowBits = 6
    return [("tiny", .tiny), ("everything", everything), ("insertion-heavy", insertionHeavy)]
}()

private let pathSizes = [0, 1, 2, 3, 5, 47, 300, 1500, 5000]

/// argsort, rank and rank backward (with and without forward ranks) of one list through `workspace`, against
/// the comparison path; the gradients compared on bit patterns.
private func checkRanking(
    _ scores: [Double], workspace: inout RankingWorkspace, context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let n = scores.count
    let order = RankingKernel.comparisonArgsortDescending(scores)
    let expectedRanks = ranks(fromOrder: order)
    #expect(workspace.argsortDescending(scores) == order, "argsort, \(context)", sourceLocation: sourceLocation)
    var got: [Int] = []
    workspace.rank(scores, into: &got)
    #expect(got == expectedRanks, "rank, \(context)", sourceLocation: sourceLocation)
    var rng = SplitMix64(seed: UInt64(n) &+ 99)
    let upstream = (0..<n).map { i in i % 3 == 0 ? 0 : rng.nextGaussian() }
    for lambda in [0.5, 1e3] {
        var perturbed = scores
        for i in perturbed.indices { perturbed[i] += lambda * upstream[i] }
        let backward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(perturbed))
        let expected = scores.indices.map { -Double(expectedRanks[$0] - backward[$0]) / lambda }
        var gradient: [Double] = []
        workspace.rankBackward(
            scores: scores, ranks: expectedRanks, upstream: upstream, lambda: lambda,
            into: &gradient)
        #expect(
            mismatch(gradient, expected) == nil, "rank backward, λ \(lambda), \(context)",
            sourceLocation: sourceLocation)
        workspace.rankBackward(scores: scores, upstream: upstream, lambda: lambda, into: &gradient)
        #expect(
            mismatch(gradient, expected) == nil, "rank backward without ranks, λ \(lambda), \(context)",
            sourceLocation: sourceLocation)
    }
}

/// The AP kernel (forward only, and forward + backward) against the reference route on comparison sorts.
private func checkAP(
    _ scores: [Double], relevance: [Bool], margin: Double, lambda: Double,
    workspace: inout RankingWorkspace, context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let expected = referenceAP(scores: scores, relevance: relevance, margin: margin, weight: 1, lambda: lambda)
    var gradient = [Double](repeating: .nan, count: scores.count)
    let (precision, forwardOnly) = scores.withUnsafeBufferPointer { y in
        relevance.withUnsafeBufferPointer { rel in
            gradient.withUnsafeMutableBufferPointer { out in
                (
                    workspace.averagePrecisionFastPath(
                        scores: y, relevance: rel, half: margin / 2, weight: 1,
                        lambda: lambda, gradient: out.baseAddress),
                    workspace.averagePrecisionFastPath(
                        scores: y, relevance: rel, half: margin / 2, weight: 1,
                        lambda: lambda, gradient: nil)
                )
            }
        }
    }
    #expect(
        precision?.bitPattern == expected.precision?.bitPattern, "AP, \(context)",
        sourceLocation: sourceLocation)
    #expect(
        forwardOnly?.bitPattern == expected.precision?.bitPattern, "forward-only AP, \(context)",
        sourceLocation: sourceLocation)
    #expect(
        mismatch(gradient, expected.gradient) == nil, "AP gradient, \(context)",
        sourceLocation: sourceLocation)
}

@Suite("Radix kernel paths")
struct KernelPathTests {
    @Test("small thresholds: every family and size, every path, bit for bit", arguments: settings.indices)
    func smallThresholds(setting: Int) {
        let (name, thresholds) = settings[setting]
        var workspace = RankingWorkspace()
        workspace.thresholds = thresholds
        for family in KernelFamily.allCases {
            for n in pathSizes {
                let scores = family.scores(n, seed: UInt64(n) &+ 7)
                let context = "\(family), n \(n), \(name)"
                checkRanking(scores, workspace: &workspace, context: context)
                for rate in [0.1, 0.6] {
                    let relevance = relevanceVector(n, rate: rate, seed: UInt64(n) &+ 3)
                    for (margin, lambda) in [(0.0, 1.0), (0.1, 1e4)] {
                        checkAP(
                            scores, relevance: relevance, margin: margin, lambda: lambda,
                            workspace: &workspace, context: context + ", rate \(rate), λ \(lambda)")
                    }
                }
            }
        }
        // Every path was taken, except those the setting rules out: no whole-list LSD sort when every list is
        // split, no insertion sort of size 0, no LSD leaf when the recursion goes down to single items.
        let ruledOut: Set<RankingPath> = Set(
            [
                thresholds.lsdSize == 0 ? RankingPath.wholeListLSD : nil,
                thresholds.insertionSize == 0 ? .insertion : nil,
                thresholds.leafSize <= 1 ? .leafLSD : nil,
                thresholds.wideSplitSize > pathSizes.max()! ? .wideSplit : nil,
            ]
            .compactMap { $0 })
        for path in RankingPath.allCases where !ruledOut.contains(path) {
            #expect(workspace.pathCount(path) > 0, "path \(path) under \(name)")
        }
    }

    @Test("one list on several threads: the same results bit for bit", arguments: [2, 3])
    func threads(threadCount: Int) {
        var workspace = RankingWorkspace(thresholds: .tiny)
        workspace.threadCount = threadCount
        for family in KernelFamily.allCases {
            for n in pathSizes {
                let scores = family.scores(n, seed: UInt64(n) &+ 21)
                let context = "\(family), n \(n), \(threadCount) threads"
                checkRanking(scores, workspace: &workspace, context: context)
                checkAP(
                    scores, relevance: relevanceVector(n, rate: 0.3, seed: UInt64(n)), margin: 0.1, lambda: 3,
                    workspace: &workspace, context: context)
            }
        }
        #expect(workspace.pathCount(.topByteSplit) > 0)
        #expect(workspace.pathCount(.wideSplit) > 0)
        #expect(workspace.pathCount(.msdSplit) > 0)
        #expect(workspace.pathCount(.windowedWrites) > 0)
        // Default thresholds, one list above the whole-list LSD size (split by its top byte, AP gradient written
        // directly) and one above the wide-split size and the window threshold.
        var defaults = RankingWorkspace()
        defaults.threadCount = threadCount
        let t = defaults.thresholds
        let lists: [(n: Int, seed: UInt64, margin: Double, lambda: Double)] = [
            (t.lsdSize * 3 + 17, 8, 0.05, 2), (max(t.wideSplitSize, t.windowThreshold) + 5, 10, 0, 4),
        ]
        for list in lists {
            let scores = KernelFamily.gaussian.scores(list.n, seed: list.seed)
            let context = "n \(list.n), \(threadCount) threads"
            checkRanking(scores, workspace: &defaults, context: context)
            checkAP(
                scores, relevance: relevanceVector(list.n, rate: 0.1, seed: list.seed + 1), margin: list.margin,
                lambda: list.lambda, workspace: &defaults, context: context)
        }
        #expect(defaults.pathCount(.topByteSplit) > 0)
        #expect(defaults.pathCount(.wideSplit) > 0)
        #expect(defaults.pathCount(.windowedWrites) > 0)
    }

    @Test("the default thresholds keep short lists on one LSD sort and direct writes")
    func defaultsOnShortLists() {
        var workspace = RankingWorkspace()
        let t = workspace.thresholds
        checkRanking(
            KernelFamily.gaussian.scores(t.insertionSize, seed: 1), workspace: &workspace,
            context: "insertion size")
        #expect(workspace.pathCount(.insertion) > 0)
        #expect(workspace.pathCount(.leafLSD) == 0)
        workspace.resetPathCounts()
        checkRanking(
            KernelFamily.gaussian.scores(t.insertionSize + 1, seed: 1), workspace: &workspace,
            context: "insertion + 1")
        #expect(workspace.pathCount(.insertion) == 0)
        #expect(workspace.pathCount(.leafLSD) > 0)
        #expect(workspace.pathCount(.topByteSplit) == 0)
        #expect(workspace.pathCount(.windowedWrites) == 0)
    }

    @Test("one list just above the default whole-list LSD size: top-byte split and MSD recursion")
    func aboveLSDSize() {
        var workspace = RankingWorkspace()
        let n = workspace.thresholds.lsdSize + 1
        // Half in [1, 2) (one top byte, so a bucket far above the leaf size), half Gaussian.
        var rng = SplitMix64(seed: 12)
        let scores = (0..<n).map { i in i % 2 == 0 ? 1 + rng.nextUnit() : rng.nextGaussian() }
        checkRanking(scores, workspace: &workspace, context: "n \(n)")
        checkAP(
            scores, relevance: relevanceVector(n, rate: 0.1, seed: 13), margin: 0.05, lambda: 2,
            workspace: &workspace, context: "n \(n)")
        #expect(workspace.pathCount(.topByteSplit) + workspace.pathCount(.wideSplit) > 0)
        #expect(workspace.pathCount(.msdSplit) > 0)
        #expect(workspace.pathCount(.leafLSD) > 0)
        #expect(workspace.pathCount(.wholeListLSD) > 0)  // the AP kernel's sort of the 10 % positives
    }

    @Test("one list just above the default window threshold and wide-split size: windowed writes, wide split")
    func aboveWindowThreshold() {
        var workspace = RankingWorkspace()
        let n = max(workspace.thresholds.windowThreshold, workspace.thresholds.wideSplitSize) + 1
        let scores = KernelFamily.tied.scores(n, seed: 14).enumerated().map { $0.element + Double($0.offset % 97) }
        checkRanking(scores, workspace: &workspace, context: "n \(n)")
        checkAP(
            scores, relevance: relevanceVector(n, rate: 0.1, seed: 15), margin: 0, lambda: 8,
            workspace: &workspace, context: "n \(n)")
        #expect(workspace.pathCount(.windowedWrites) > 0)
        #expect(workspace.pathCount(.wideSplit) > 0)
    }

    @Test("one list above the default size for index windows grouped twice: the same as grouped once")
    func aboveRefinedWindows() {
        var workspace = RankingWorkspace()
        let t = workspace.thresholds
        // More than 2^streamBits windows of the largest size: 2^(largestWindowBits + streamBits) + 1 items.
        let n = 1 << (t.largestWindowBits + IndexWindows.streamBits) + 1
        var rng = SplitMix64(seed: 16)
        let scores = (0..<n).map { i in i % 7 == 0 ? Double(i % 11) : rng.nextGaussian() }  // ties as well
        var ranks: [Int] = []
        workspace.rank(scores, into: &ranks)
        #expect(workspace.pathCount(.refinedWindows) == 1)
        // An O(n) proof that these are the stable descending ranks: a permutation of 1...n whose order is sorted.
        var order = [Int](repeating: -1, count: n)
        for (i, r) in ranks.enumerated() where r >= 1 && r <= n { order[r - 1] = i }
        #expect(!order.contains(-1), "ranks are a permutation of 1...n")
        let sorted = (1..<n).allSatisfy { k in
            let a = order[k - 1]
            let b = order[k]
            return a >= 0 && b >= 0 && (scores[a] > scores[b] || (scores[a] == scores[b] && a < b))
        }
        #expect(sorted, "every rank follows the scores, ties by index")
        // Rank backward and the AP gradient against the same kernel with windows grouped once.
        var once = RankingWorkspace()
        once.thresholds.largestWindowBits = 64
        let upstream = (0..<n).map { i in i % 3 == 0 ? 0 : rng.nextGaussian() }
        var gradient: [Double] = []
        var expected: [Double] = []
        workspace.rankBackward(scores: scores, ranks: ranks, upstream: upstream, lambda: 5, into: &gradient)
        once.rankBackward(scores: scores, ranks: ranks, upstream: upstream, lambda: 5, into: &expected)
        #expect(mismatch(gradient, expected) == nil, "rank backward")
        let relevance = relevanceVector(n, rate: 0.1, seed: 17)
        let ap = averagePrecision(scores, relevance: relevance, lambda: 3, workspace: &workspace)
        let apExpected = averagePrecision(scores, relevance: relevance, lambda: 3, workspace: &once)
        #expect(ap.precision?.bitPattern == apExpected.precision?.bitPattern)
        #expect(mismatch(ap.gradient, apExpected.gradient) == nil, "AP gradient")
        #expect(workspace.pathCount(.refinedWindows) == 3)
        #expect(once.pathCount(.refinedWindows) == 0)
    }
}
