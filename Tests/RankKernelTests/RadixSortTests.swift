import Support
import Testing

@testable import RankKernel

// The radix kernel against the two references: the comparison sort (`RankingKernel.comparisonArgsortDescending`)
// and the definition (`countingRanks`, O(n²), so only on short lists).

/// Checks every fast path against the references on one list.
private func checkAgainstReferences(
    _ scores: [Double], counting: Bool = true,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let reference = RankingKernel.comparisonArgsortDescending(scores)
    let referenceRanks = ranks(fromOrder: reference)
    var workspace = RankingWorkspace()
    #expect(
        workspace.argsortDescending(scores) == reference, "workspace argsort, n = \(scores.count)",
        sourceLocation: sourceLocation)
    #expect(
        workspace.rank(scores) == referenceRanks, "workspace rank, n = \(scores.count)",
        sourceLocation: sourceLocation)
    if counting, scores.count <= 700 {  // the definition is O(n²): keep the test fast
        #expect(
            countingRanks(scores) == referenceRanks, "countingRanks, n = \(scores.count)",
            sourceLocation: sourceLocation)
    }
}

private func uniform(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in rng.nextUnit() }
}

private func gaussian(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in rng.nextGaussian() }
}

/// Sizes at the ends, around the comparison threshold (256, also the bucket count of an 8-bit digit), the
/// insertion-sort cut-off, and a few more powers of two.
private let sizes = [0, 1, 2, 3, 7, 31, 32, 33, 64, 255, 256, 257, 1000, 2047, 2048, 2049, 4097]

@Suite("Radix ranking kernel")
struct RadixSortTests {
    @Test("random uniform and Gaussian scores, many sizes", arguments: sizes)
    func random(n: Int) {
        checkAgainstReferences(uniform(n, seed: UInt64(n) &+ 1))
        checkAgainstReferences(gaussian(n, seed: UInt64(n) &+ 1000))
    }

    @Test("heavy ties: few distinct values; ties broken by the smaller index", arguments: [2, 5, 300, 3000])
    func heavyTies(n: Int) {
        var rng = SplitMix64(seed: 7)
        for distinct in [1, 2, 3, 17] {
            let values = (0..<distinct).map { _ in rng.nextGaussian() }
            let scores = (0..<n).map { _ in values[Int(rng.next() % UInt64(distinct))] }
            checkAgainstReferences(scores)
        }
    }

    @Test("stability: equal scores come out in index order")
    func stability() {
        for n in [10, 300, 5000] {
            let scores = (0..<n).map { Double($0 % 3) }
            let order = argsortDescending(scores)
            for k in 1..<n where scores[order[k]] == scores[order[k - 1]] {
                #expect(order[k] > order[k - 1])
            }
            #expect(order.prefix(3) == [2, 5, 8])
        }
        // All equal: the identity.
        #expect(argsortDescending([Double](repeating: 0.5, count: 1000)) == Array(0..<1000))
        #expect(rank([Double](repeating: -3, count: 1000)) == Array(1...1000))
    }

    @Test("signed zeros tie; the earlier index ranks higher")
    func signedZeros() {
        #expect(rank([0.0, -0.0]) == [1, 2])
        #expect(rank([-0.0, 0.0]) == [1, 2])
        #expect(descendingRadixKey(-0.0) == descendingRadixKey(0.0))
        for n in [4, 600] {
            let scores = (0..<n).map { i -> Double in [0.0, -0.0, 1.0, -1.0][i % 4] }
            checkAgainstReferences(scores)
        }
    }

    @Test("extremes: subnormals, least nonzero and greatest finite magnitudes, mixed signs")
    func extremes() {
        let special: [Double] = [
            0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
            -.leastNormalMagnitude, .leastNormalMagnitude.nextDown, -.leastNormalMagnitude.nextDown,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .greatestFiniteMagnitude.nextDown,
            -.greatestFiniteMagnitude.nextDown, 1, -1, 1.0.nextUp, 1.0.nextDown, -(1.0.nextUp),
            Double.leastNonzeroMagnitude * 3, 0x1p-1060,
        ]
        checkAgainstReferences(special)
        var rng = SplitMix64(seed: 99)
        for n in [20, 700, 3000] {
            let scores = (0..<n).map { _ in special[Int(rng.next() % UInt64(special.count))] }
            checkAgainstReferences(scores)
        }
        // The key map is strictly monotone over the sorted specials.
        let sorted = special.sorted(by: >)
        for k in 1..<sorted.count {
            if sorted[k] == sorted[k - 1] {
                #expect(descendingRadixKey(sorted[k]) == descendingRadixKey(sorted[k - 1]))
            } else {
                #expect(descendingRadixKey(sorted[k]) > descendingRadixKey(sorted[k - 1]))
            }
        }
    }

