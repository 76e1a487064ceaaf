import RankKernel
import Support
import Testing

@testable import Rambo

private func gaussian(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in rng.nextGaussian() }
}

@Suite("Ranking conventions")
struct RankingConventionTests {
    @Test("documented examples")
    func examples() {
        #expect(rank([0.3, 0.9, -0.1, 0.5]) == [3, 1, 4, 2])
        #expect(rank([1, 1, 0]) == [1, 2, 3])
        #expect(argsortDescending([0.3, 0.9, -0.1, 0.5]) == [1, 3, 0, 2])
        #expect(rank([]) == [])
        #expect(argsortDescending([]) == [])
        #expect(rank([42]) == [1])
    }

    @Test("rank is the inverse of argsort")
    func inverse() {
        let scores = gaussian(5000, seed: 1)
        let order = argsortDescending(scores)
        let r = rank(scores)
        for k in order.indices { #expect(r[order[k]] == k + 1) }
    }

    @Test(
        "rank, argsort and rankBackward are the kernel's, and rank is its definition", arguments: [0, 1, 7, 700, 5000])
    func kernelAndDefinition(n: Int) {
        var rng = SplitMix64(seed: UInt64(n) &+ 5)
        let scores = (0..<n).map { _ in Double(Int(rng.next() % 9)) / 4 }  // many ties
        let upstream = (0..<n).map { _ in rng.nextGaussian() }
        let order = RankingKernel.comparisonArgsortDescending(scores)
        #expect(argsortDescending(scores) == order)
        #expect(rank(scores) == ranks(fromOrder: order))
        if n <= 700 { #expect(rankByCounting(scores) == rank(scores)) }
        var workspace = RankingWorkspace()
        let expected = workspace.rankBackward(scores: scores, upstream: upstream, lambda: 0.5)
        #expect(rankBackward(scores: scores, upstream: upstream, lambda: 0.5) == expected)
    }
}
