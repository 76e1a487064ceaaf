// The one-stage anchor detector every method of chapter 11 trains: a small convolutional backbone and two 1×1
// heads on its last feature map, one scoring every anchor for C classes + background, one regressing box deltas.
import Foundation
import Learning
import Support

/// Backbone: four 3×3 convolutions with ReLU, 1 → c₁ → c₂ → c₃ → c₃ channels, strides 2, 2, 2, 1 (padding 1), so
/// a 64×64 scene becomes an 8×8 map of stride 8 whose cells see 31×31 pixels. Heads (1×1 convolutions, i.e.
/// `Linear` on the map's rows): A·(C + 1) class logits and A·4 box deltas per cell, A anchor shapes per cell.
/// Read as matrices with one row per anchor (see `AnchorGrid` for the order), the heads give
/// `logits` (B·cells·A) × (C + 1), background last, and `deltas` (B·cells·A) × 4.
///
/// All weights come from one `SplitMix64(seed:)`, so two detectors of the same seed are identical.
public final class AnchorDetector: Trainable {
    public let imageSize: Int, classes: Int, shapesPerCell: Int
    public let convolutions: [Conv2D]
    public let classHead: Linear, boxHead: Linear
    private let activations: [ReLU]
    private var shapes: [FeatureShape] = []

    /// - Parameter foregroundPrior: π, the probability the untrained class head gives the foreground classes
    ///   together (RetinaNet's prior initialisation): the background bias starts at log(C·(1 − π)/π), the others at
    ///   0, so that the many background anchors do not swamp the first steps.
    public init(
        imageSize: Int, classes: Int, shapesPerCell: Int, channels: [Int] = [8, 16, 32],
        foregroundPrior: Double = 0.01, seed: UInt64
    ) {
        precondition(channels.count == 3 && channels.allSatisfy { $0 > 0 }, "AnchorDetector needs 3 channel counts")
        var rng = SplitMix64(seed: seed)
        let plan = [
            (1, channels[0], 2), (channels[0], channels[1], 2), (channels[1], channels[2], 2),
            (channels[2], channels[2], 1),
        ]
        convolutions = plan.map {
            Conv2D(
                inputChannels: $0.0, outputChannels: $0.1, kernel: 3, stride: $0.2,
                padding: 1, using: &rng)
        }
        activations = plan.map { _ in ReLU() }
        classHead = Linear(
            inputs: channels[2], outputs: shapesPerCell * (classes + 1), initialisation: .glorot,
            using: &rng)
        boxHead = Linear(inputs: channels[2], outputs: shapesPerCell * 4, initialisation: .glorot, using: &rng)
        let background = Float(log(Double(classes) * (1 - foregroundPrior) / foregroundPrior))
        for a in 0..<shapesPerCell { classHead.bias[a * (classes + 1) + classes] = background }
        // Start the box head at zero deltas (the anchors themselves), as detectors usually do.
        boxHead.weight = Matrix(rows: boxHead.weight.rows, cols: boxHead.weight.cols)
        self.imageSize = imageSize
        self.classes = classes
        self.shapesPerCell = shapesPerCell
    }

    /// The side of the last feature map (cells per row).
    public var gridSize: Int {
        var side = imageSize
        for conv in convolutions { side = (side + 2 * conv.padding - conv.kernel) / conv.stride + 1 }
        return side
    }

    /// Logits and deltas for `batch` scenes given as one (batch · size²) × 1 matrix of pixels.
    public func forward(_ pixels: Matrix, batch: Int) -> (logits: Matrix, deltas: Matrix) {
        var shape = FeatureShape(batch: batch, height: imageSize, width: imageSize, channels: 1)
        var h = pixels
        shapes = []
        for (conv, relu) in zip(convolutions, activations) {
            shapes.append(shape)
            h = relu.forward(conv.forward(h, shape: shape))
            shape = conv.outputShape(shape)
        }
        let logits = classHead.forward(h)
        let deltas = boxHead.forward(h)
        let anchors = logits.rows * shapesPerCell
        return (
            Matrix(rows: anchors, cols: classes + 1, storage: logits.storage),
            Matrix(rows: anchors, cols: 4, storage: deltas.storage)
        )
    }

    /// Back-propagates dL/dlogits and dL/ddeltas (the shapes `forward` returned), accumulating every gradient.
    public func backward(logits dLogits: Matrix, deltas dDeltas: Matrix) {
        let cells = dLogits.rows / shapesPerCell
        var g = classHead.backward(Matrix(rows: cells, cols: shapesPerCell * (classes + 1), storage: dLogits.storage))
        g += boxHead.backward(Matrix(rows: cells, cols: shapesPerCell * 4, storage: dDeltas.storage))
        for l in convolutions.indices.reversed() {
            g = convolutions[l].backward(activations[l].backward(g))
        }
    }

    public func updateParameters(_ body: (Int, inout Matrix, Matrix) -> Void) {
        var slot = 0
        let layers: [Trainable] = convolutions + [classHead, boxHead]
        for layer in layers {
            var count = 0
            layer.updateParameters { s, value, gradient in
                body(slot + s, &value, gradient)
                count = max(count, s + 1)
            }
            slot += count
        }
    }

    public func zeroGradients() {
        for convolution in convolutions { convolution.zeroGradients() }
        classHead.zeroGradients()
        boxHead.zeroGradients()
    }

    public var parameterCount: Int {
        convolutions.reduce(0) { $0 + $1.weight.storage.count + $1.bias.count }
            + [classHead, boxHead].reduce(0) { $0 + $1.weight.storage.count + $1.bias.count }
    }
}
