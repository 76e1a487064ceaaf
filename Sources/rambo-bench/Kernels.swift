// What rambo-bench times, one list ("row") at a time. Every kernel owns its scratch memory (a
// `RankingWorkspace` and its output buffers), allocated on the first call, so the timed repeats allocate nothing.

import Rambo

/// The inputs: `rows` lists of `n` seeded random scores (standard normal), 10% positives, and a random
/// upstream gradient dL/drk for `rank_backward`.
final class BenchData: @unchecked Sendable {
    let scores: [[Double]]
    let relevance: [[Bool]]
    let upstream: [[Double]]

    init(n: Int, rows: Int, seed: UInt64, withUpstream: Bool) {
        var rng = SplitMix64(seed: seed)
        var scores: [[Double]] = [], relevance: [[Bool]] = [], upstream: [[Double]] = []
        for _ in 0..<rows {
            scores.append((0..<n).map { _ in rng.nextGaussian() })
            relevance.append((0..<n).map { _ in rng.nextUnit() < 0.1 })
            if withUpstream { upstream.append((0..<n).map { _ in rng.nextGaussian() }) }
        }
        self.scores = scores
        self.relevance = relevance
        self.upstream = upstream
    }
}

/// One thread's worth of work for an op.
protocol BenchKernel {
    /// Forward (+ backward) on row `row`; returns something derived from the result so the work cannot be
    /// optimised away.
    mutating func run(row: Int) -> Double
}

/// `rank`: the forward ranking only.
struct RankKernel: BenchKernel {
    let data: BenchData
    var workspace = RankingWorkspace()
    var ranks: [Int] = []

    init(data: BenchData) { self.data = data }

    mutating func run(row: Int) -> Double {
        workspace.rank(data.scores[row], into: &ranks)
        return Double(ranks[0])
    }
}

/// `rank_backward`: forward ranking, then the blackbox backward pass with a random upstream and λ = 1.
struct RankBackwardKernel: BenchKernel {
    let data: BenchData
    let lambda = 1.0
    var workspace = RankingWorkspace()
    var ranks: [Int] = []
    var gradient: [Double] = []

    init(data: BenchData) { self.data = data }

    mutating func run(row: Int) -> Double {
        workspace.rank(data.scores[row], into: &ranks)
        workspace.rankBackward(scores: data.scores[row], ranks: ranks, upstream: data.upstream[row],
                               lambda: lambda, into: &gradient)
        return gradient[0]
    }
}

/// `ap_loss`: AP loss forward + backward on one list, through `LossAdapter`.
struct APLossKernel: BenchKernel {
    let data: BenchData
    var loss = LossAdapter.AP()

    init(data: BenchData) { self.data = data }

    mutating func run(row: Int) -> Double {
        loss.forwardBackward(scores: data.scores[row], relevance: data.relevance[row], lambda: 1)
    }
}
