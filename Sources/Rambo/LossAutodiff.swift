// The losses as `@differentiable(reverse)` functions of flat score vectors, for `gradient(at:of:)` and
// `valueWithGradient(at:of:)`. Their derivatives are the blackbox gradients of the loss types, registered with
// `@derivative(of:)`. The pullback recomputes the backward pass with λ · v · dL/drk for the incoming v, as the
// authors' autograd does (the blackbox gradient is not linear in v); the forward sort is repeated there.

import _Differentiation

/// `APLoss` as a differentiable function of one flat vector of `lists` × `length` scores (row-major).
public struct APLossFunction: Sendable {
    @noDerivative public var loss: APLoss
    /// The relevance of every score, flat, in the same layout.
    @noDerivative public var relevance: [Bool]
    /// The length of each list; `scores.count / length` lists.
    @noDerivative public var length: Int

    public init(loss: APLoss, relevance: [Bool], length: Int? = nil) {
        self.loss = loss
        self.relevance = relevance
        self.length = length ?? relevance.count
    }

    @differentiable(reverse)
    public func callAsFunction(_ scores: [Double]) -> Double {
        loss.forward(scores: split(scores), relevance: split(relevance))
    }

    @derivative(of: callAsFunction)
    public func vjp(_ scores: [Double]) -> (value: Double, pullback: (Double) -> [Double].TangentVector) {
        let value = callAsFunction(scores)
        return (value, { v in
            [Double].TangentVector(
                loss.valueAndGradient(scores: split(scores), relevance: split(relevance), upstream: v)
                    .gradient.flatMap { $0 })
        })
    }

    private func split<T>(_ flat: [T]) -> [[T]] {
        stride(from: 0, to: flat.count, by: length).map { Array(flat[$0..<min($0 + length, flat.count)]) }
    }
}

/// `RecallLoss` as a differentiable function of a flat `rows` × `columns` score matrix (row-major), with fixed
/// relevance and memory.
public struct RecallLossFunction: Sendable {
    @noDerivative public var loss: RecallLoss
    @noDerivative public var relevance: [[Bool]]
    @noDerivative public var memory: [ScoreBatch]

    public init(loss: RecallLoss, relevance: [[Bool]], memory: [ScoreBatch] = []) {
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
        return (value, { v in
            let matrix = reshape(scores, like: relevance)
            return [Double].TangentVector(
                loss.valueAndGradient(scores: matrix, relevance: relevance, memory: memory, upstream: v)
                    .gradient.flatMap { $0 })
        })
    }
}

/// `MAPLoss` (deterministic margin) as a differentiable function of a flat B × C score matrix (row-major).
public struct MAPLossFunction: Sendable {
    @noDerivative public var loss: MAPLoss
    @noDerivative public var targets: [[Bool]]
    @noDerivative public var memory: [ScoreBatch]

    public init(loss: MAPLoss, targets: [[Bool]], memory: [ScoreBatch] = []) {
        self.loss = loss
        self.targets = targets
        self.memory = memory
    }

    @differentiable(reverse)
    public func callAsFunction(_ scores: [Double]) -> Double {
        loss.forward(scores: reshape(scores, like: targets), targets: targets, memory: memory)
    }

    @derivative(of: callAsFunction)
    public func vjp(_ scores: [Double]) -> (value: Double, pullback: (Double) -> [Double].TangentVector) {
        let value = callAsFunction(scores)
        return (value, { v in
            let matrix = reshape(scores, like: targets)
            return [Double].TangentVector(
                loss.valueAndGradient(scores: matrix, targets: targets, memory: memory, upstream: v)
                    .gradient.flatMap { $0 })
        })
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
