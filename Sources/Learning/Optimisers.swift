// Optimisers: they read each parameter's accumulated gradient and move the parameter. They do not zero the
// gradients; call `model.zeroGradients()` before the next backward pass.

/// Adam (Kingma & Ba 2015) with bias correction:
///
///     m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
///     θ ← θ − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β1ᵗ),   v̂ = v / (1 − β2ᵗ)
///
/// One `Adam` serves one model: its moment estimates are kept per parameter slot.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// The number of updates made so far (t in the formulas).
    public private(set) var step = 0
    private var beta1Power: Float = 1, beta2Power: Float = 1  // β1ᵗ and β2ᵗ
    /// m and v of each parameter slot, one array [m…, v…] per slot (updated in place every step).
    private var moments: [[Float]] = []

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One Adam update of every parameter of `model` from its accumulated gradients. O(parameters), no
    /// allocation after the first step: each entry is updated with exactly the formulas above, in `Float`.
    public func update(_ model: Trainable) {
        step += 1
        beta1Power *= beta1
        beta2Power *= beta2
        let correction1 = 1 - beta1Power
        let correction2 = 1 - beta2Power
        let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
        model.updateParameters { slot, value, gradient in
            let count = value.storage.count
            precondition(gradient.storage.count == count, "parameter slot \(slot): gradient shape differs")
            while moments.count <= slot { moments.append([]) }
            if moments[slot].isEmpty { moments[slot] = [Float](repeating: 0, count: 2 * count) }
            precondition(moments[slot].count == 2 * count, "parameter slot \(slot) changed shape")
            moments[slot].withUnsafeMutableBufferPointer { mv in
                gradient.storage.withUnsafeBufferPointer { g in
                    value.storage.withUnsafeMutableBufferPointer { theta in
                        let m = mv.baseAddress!
                        let v = m + count
                        for k in 0..<count {
                            let gk = g[k]
                            m[k] = b1 * m[k] + (1 - b1) * gk
                            v[k] = b2 * v[k] + (1 - b2) * gk * gk
                            let mHat = m[k] / correction1
                            let vHat = v[k] / correction2
                            theta[k] -= lr * mHat / (vHat.squareRoot() + eps)
                        }
                    }
                }
            }
        }
    }
}

/// Stochastic gradient descent with optional (heavy-ball) momentum: u ← μ·u + g, θ ← θ − lr·u.
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    private var velocities: [Int: Matrix] = [:]

    public init(learningRate: Float, momentum: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    /// One update of every parameter of `model`. O(parameters).
    public func update(_ model: Trainable) {
        let (mu, lr) = (momentum, learningRate)
        model.updateParameters { slot, value, gradient in
            var u = velocities[slot] ?? Matrix(rows: value.rows, cols: value.cols)
            for k in value.storage.indices {
                u.storage[k] = mu * u.storage[k] + gradient.storage[k]
                value.storage[k] -= lr * u.storage[k]
            }
            velocities[slot] = u
        }
    }
}
