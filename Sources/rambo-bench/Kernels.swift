// What rambo-bench times. Every kernel is built for one thread and a range of rows before the clock starts,
// and owns its scratch memory (a `RankingWorkspace` and its output buffers, allocated in the warm-up), so the
// timed repeats allocate nothing in rank, rank_backward and ap_loss. With fewer rows than threads, each list is
// shared between threads (`RankingWorkspace.threadCount`). recall_loss and map_loss call the library's
// matrix losses as a training step would (they return new gradient matrices).

import Rambo
import RankKernel
import Support

/// The inputs: `rows` lists of `n` seeded random scores (standard normal), 10% positives, and a random
/// upstream gradient dL/drk for `rank_backward`.
final class BenchData: @unchecked Sendable {
    let scores: [[Double]]
    let relevance: [[Bool]]
    let upstream: [[Double]]

    init(n: Int, rows: Int, seed: UInt64, withUpstream: Bool) {
        var rng = SplitMix64(seed: seed)
        var scores: [[Double]] = []
        var relevance: [[Bool]] = []
        var upstream: [[Double]] = []
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

/// One thread's worth of work for an op: forward (+ backward) on its rows.
protocol BenchKernel {
    /// Runs once over the kernel's rows; returns something derived from the results so the work cannot be
    /// optimised away.
    mutating func run() -> Double
}

/// Builds the kernel of `options.op` for `rows` of `data`.
func makeKernel(_ options: Options, data: BenchData, rows: Range<Int>, listThreads: Int) -> any BenchKernel {
    var workspace = RankingWorkspace(thresholds: options.thresholds)
    workspace.threadCount = listThreads
    switch options.op {
    case .rank: return RankListKernel(data: data, rows: rows, workspace: workspace)
    case .rankBackward: return RankBackwardKernel(data: data, rows: rows, lambda: options.lambda, workspace: workspace)
    case .apLoss:
        return APLossKernel(
            data: data, rows: rows, loss: APLoss(lambda: options.lambda, margin: options.margin),
            workspace: workspace)
    case .recallLoss:
        return RecallLossKernel(
            data: data, rows: rows,
            loss: RecallLoss(lambda: options.lambda, margin: options.margin))
    case .mapLoss:
        return MAPLossKernel(data: data, rows: rows, loss: MAPLoss(lambda: options.lambda, margin: options.margin))
    case .matmul: preconditionFailure("matmul is timed by runMatmul, not by row kernels")
    }
}

/// `rank`: the forward ranking of each row.
struct RankListKernel: BenchKernel {
    let data: BenchData
    let rows: Range<Int>
    var workspace: RankingWorkspace
    var ranks: [Int] = []

    mutating func run() -> Double {
        var sink = 0.0
        for row in rows {
            workspace.rank(data.scores[row], into: &ranks)
            sink += Double(ranks[0])
        }
        return sink
    }
}

/// `rank_backward`: forward ranking, then the blackbox backward pass with a random upstream dL/drk.
struct RankBackwardKernel: BenchKernel {
    let data: BenchData
    let rows: Range<Int>
    let lambda: Double
    var workspace: RankingWorkspace
    var ranks: [Int] = []
    var gradient: [Double] = []

    mutating func run() -> Double {
        var sink = 0.0
        for row in rows {
            workspace.rank(data.scores[row], into: &ranks)
            workspace.rankBackward(
                scores: data.scores[row], ranks: ranks, upstream: data.upstream[row],
                lambda: lambda, into: &gradient)
            sink += gradient[0]
        }
        return sink
    }
}

/// `ap_loss`: `Rambo.APLoss` forward + backward on each row as one list (1 − AP and dL/dy), through the
/// single-list entry point that reuses its workspace and gradient buffer.
struct APLossKernel: BenchKernel {
    let data: BenchData
    let rows: Range<Int>
    let loss: APLoss
    var workspace: RankingWorkspace
    var gradient: [Double] = []

    mutating func run() -> Double {
        var sink = 0.0
        for row in rows {
            sink += loss.valueAndGradient(
                scores: data.scores[row], relevance: data.relevance[row],
                workspace: &workspace, gradient: &gradient)
            sink += gradient[0]
        }
        return sink
    }
}

/// `recall_loss`: `Rambo.RecallLoss` (log weighting) forward + backward on the rows × n matrix of this thread's
/// rows (one query per row).
struct RecallLossKernel: BenchKernel {
    let scores: [[Double]]
    let relevance: [[Bool]]
    let loss: RecallLoss

    init(data: BenchData, rows: Range<Int>, loss: RecallLoss) {
        scores = Array(data.scores[rows])
        relevance = Array(data.relevance[rows])
        self.loss = loss
    }

    mutating func run() -> Double {
        let result = loss.valueAndGradient(scores: scores, relevance: relevance)
        return result.loss + result.gradient[0][0]
    }
}

/// `map_loss`: `Rambo.MAPLoss` forward + backward on a batch of n items × (this thread's rows) classes: row r of
/// the data is the score list of class r, so each class ranks n items, as each row does in the other ops.
struct MAPLossKernel: BenchKernel {
    let scores: [[Double]]  // [n][classes]
    let targets: [[Bool]]
    let loss: MAPLoss

    init(data: BenchData, rows: Range<Int>, loss: MAPLoss) {
        let n = data.scores[rows.lowerBound].count
        scores = (0..<n).map { b in rows.map { data.scores[$0][b] } }
        targets = (0..<n).map { b in rows.map { data.relevance[$0][b] } }
        self.loss = loss
    }

    mutating func run() -> Double {
        let result = loss.valueAndGradient(scores: scores, targets: targets)
        return result.loss + result.gradient[0][0]
    }
}