    @Test("sorted and reverse-sorted input", arguments: [5, 300, 3000])
    func presorted(n: Int) {
        let ascending = uniform(n, seed: 5).sorted()
        checkAgainstReferences(ascending)
        checkAgainstReferences(Array(ascending.reversed()))
        #expect(argsortDescending(Array(ascending.reversed())) == Array(0..<n))
    }

    @Test("keys that differ only in bits next to digit boundaries")
    func digitBoundaries() {
        // Every bit of the key on its own, and pairs of bits straddling every digit edge of 8-, 11- and 16-bit
        // digits, from positive and negative bases, so single-digit and skipped-digit passes are exercised.
        for base in [1.5, -1.5, 1e-300, -1e300] {
            let bits = base.bitPattern
            var scores: [Double] = []
            for b in 0..<63 {
                scores.append(Double(bitPattern: bits ^ (1 << UInt64(b))))
            }
            for edge in Set(
                Array(stride(from: 8, through: 56, by: 8)) + Array(stride(from: 11, through: 55, by: 11))
                    + [16, 32, 48]
            ).sorted() {
                for b in [edge - 1, edge] {
                    scores.append(Double(bitPattern: bits ^ (3 << UInt64(b - 1))))
                }
            }
            let finite = scores.filter(\.isFinite)
            checkAgainstReferences(finite)
            // Long enough for the radix path: repeat with ties.
            checkAgainstReferences(finite + finite + finite + finite + finite)
        }
        // Only one digit varies (values in a narrow range): one pass.
        let narrow = (0..<3000).map { 1.0 + Double($0 % 1500) * 0x1p-52 }
        checkAgainstReferences(narrow)
    }

    @Test(
        "longer lists: the index moves into already-sorted key bits (packed passes)", arguments: [65536, 65537, 70001])
    func packed(n: Int) {
        checkAgainstReferences(gaussian(n, seed: 21), counting: false)
        // Narrow range: only low digits vary, so packing happens late or the last pass is a pair pass.
        checkAgainstReferences((0..<n).map { 1.0 + Double(($0 &* 7919) % 40000) * 0x1p-52 }, counting: false)
        // Ties plus a wide range.
        var rng = SplitMix64(seed: 5)
        checkAgainstReferences(
            (0..<n).map { _ in Double(Int(rng.next() % 1000)) * 1e200 - 5e202 },
            counting: false)
    }

    @Test("a workspace is reusable across lengths and gives the same answers")
    func reuse() {
        var workspace = RankingWorkspace(capacity: 100)
        var order: [Int] = []
        var ranksOut: [Int] = []
        for n in [3000, 10, 0, 300, 3000, 1] {
            let scores = gaussian(n, seed: UInt64(n) + 17)
            workspace.argsortDescending(scores, into: &order)
            #expect(order == RankingKernel.comparisonArgsortDescending(scores))
            workspace.rank(scores, into: &ranksOut)
            #expect(ranksOut == ranks(fromOrder: order))
        }
        #expect(workspace.capacity >= 3000)
        workspace.releaseMemory()
        #expect(workspace.capacity == 0)
        #expect(workspace.rank([2, 1, 3]) == [2, 3, 1])
    }

