// The training loops the chapters share: an embedding model trained on batch similarity matrices (retrieval,
// chapters 07 and 09) and a scoring model trained on batch score matrices (multi-label AP, chapters 08 and 10).
// Each loss is one small type with the same call shape, so a chapter compares methods by swapping the loss.
import Rambo

// MARK: - Embedding losses: unit embeddings E (B×d) → (loss, dL/dE)

/// A loss on one batch of a retrieval model: it sees the batch's unit embeddings E (B×d) and labels and returns
/// the loss and dL/dE. `mutating` so that a loss can keep state across batches (score memory) and rank batch
/// items against items outside the batch.
public protocol EmbeddingLoss {
    mutating func evaluate(embeddings: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix)
}

/// An embedding loss that depends on the batch only through its cosine similarities S = E·Eᵀ (B×B): it returns
/// dL/dS and gets dL/dE = (dS + dSᵀ)·E for free.
public protocol SimilarityLoss: EmbeddingLoss {
    mutating func evaluate(similarities: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix)
}

extension SimilarityLoss {
    public mutating func evaluate(embeddings: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix) {
        let (loss, dS) = evaluate(similarities: similarityMatrix(embeddings), labels: labels)
        return (loss, similarityMatrixBackward(dS, embeddings: embeddings))
    }
}

/// Batch-hard triplet loss (the strongest classic baseline), see `batchHardTripletLoss`.
public struct TripletEmbeddingLoss: SimilarityLoss {
    public var margin: Double
    public init(margin: Double = 0.2) { self.margin = margin }
    public mutating func evaluate(similarities: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix) {
        batchHardTripletLoss(similarities: similarities, labels: labels, margin: margin)
    }
}

/// Contrastive loss, see `contrastiveLoss`.
public struct ContrastiveEmbeddingLoss: SimilarityLoss {
    public var negativeMargin: Double
    public init(negativeMargin: Double = 0.5) { self.negativeMargin = negativeMargin }
    public mutating func evaluate(similarities: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix) {
        contrastiveLoss(similarities: similarities, labels: labels, negativeMargin: negativeMargin)
    }
}

// MARK: - Embedding trainer

/// An MLP followed by L2 normalisation, trained with Adam on batches through any `EmbeddingLoss`:
///
///     E = normalise(MLP(x)),  (L, dE) = loss(E),  back through the normalisation and the MLP, Adam step.
public final class EmbeddingTrainer {
    public let model: MLP
    public let normalise = L2Normalize()
    public let optimiser: Adam

    /// - Parameters:
    ///   - sizes: layer sizes, input first (e.g. [784, 256, 64]).
    ///   - seed: initial weights.
    public init(sizes: [Int], learningRate: Float = 1e-3, seed: UInt64) {
        model = MLP(sizes: sizes, seed: seed)
        optimiser = Adam(learningRate: learningRate)
    }

    /// One optimisation step on a batch; returns the batch loss before the step.
    @discardableResult
    public func step<L: EmbeddingLoss>(inputs: Matrix, labels: [Int], loss: inout L) -> Double {
        model.zeroGradients()
        let embeddings = normalise.forward(model.forward(inputs))
        let (value, dE) = loss.evaluate(embeddings: embeddings, labels: labels)
        model.accumulateGradients(normalise.backward(dE))
        optimiser.update(model)
        return value
    }

    /// Unit embeddings of `inputs`, computed in blocks of `blockRows` rows (no gradients kept).
    public func embed(_ inputs: Matrix, blockRows: Int = 2048) -> Matrix {
        embedUnit(inputs, blockRows: blockRows) { normalise.forward(model.forward($0)) }
    }
}

// MARK: - Score losses: scores Y (B×C), targets → (loss, dL/dY)

/// A loss on one batch of a multi-label scorer: scores Y (B×C) and 0/1 targets → (loss, dL/dY).
public protocol ScoreLoss {
    mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix)
}

/// Binary cross-entropy with logits, the usual multi-label baseline.
public struct BCEScoreLoss: ScoreLoss {
    public init() {}
    public mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix) {
        binaryCrossEntropyWithLogits(logits: scores, targets: Matrix(targets.map { $0.map { $0 ? 1.0 : 0.0 } }))
    }
}

/// A RaMBO rank loss as a score loss: the batch's scores Y (B×C) and targets go to `loss` with the stored scores of
/// the last `memorySize` batches, and this batch is stored after. With `MAPLoss` (paper §4.6): per-class lists over
/// the batch and the memory, plus the interclass term β on the current batch.
public struct RankScoreLoss<Loss: RankLoss>: ScoreLoss {
    public var loss: Loss
    public private(set) var memory: ScoreMemory

