// The one place rambo-bench touches the losses, so that switching to the library's losses is a local change.
//
// Status: `Rambo.APLoss`, `Rambo.RecallLoss` and `Rambo.MAPLoss` are not in the library yet.
// - ap_loss: timed with `LossAdapter.AP` below, a PROVISIONAL kernel kept in this folder only. Replace its body
//   with a call to `Rambo.APLoss` (forward + backward, λ = 1, no margin) when that lands, and delete it.
// - recall_loss, map_loss: `available` is false; rambo-bench says so and exits 1.

import Rambo

enum LossAdapter {
    /// Whether rambo-bench can time `op` in this build.
    static func available(_ op: Operation) -> Bool {
        switch op {
        case .rank, .rank_backward, .ap_loss: return true
        case .recall_loss, .map_loss: return false
        }
    }

    /// Why `op` cannot be timed yet.
    static func unavailableReason(_ op: Operation) -> String {
        switch op {
        case .recall_loss: return "op 'recall_loss' is not available yet: Rambo.RecallLoss has not landed"
        case .map_loss: return "op 'map_loss' is not available yet: Rambo.MAPLoss has not landed"
        default: return "op '\(op.rawValue)' is available"
        }
    }

    /// PROVISIONAL AP loss, forward + backward on one list (paper Eqs. 21–22 with the blackbox backward of
    /// Eq. 10; margin 0, paper convention). To be replaced by `Rambo.APLoss`.
    ///
    ///     forward:  order = argsort(y); rk_i = position + 1; rk⁺_i = positives at or before i in the order
    ///               L = 1 − (1/|rel|) Σ_{i∈rel} rk⁺_i / rk_i
    ///     upstream: dL/drk_i = rk⁺_i / (rk_i² · |rel|) for positives, 0 for negatives (rk⁺ is a constant)
    ///     backward: dL/dy = −(rk(y) − rk(y + λ·dL/drk)) / λ
    ///
    /// Two radix argsorts and O(n) passes. Memory beyond the inputs: the workspace (16 bytes per item) and
    /// three n-long arrays (ranks, upstream, gradient); the sorted order borrows the gradient's storage.
    struct AP {
        var workspace = RankingWorkspace()
        var ranks: [Int] = []
        var upstream: [Double] = []
        /// dL/dy of the last call.
        var gradient: [Double] = []

        /// Returns the loss; the gradient is left in `gradient`.
        mutating func forwardBackward(scores: [Double], relevance: [Bool], lambda: Double) -> Double {
            let n = scores.count
            precondition(relevance.count == n)
            if ranks.count != n { ranks = [Int](repeating: 0, count: n) }
            if upstream.count != n { upstream = [Double](repeating: 0, count: n) }
            upstream.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }  // sequential: negatives stay 0
            if gradient.count != n { gradient = [Double](repeating: 0, count: n) }
            var positives = 0
            for r in relevance where r { positives += 1 }
            var precisionSum = 0.0

            // Forward: the descending order (in the gradient's storage, free until the backward pass), then one
            // walk in sorted order for rk, rk⁺ and dL/drk.
            gradient.withUnsafeMutableBufferPointer { g in
                g.withMemoryRebound(to: Int.self) { order in
                    scores.withUnsafeBufferPointer { y in
                        workspace.run(n: n, source: ScoreKeys(scores: y.baseAddress),
                                      sink: OrderSink(order: order.baseAddress), scratch: order)
                    }
                    relevance.withUnsafeBufferPointer { rel in
                        ranks.withUnsafeMutableBufferPointer { rk in
                            upstream.withUnsafeMutableBufferPointer { up in
                                let scale = positives > 0 ? 1.0 / Double(positives) : 0
                                var positivesSoFar = 0
                                for position in 0..<n {
                                    let i = order[position]
                                    let r = position + 1
                                    rk[i] = r
                                    if rel[i] {
                                        positivesSoFar += 1
                                        let precision = Double(positivesSoFar) / Double(r)
                                        precisionSum += precision
                                        up[i] = precision / Double(r) * scale
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // Backward: one more radix ranking of y + λ·dL/drk, written straight into the gradient.
            workspace.rankBackward(scores: scores, ranks: ranks, upstream: upstream, lambda: lambda,
                                   into: &gradient)
            return positives > 0 ? 1 - precisionSum / Double(positives) : 0
        }
    }
}
