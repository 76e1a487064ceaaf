// The losses as `@differentiable(reverse)` functions of flat score vectors, for `gradient(at:of:)` and
// `valueWithGradient(at:of:)`. Their derivatives are the blackbox gradients of the loss types, registered with
// `@derivative(of:)`. The pullback recomputes the backward pass with λ · v · dL/drk for the incoming v, as the
// authors' autograd does (the blackbox gradient is not linear in v); the forward sort is repeated there.

import Rambo
import _Differentiation

/// Any `RankLoss` as a differentiable function of one flat, row-major vector of scores shaped like `relevance`,
/// with fixed relevance and memory. O(cost of the loss) per call and per pullback.
///
/// ```swift
/// let f = RankLossFunction(loss: RecallLoss(lambda: 1), relevance: [[true, false]])
/// let g = gradient(at: [0.5, 0.6], of: { f($0) })  // == RecallLoss(lambda: 1).valueAndGradient(...).gradient
/// ```
public struct RankLossFunction<Loss: RankLoss>: Sendable {
    @noDerivative public var loss: Loss
    /// The relevance (targets, for `MAPLoss`) of every score, one row per list; the flat scores follow its shape.
    @noDerivative public var relevance: [[Bool]]
    /// Earlier batches the loss ranks against (empty for `APLoss`).
    @noDerivative public var memory: [ScoreBatch]

    public init(loss: Loss, relevance: [[Bool]], memory: [ScoreBatch] = []) {
        self.loss = loss
        self.relevance = relevance
        self.memory = memory
    }

    @differentiable(reverse)
    public func callAsFunction(_ scores: [Double]) -> Double {
        loss.forward(scores: reshape(scores, like: relevance), relevance: relevance, memory: memory)
    }

    @derivative(of: callAsFunction)
    public func vjp(_ scores: [Double]) -> (value: Double, pullback: (Double) -> [Double].TangentVector) {
        let value = callAsFunction(scores)
        return (
            value,
            { v in
                let matrix = reshape(scores, like: relevance)
                return [Double].TangentVector(
                    loss.valueAndGradient(scores: matrix, relevance: relevance, memory: memory, upstream: v)
                        .gradient.flatMap { $0 })
            }
        )
    }
}

/// `APLoss` over a flat vector of `lists` × `length` scores (row-major).
public typealias APLossFunction = RankLossFunction<APLoss>
/// `RecallLoss` over a flat `rows` × `columns` score matrix (row-major).
public typealias RecallLossFunction = RankLossFunction<RecallLoss>
/// `MAPLoss` (deterministic margin) over a flat B × C score matrix (row-major).
public typealias MAPLossFunction = RankLossFunction<MAPLoss>

extension RankLossFunction where Loss == APLoss {
    /// AP over lists of `length` scores (default: one list), with the relevance of every score given flat.
    public init(loss: APLoss, relevance: [Bool], length: Int? = nil) {
        let length = max(1, length ?? relevance.count)
        let rows = stride(from: 0, to: relevance.count, by: length).map {
            Array(relevance[$0..<min($0 + length, relevance.count)])
        }
        self.init(loss: loss, relevance: rows)
    }
}

extension RankLossFunction where Loss == MAPLoss {
    /// mAP over a B × C score matrix with 0/1 `targets` [B][C].
    public init(loss: MAPLoss, targets: [[Bool]], memory: [ScoreBatch] = []) {
        self.init(loss: loss, relevance: targets, memory: memory)
    }
}

/// Cuts a flat row-major vector into rows with the lengths of `shape`'s rows.
private func reshape(_ flat: [Double], like shape: [[Bool]]) -> [[Double]] {
    var rows = [[Double]]()
    rows.reserveCapacity(shape.count)
    var start = 0
    for row in shape {
        rows.append(Array(flat[start..<start + row.count]))
        start += row.count
    }
    return rows
}
