// RaMBO's recall loss for an embedding model, with score memory (paper §4.3–4.5).
import Rambo

/// What the gradient of a memory similarity s_qm = ⟨e_q, m⟩ does, m a stored (constant) embedding.
///
/// The paper (§4.3) stores scores and lets gradients flow only through the current batch. In retrieval the score
/// s_qm of a live query against a stored item still depends on the query, so there are two readings.
public enum MemoryGradient: Sendable {
    /// dL/ds_qm reaches the current query: dL/de_q += dL/ds_qm · m. The stored embedding m stays a constant, so
    /// gradients still flow only through the current batch (paper §4.3).
    case query
    /// dL/ds_qm is dropped: memory items only shift the ranks of the batch items (scores stored and reused as
    /// constants, the most literal reading). The positives' pull (−(rk − rk_λ)/λ) still counts the memory negatives they
    /// pass, but the matching push on those negatives is lost, so the batch is pulled together more than apart.
    case detached
}

/// RaMBO's recall loss (paper §4.5) on a batch, with a score memory (§4.3) of the last τ batches' embeddings.
///
/// For query q of the batch, the ranked list is its similarities to the other B − 1 batch items followed by its
/// similarities to the M stored embeddings (oldest batch first), relevance = same label:
///
///     S = E·Eᵀ (B×B),  T = E·Mᵀ (B×M),  row q = [S_q without S_qq, T_q],  L = RecallLoss over the B rows
///
/// Backward: dL/dE = (G_S + G_Sᵀ)·E + G_T·M with `.query`, or (G_S + G_Sᵀ)·E with `.detached`; the stored M get
/// no gradient either way. With τ = 0 both readings are the plain batch loss. Which reading trains better depends
/// on the task, so it is a parameter: on chapter 07's toy clusters `.detached` pulls positives past memory
/// negatives that are never pushed back and retrieval gets worse as τ grows, so `.query` is the default; on
/// Fashion-MNIST (chapter 09) `.detached` is the better of the two.
///
/// - Complexity: per batch O(B²d + BMd) for the products; per query one radix sort of B − 1 + M items and a sort
///   of its positives (`RecallRows`).
public struct RecallEmbeddingLoss: EmbeddingLoss {
    public var loss: RecallLoss {
        get { rows.loss }
        set { rows = RecallRows(loss: newValue) }
    }
    /// τ: how many earlier batches are remembered.
    public let memorySize: Int
    public var memoryGradient: MemoryGradient
    private var stored: [(embeddings: Matrix, labels: [Int])] = []
    private var rows: RecallRows
    private var gradientBuffer = Matrix(rows: 0, cols: 0)

    /// - Parameter loss: the recall loss (memory is passed as ordinary columns).
    public init(loss: RecallLoss, memorySize: Int = 0, memoryGradient: MemoryGradient = .query) {
        self.rows = RecallRows(loss: loss)
        self.memorySize = max(0, memorySize)
        self.memoryGradient = memoryGradient
    }

    /// How many batches are stored: min(batches seen, τ).
    public var storedBatches: Int { stored.count }

    /// The loss and dL/dE of a batch. The B × (B + M) scores [S | T] come from one product E·[E; M]ᵀ (each entry
    /// summed exactly as in `similarityMatrix` and `matmul(E, M, transposeB: true)`) and are ranked row by row by
    /// `RecallRows`: the same loss and gradient, bit for bit, as `RecallLoss.valueAndGradient` on the lists
    /// written out (the reference path, compared in the tests).
    public mutating func evaluate(embeddings e: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix) {
        let b = e.rows
        precondition(labels.count == b && b >= 2, "RecallEmbeddingLoss: \(b) embeddings with \(labels.count) labels")
        var columnLabels = labels
        var gallery = e.storage
        for batch in stored {
            columnLabels += batch.labels
            gallery += batch.embeddings.storage
        }
        let n = columnLabels.count
        let m = n - b
        let scores = matmul(e, Matrix(rows: n, cols: e.cols, storage: gallery), transposeB: true)
        let value = rows.valueAndGradient(
            scores: scores, rowLabels: labels, columnLabels: columnLabels, excludingDiagonal: true,
            gradient: &gradientBuffer)
        var gs = Matrix(rows: b, cols: b)
        var gt = Matrix(rows: b, cols: m)
        gradientBuffer.storage.withUnsafeBufferPointer { g in
            for q in 0..<b {
                for j in 0..<b { gs.storage[q * b + j] = g[q * n + j] }
                for j in 0..<m { gt.storage[q * m + j] = g[q * n + b + j] }
            }
        }
        var gradient = similarityMatrixBackward(gs, embeddings: e)
        if memoryGradient == .query, m > 0 {
            let memory = Matrix(rows: m, cols: e.cols, storage: Array(gallery[(b * e.cols)...]))
            gradient += matmul(gt, memory)
        }
        if memorySize > 0 {
            stored.append((e, labels))
            if stored.count > memorySize { stored.removeFirst(stored.count - memorySize) }
        }
        return (value, gradient)
    }
}
