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
/// - Complexity: per batch O(B²d + BMd) for the products and 2 argsorts of B − 1 + M items per query.
public struct RecallEmbeddingLoss: EmbeddingLoss {
    public var loss: RecallLoss
    /// τ: how many earlier batches are remembered.
    public let memorySize: Int
    public var memoryGradient: MemoryGradient
    private var stored: [(embeddings: Matrix, labels: [Int])] = []

    /// - Parameter loss: the recall loss in the `paper` convention (memory is passed as ordinary columns).
    public init(loss: RecallLoss, memorySize: Int = 0, memoryGradient: MemoryGradient = .query) {
        precondition(loss.convention == .paper, "RecallEmbeddingLoss needs the paper convention")
        self.loss = loss
        self.memorySize = max(0, memorySize)
        self.memoryGradient = memoryGradient
    }

    /// How many batches are stored: min(batches seen, τ).
    public var storedBatches: Int { stored.count }

    public mutating func evaluate(embeddings e: Matrix, labels: [Int]) -> (loss: Double, gradient: Matrix) {
        let b = e.rows
        precondition(labels.count == b && b >= 2, "RecallEmbeddingLoss: \(b) embeddings with \(labels.count) labels")
        let memoryLabels = stored.flatMap(\.labels)
        let m = memoryLabels.count
        let s = similarityMatrix(e)
        var memory: Matrix?
        var t: Matrix?
        if m > 0 {
            let stacked = Matrix(rows: m, cols: e.cols, storage: stored.flatMap(\.embeddings.storage))
            memory = stacked
            t = matmul(e, stacked, transposeB: true)
        }
        var lists = [[Double]]()
        var relevance = [[Bool]]()
        lists.reserveCapacity(b)
        relevance.reserveCapacity(b)
        for q in 0..<b {
            var row = [Double]()
            var rel = [Bool]()
            row.reserveCapacity(b - 1 + m)
            rel.reserveCapacity(b - 1 + m)
            for j in 0..<b where j != q {
                row.append(Double(s[q, j]))
                rel.append(labels[j] == labels[q])
            }
            if let t {
                for j in 0..<m {
                    row.append(Double(t[q, j]))
                    rel.append(memoryLabels[j] == labels[q])
                }
            }
            lists.append(row)
            relevance.append(rel)
        }
        let result = loss.valueAndGradient(scores: lists, relevance: relevance)
        var gs = Matrix(rows: b, cols: b)
        var gt = Matrix(rows: b, cols: m)
        for q in 0..<b {
            var k = 0
            for j in 0..<b where j != q {
                gs[q, j] = Float(result.gradient[q][k])
                k += 1
            }
            for j in 0..<m { gt[q, j] = Float(result.gradient[q][b - 1 + j]) }
        }
        var gradient = similarityMatrixBackward(gs, embeddings: e)
        if memoryGradient == .query, let memory {
            gradient += matmul(gt, memory)
        }
        if memorySize > 0 {
            stored.append((e, labels))
            if stored.count > memorySize { stored.removeFirst(stored.count - memorySize) }
        }
        return (result.loss, gradient)
    }
}