    public init(loss: Loss, memorySize: Int = 0) {
        self.loss = loss
        memory = ScoreMemory(capacity: max(0, memorySize))
    }

    public mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix) {
        let y = scores.doubleRows
        let result = loss.valueAndGradient(scores: y, relevance: targets, memory: memory.batches, upstream: 1)
        memory.append(scores: y, relevance: targets)
        return (result.loss, Matrix(result.gradient))
    }
}

/// RaMBO's mAP loss as a score loss (paper §4.6).
public typealias MAPScoreLoss = RankScoreLoss<MAPLoss>

/// A score loss chosen at run time (e.g. from a flag), usable where a concrete `ScoreLoss` type is needed.
public struct AnyScoreLoss: ScoreLoss {
    public var base: any ScoreLoss
    public init(_ base: any ScoreLoss) { self.base = base }
    public mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix) {
        base.evaluate(scores: scores, targets: targets)
    }
}

/// A weighted sum of two score losses, (1 − w)·first + w·second (e.g. BCE + AP).
public struct CombinedScoreLoss<A: ScoreLoss, B: ScoreLoss>: ScoreLoss {
    public var first: A, second: B
    public var weight: Double
    public init(_ first: A, _ second: B, weight: Double) {
        self.first = first
        self.second = second
        self.weight = weight
    }
    public mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix) {
        let a = first.evaluate(scores: scores, targets: targets)
        let b = second.evaluate(scores: scores, targets: targets)
        let w = Float(weight)
        return ((1 - weight) * a.loss + weight * b.loss, (1 - w) * a.gradient + w * b.gradient)
    }
}

/// An MLP producing one score per class (sizes [features, C] is a linear model), trained with Adam.
public final class ScoreTrainer {
    public let model: MLP
    public let optimiser: Adam

    public init(sizes: [Int], learningRate: Float = 1e-3, seed: UInt64) {
        model = MLP(sizes: sizes, seed: seed)
        optimiser = Adam(learningRate: learningRate)
    }

    /// One optimisation step on a batch; returns the batch loss before the step.
    @discardableResult
    public func step<L: ScoreLoss>(inputs: Matrix, targets: [[Bool]], loss: inout L) -> Double {
        model.zeroGradients()
        let (value, dY) = loss.evaluate(scores: model.forward(inputs), targets: targets)
        model.accumulateGradients(dY)
        optimiser.update(model)
        return value
    }

    /// The training loop: `steps` optimisation steps on the batches `sampler` deals, epoch after epoch (the last
    /// epoch may stop part-way). `afterStep` gets the number of steps done so far after every step; `afterEpoch`
    /// runs after every epoch, the partial last one included. Returns each step's batch loss (before its step).
    /// O(steps × the cost of one step).
    ///
    /// - Precondition: `steps` ≥ 0; the sampler deals at least one batch per epoch.
    @discardableResult
    public func fit<L: ScoreLoss>(
        inputs: Matrix, targets: [[Bool]], loss: inout L, sampler: inout MinibatchSampler, steps: Int,
        afterStep: (Int) -> Void = { _ in }, afterEpoch: (ScoreTrainer) -> Void = { _ in }
    ) -> [Double] {
        precondition(steps >= 0, "fit: steps = \(steps)")
        var losses = [Double]()
        losses.reserveCapacity(steps)
        while losses.count < steps {
            let batches = sampler.epoch()
            precondition(!batches.isEmpty, "fit: the sampler deals no batch")
            for batch in batches where losses.count < steps {
                losses.append(step(inputs: inputs.rows(batch), targets: batch.map { targets[$0] }, loss: &loss))
                afterStep(losses.count)
            }
            afterEpoch(self)
        }
        return losses
    }

    /// Scores of `inputs` (B×C), computed in blocks.
    public func scores(_ inputs: Matrix, blockRows: Int = 4096) -> Matrix {
        embedUnit(inputs, blockRows: blockRows) { model.forward($0) }
    }
}

/// Applies `f` to row blocks of `inputs` and stacks the results.
func embedUnit(_ inputs: Matrix, blockRows: Int, _ f: (Matrix) -> Matrix) -> Matrix {
    var storage = [Float]()
    var cols = 0
    var start = 0
    while start < inputs.rows {
        let end = min(inputs.rows, start + max(1, blockRows))
        let block = f(inputs.rows(Array(start..<end)))
        cols = block.cols
        storage.append(contentsOf: block.storage)
        start = end
    }
    return Matrix(rows: inputs.rows, cols: cols, storage: storage)
}