    @Test("rankBackward through the workspace equals the comparison-based reference", arguments: [0, 1, 2, 100, 2500])
    func backward(n: Int) {
        var rng = SplitMix64(seed: UInt64(n) + 3)
        // Rounded scores force ties, and upstream zeros leave some scores unperturbed.
        let scores = (0..<n).map { _ in (rng.nextGaussian() * 8).rounded() / 8 }
        let upstream = (0..<n).map { i in i % 3 == 0 ? 0 : rng.nextGaussian() }
        for lambda in [0.5, 1.0, 1e6] {
            let forward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(scores))
            var perturbed = scores
            for i in perturbed.indices { perturbed[i] += lambda * upstream[i] }
            let backward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(perturbed))
            let expected = scores.indices.map { -Double(forward[$0] - backward[$0]) / lambda }
            var workspace = RankingWorkspace()
            #expect(
                workspace.rankBackward(scores: scores, ranks: forward, upstream: upstream, lambda: lambda)
                    == expected)
            #expect(workspace.rankBackward(scores: scores, upstream: upstream, lambda: lambda) == expected)
            #expect(rankBackward(scores: scores, upstream: upstream, lambda: lambda) == expected)
        }
    }

    @Test("long lists through every first split: top byte, second byte, low bits only, heavy ties")
    func longListSplits() {
        let n = 200_003
        var rng = SplitMix64(seed: 31)
        // Mixed signs: the top byte of the key varies.
        checkAgainstReferences((0..<n).map { _ in rng.nextGaussian() }, counting: false)
        // Positive scores in [0, 1): the top byte is constant, the second varies.
        checkAgainstReferences((0..<n).map { _ in rng.nextUnit() }, counting: false)
        // A narrow range: only the low 40 bits vary, so the split starts below the top two bytes.
        checkAgainstReferences((0..<n).map { _ in 1.0 + Double(rng.next() % (1 << 40)) * 0x1p-52 }, counting: false)
        // Three distinct values: buckets whose keys are all equal.
        checkAgainstReferences((0..<n).map { _ in [-2.5, 0.0, 7.0][Int(rng.next() % 3)] }, counting: false)
        // One value.
        checkAgainstReferences([Double](repeating: -1, count: n), counting: false)
        // Values that share long prefixes: every byte of the key below the top one differs somewhere.
        checkAgainstReferences(
            (0..<n).map { i in Double(bitPattern: 0x3FF0_0000_0000_0000 | UInt64(i) &* 0x9E37_79B9) },
            counting: false)
    }

    @Test("windowed index writes (rank, rankBackward) equal the direct ones", arguments: [1000, 300_001])
    func windowedWrites(n: Int) {
        var rng = SplitMix64(seed: UInt64(n))
        let scores = (0..<n).map { _ in (rng.nextGaussian() * 64).rounded() / 64 }
        let upstream = (0..<n).map { i in i % 4 == 0 ? 0 : rng.nextGaussian() }
        let expected = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(scores))
        var workspace = RankingWorkspace()
        workspace.thresholds.windowThreshold = 0
        var windowed: [Int] = []
        workspace.rank(scores, into: &windowed)
        #expect(windowed == expected)
        var perturbed = scores
        for i in perturbed.indices { perturbed[i] += 3 * upstream[i] }
        let backward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(perturbed))
        let gradient = scores.indices.map { -Double(expected[$0] - backward[$0]) / 3 }
        var windowedGradient: [Double] = []
        workspace.rankBackward(scores: scores, ranks: nil, upstream: upstream, lambda: 3, into: &windowedGradient)
        #expect(workspace.pathCount(.windowedWrites) == 3)  // rank, and rankBackward's forward and backward ranks
        #expect(windowedGradient.map(\.bitPattern) == gradient.map(\.bitPattern))
        var direct = RankingWorkspace()
        #expect(
            direct.rankBackward(scores: scores, upstream: upstream, lambda: 3).map(\.bitPattern)
                == gradient.map(\.bitPattern))
    }

    @Test("the key map inverts: scores come back from their keys")
    func keyInverse() {
        let special: [Double] = [
            0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1, .pi, -.pi, .infinity, -.infinity, 1e-300,
        ]
        for y in special {
            #expect(scoreFromDescendingRadixKey(descendingRadixKey(y)).bitPattern == y.bitPattern)
        }
        #expect(scoreFromDescendingRadixKey(descendingRadixKey(-0.0)).bitPattern == (0.0).bitPattern)
        var rng = SplitMix64(seed: 4)
        for _ in 0..<10_000 {
            let y = Double(bitPattern: rng.next())
            if y.isNaN { continue }
            #expect(scoreFromDescendingRadixKey(descendingRadixKey(y)) == y)
        }
    }

    @Test("the general kernel hands every position to the sink exactly once")
    func generalKernel() {
        final class Calls {
            var positions: [Int] = []
            var indices: [Int] = []
        }
        struct Collect: RadixSink {
            let calls: Calls
            mutating func put(position: Int, index: Int) {
                calls.positions.append(position)
                calls.indices.append(index)
            }
        }
        for n in [1000, 200_000] {  // one LSD sort; split by top bytes first
            let scores = gaussian(n, seed: UInt64(n))
            let calls = Calls()
            var workspace = RankingWorkspace()
            scores.withUnsafeBufferPointer { y in
                workspace.run(n: n, source: ScoreKeys(scores: y.baseAddress), sink: Collect(calls: calls))
            }
            #expect(calls.positions == Array(0..<n), "positions in increasing order, each once")
            #expect(calls.indices == RankingKernel.comparisonArgsortDescending(scores))
        }
        let scores = gaussian(1000, seed: 11)
        var workspace = RankingWorkspace()
        var order = [Int](repeating: -1, count: 1000)
        scores.withUnsafeBufferPointer { y in
            order.withUnsafeMutableBufferPointer { out in
                workspace.run(
                    n: 1000, source: ScoreKeys(scores: y.baseAddress), sink: OrderSink(order: out.baseAddress))
            }
        }
        #expect(order == RankingKernel.comparisonArgsortDescending(scores))
    }
}
