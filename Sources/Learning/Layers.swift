// Layers with an explicit forward and backward pass: no autodiff, every gradient is written out.
//
// Protocol for every layer: `forward(x)` caches what the backward pass needs; `backward(dY)` takes the
// gradient of the loss w.r.t. the layer's output (same shape as the output), returns the gradient w.r.t. its
// input, and *accumulates* (adds) into the parameter gradients, so call `zeroGradients()` before each step.
import Support

/// Something an optimiser can update: an ordered list of parameter matrices, each with a gradient.
public protocol Trainable: AnyObject {
    /// Calls `body(slot, &value, gradient)` once per parameter matrix, always in the same order; `slot` counts
    /// from 0. Optimisers keep their per-parameter state by slot.
    func updateParameters(_ body: (_ slot: Int, _ value: inout Matrix, _ gradient: Matrix) -> Void)
    /// Sets every accumulated gradient to zero.
    func zeroGradients()
}

/// How a linear layer draws its initial weights.
public enum WeightInitialisation: Sendable {
    /// He et al. 2015: N(0, 2 / fanIn). For a layer followed by a ReLU.
    case he
    /// Glorot & Bengio 2010: N(0, 2 / (fanIn + fanOut)). For a layer with no non-linearity after it.
    case glorot
}

/// A fully connected layer `Y = X·W + b`.
///
/// Shapes: input X is `batch × inputs`, W is `inputs × outputs`, b has `outputs` entries, Y is `batch × outputs`.
/// The bias starts at zero.
public final class Linear: Trainable {
    public var weight: Matrix
    public var bias: [Float]
    /// ∂L/∂W, accumulated by `backward`, same shape as `weight`.
    public private(set) var weightGradient: Matrix
    /// ∂L/∂b, accumulated by `backward`.
    public private(set) var biasGradient: [Float]
    private var cachedInput: Matrix?

    /// A layer with weights drawn from `initialisation` using `generator`.
    public init<G: RandomNumberGenerator>(
        inputs: Int, outputs: Int, initialisation: WeightInitialisation = .he,
        using generator: inout G
    ) {
        let variance: Float
        switch initialisation {
        case .he: variance = 2 / Float(inputs)
        case .glorot: variance = 2 / Float(inputs + outputs)
        }
        weight = .randomNormal(rows: inputs, cols: outputs, std: variance.squareRoot(), using: &generator)
        bias = [Float](repeating: 0, count: outputs)
        weightGradient = Matrix(rows: inputs, cols: outputs)
        biasGradient = bias
    }

    /// A layer with weights drawn from a `SplitMix64` seeded with `seed`.
    public convenience init(inputs: Int, outputs: Int, initialisation: WeightInitialisation = .he, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        self.init(inputs: inputs, outputs: outputs, initialisation: initialisation, using: &rng)
    }

    public var inputs: Int { weight.rows }
    public var outputs: Int { weight.cols }

    /// Y = X·W + b; caches X. O(batch · inputs · outputs).
    public func forward(_ x: Matrix) -> Matrix {
        precondition(x.cols == inputs, "Linear expects \(inputs) input columns, got \(x.cols)")
        cachedInput = x
        var y = matmul(x, weight)
        y.addRowVector(bias)
        return y
    }

    /// Given dY (`batch × outputs`): dW += Xᵀ·dY, db += column sums of dY; returns dX = dY·Wᵀ.
    ///
    /// - Precondition: `forward` was called, on a batch of the same size.
    public func backward(_ dy: Matrix) -> Matrix {
        accumulateGradients(dy)
        return matmul(dy, weight, transposeB: true)
    }

    /// The parameter half of `backward`: dW += Xᵀ·dY and db += column sums of dY, without dX (for the first
    /// layer of a network, whose input gradient nobody reads: a third of the layer's backward work saved).
    ///
    /// - Precondition: `forward` was called, on a batch of the same size.
    public func accumulateGradients(_ dy: Matrix) {
        guard let x = cachedInput else { preconditionFailure("Linear.backward called before forward") }
        precondition(
            dy.rows == x.rows && dy.cols == outputs,
            "Linear.backward: dY is \(dy.rows)×\(dy.cols), expected \(x.rows)×\(outputs)")
        weightGradient += matmul(x, dy, transposeA: true)
        let db = dy.columnSums()
        for j in biasGradient.indices { biasGradient[j] += db[j] }
    }

