// A 2-D convolution layer by im2col: every output position's receptive field is copied into one row, and the
// convolution becomes one matrix product with the kernel, on the kit's fast `matmul`.

/// The shape of a batch of feature maps stored as a `Matrix`: `batch · height · width` rows (image-major, then
/// row-major over positions) × `channels` columns ("NHWC"). A batch of B grey H×W images is B·H·W × 1; a
/// per-position linear layer (a 1×1 convolution) is then just `Linear` on the rows.
public struct FeatureShape: Sendable, Equatable {
    public var batch: Int, height: Int, width: Int, channels: Int
    public init(batch: Int, height: Int, width: Int, channels: Int) {
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
    }
    /// Rows of the matrix: batch · height · width.
    public var positions: Int { batch * height * width }
}

/// A convolution with a `kernel × kernel` window, `stride`, zero padding `padding` and a bias:
///
///     Y[b, i, j, o] = bias[o] + Σ_{u, v < kernel, c} X[b, i·s + u − p, j·s + v − p, c] · W[(u·kernel + v)·C_in + c, o]
///
/// with s = `stride`, p = `padding` and X = 0 outside the image.
///
/// Output size ⌊(H + 2·padding − kernel)/stride⌋ + 1 per axis. Forward: im2col (positions × kernel²·C_in) · W.
/// Backward: dW += colsᵀ·dY, db += column sums, dX = col2im(dY·Wᵀ). He initialisation (fan-in kernel²·C_in).
/// Results do not depend on `matmul`'s thread count.
public final class Conv2D: Trainable {
    public let inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int, padding: Int
    /// (kernel² · inputChannels) × outputChannels.
    public var weight: Matrix
    public var bias: [Float]
    public private(set) var weightGradient: Matrix
    public private(set) var biasGradient: [Float]
    private var cachedColumns: Matrix?
    private var cachedShape: FeatureShape?

    /// - Precondition: positive channels, kernel and stride; padding ≥ 0.
    public init<G: RandomNumberGenerator>(
        inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int = 1,
        padding: Int = 0, using generator: inout G
    ) {
        precondition(
            inputChannels > 0 && outputChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
            "Conv2D needs positive channels, kernel and stride and padding ≥ 0")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        let fanIn = kernel * kernel * inputChannels
        weight = .randomNormal(
            rows: fanIn, cols: outputChannels, std: (2 / Float(fanIn)).squareRoot(),
            using: &generator)
        bias = [Float](repeating: 0, count: outputChannels)
        weightGradient = Matrix(rows: fanIn, cols: outputChannels)
        biasGradient = bias
    }

    /// The output shape for an input of shape `shape`.
    /// - Precondition: the input has `inputChannels` channels and is at least one window large.
    public func outputShape(_ shape: FeatureShape) -> FeatureShape {
        precondition(shape.channels == inputChannels, "Conv2D expects \(inputChannels) channels, got \(shape.channels)")
        let h = (shape.height + 2 * padding - kernel) / stride + 1
        let w = (shape.width + 2 * padding - kernel) / stride + 1
        precondition(h > 0 && w > 0, "Conv2D: a \(shape.height)×\(shape.width) input is smaller than the window")
        return FeatureShape(batch: shape.batch, height: h, width: w, channels: outputChannels)
    }

    /// Y (output positions × outputChannels) for X of shape `shape`; caches the im2col matrix.
    /// - Complexity: O(output positions · kernel² · C_in · C_out).
    public func forward(_ x: Matrix, shape: FeatureShape) -> Matrix {
        precondition(
            x.rows == shape.positions && x.cols == inputChannels,
            "Conv2D.forward: input is \(x.rows)×\(x.cols), shape says \(shape.positions)×\(inputChannels)")
        let columns = im2col(x, shape: shape)
        cachedColumns = columns
        cachedShape = shape
        var y = matmul(columns, weight)
        y.addRowVector(bias)
        return y
    }

    /// Given dY (output positions × outputChannels): accumulates dW and db; returns dX in the input's shape.
    /// - Precondition: `forward` was called with the matching batch.
    public func backward(_ dy: Matrix) -> Matrix {
        guard let columns = cachedColumns, let shape = cachedShape else {
            preconditionFailure("Conv2D.backward called before forward")
        }
        precondition(dy.rows == columns.rows && dy.cols == outputChannels, "Conv2D.backward: dY has the wrong shape")
        weightGradient += matmul(columns, dy, transposeA: true)
        let db = dy.columnSums()
        for o in biasGradient.indices { biasGradient[o] += db[o] }
        return col2im(matmul(dy, weight, transposeB: true), shape: shape)
    }

    /// Walks every (output position, kernel offset) pair whose input pixel lies inside the image, in the row order
    /// of `im2col`, handing `body` the offset of that pixel's channels in the input and in the column matrix.
    @inline(__always)
    private func forEachWindow(_ shape: FeatureShape, _ body: (_ input: Int, _ column: Int) -> Void) {
        let out = outputShape(shape)
        let c = inputChannels
        let k = kernel
        let width = k * k * c
        var row = 0
        for b in 0..<shape.batch {
            for i in 0..<out.height {
                for j in 0..<out.width {
                    for u in 0..<k {
                        let y = i * stride + u - padding
                        guard y >= 0 && y < shape.height else { continue }
                        for v in 0..<k {
                            let xx = j * stride + v - padding
                            guard xx >= 0 && xx < shape.width else { continue }
                            body(((b * shape.height + y) * shape.width + xx) * c, row * width + (u * k + v) * c)
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The receptive fields of every output position, one per row: (output positions) × (kernel² · C_in).
    public func im2col(_ x: Matrix, shape: FeatureShape) -> Matrix {
        let c = inputChannels
        let width = kernel * kernel * c
        let positions = outputShape(shape).positions
        var columns = [Float](repeating: 0, count: positions * width)
        x.storage.withUnsafeBufferPointer { src in
            columns.withUnsafeMutableBufferPointer { dst in
                forEachWindow(shape) { input, column in
                    for ch in 0..<c { dst[column + ch] = src[input + ch] }
                }
            }
        }
        return Matrix(rows: positions, cols: width, storage: columns)
    }

    /// The adjoint of `im2col`: adds every row's window back onto the input positions it came from.
    public func col2im(_ columns: Matrix, shape: FeatureShape) -> Matrix {
        let c = inputChannels
        var x = [Float](repeating: 0, count: shape.positions * c)
        columns.storage.withUnsafeBufferPointer { src in
            x.withUnsafeMutableBufferPointer { dst in
                forEachWindow(shape) { input, column in
                    for ch in 0..<c { dst[input + ch] += src[column + ch] }
                }
            }
        }
        return Matrix(rows: shape.positions, cols: c, storage: x)
    }

    /// Slot 0 is the weight, slot 1 the bias.
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