    /// Slot 0 is the weight, slot 1 the bias (as a `1 × outputs` matrix).
    public func updateParameters(_ body: (Int, inout Matrix, Matrix) -> Void) {
        body(0, &weight, weightGradient)
        var b = Matrix(rows: 1, cols: bias.count, storage: bias)
        body(1, &b, Matrix(rows: 1, cols: biasGradient.count, storage: biasGradient))
        bias = b.storage
    }

    /// Zeroes the gradients in place (no allocation: training calls this every step).
    public func zeroGradients() {
        weightGradient.storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        biasGradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// The rectifier `max(0, x)`, entry-wise. Its derivative at exactly 0 is taken as 0.
public final class ReLU {
    private var cachedInput: Matrix?

    public init() {}

    /// max(0, X); caches X. O(entries).
    public func forward(_ x: Matrix) -> Matrix {
        cachedInput = x
        return x.map { max(0, $0) }
    }

    /// dX = dY where X > 0, else 0.
    public func backward(_ dy: Matrix) -> Matrix {
        guard let x = cachedInput else { preconditionFailure("ReLU.backward called before forward") }
        x.checkSameShape(dy, "ReLU.backward")
        var dx = dy
        for k in dx.storage.indices where x.storage[k] <= 0 { dx.storage[k] = 0 }
        return dx
    }
}

/// A multilayer perceptron: Linear → ReLU → … → Linear, with no activation after the last layer.
///
/// `MLP(sizes: [784, 256, 64], seed: 1)` maps 784-dimensional inputs to 64-dimensional outputs through one
/// hidden layer of 256 units. Hidden layers use He initialisation, the last one Glorot; all weights come from
/// one `SplitMix64(seed:)`, layer by layer.
public final class MLP: Trainable {
    public let layers: [Linear]
    private let activations: [ReLU]

    /// - Precondition: at least two sizes, all positive.
    public init(sizes: [Int], seed: UInt64) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "MLP needs ≥ 2 positive sizes, got \(sizes)")
        var rng = SplitMix64(seed: seed)
        var layers = [Linear]()
        for l in 0..<(sizes.count - 1) {
            let last = l == sizes.count - 2
            layers.append(
                Linear(inputs: sizes[l], outputs: sizes[l + 1], initialisation: last ? .glorot : .he, using: &rng))
        }
        self.layers = layers
        self.activations = (0..<(sizes.count - 2)).map { _ in ReLU() }
    }

    /// The layer widths, input first.
    public var sizes: [Int] { [layers[0].inputs] + layers.map(\.outputs) }

    /// The network output for a batch `X` (`batch × sizes.first`) → `batch × sizes.last`; caches activations.
    public func forward(_ x: Matrix) -> Matrix {
        var h = x
        for (l, layer) in layers.enumerated() {
            h = layer.forward(h)
            if l < activations.count { h = activations[l].forward(h) }
        }
        return h
    }

    /// Back-propagates dOutput through every layer (accumulating parameter gradients); returns dX.
    public func backward(_ dOutput: Matrix) -> Matrix {
        var g = dOutput
        for l in layers.indices.reversed() {
            if l < activations.count { g = activations[l].backward(g) }
            g = layers[l].backward(g)
        }
        return g
    }

    /// `backward` for training: the same parameter gradients, bit for bit, without dX (the first layer's input
    /// gradient, the largest product of the pass for wide inputs, is never formed).
    public func accumulateGradients(_ dOutput: Matrix) {
        var g = dOutput
        for l in layers.indices.reversed() {
            if l < activations.count { g = activations[l].backward(g) }
            if l == 0 {
                layers[l].accumulateGradients(g)
            } else {
                g = layers[l].backward(g)
            }
        }
    }

    /// Slots 2l and 2l+1 are the weight and bias of layer l.
    public func updateParameters(_ body: (Int, inout Matrix, Matrix) -> Void) {
        for (l, layer) in layers.enumerated() {
            layer.updateParameters { slot, value, gradient in body(2 * l + slot, &value, gradient) }
        }
    }

    public func zeroGradients() { for layer in layers { layer.zeroGradients() } }

    /// The total number of trainable scalars.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weight.storage.count + $1.bias.count } }
}
