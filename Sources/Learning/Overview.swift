// `Learning`: the small numeric kit the chapters train with. Everything is explicit: no autodiff, no outside
// packages, one tensor type.
//
// | file | what |
// |---|---|
// | Matrix.swift, MatrixArithmetic.swift | `Matrix`: row-major `Float` storage, conversions to/from `[[Double]]` |
// | MatrixProduct.swift | `matmul(a, b, transposeA:transposeB:threads:kernel:)`, `matmul(…, into:)`; `naiveMatmul` oracle |
// | ProductKernel.swift | `ProductKernel`: the C kernels (AVX-512, AVX2, NEON) or the portable one, chosen at run time |
// | PortableProduct.swift | the pure-Swift product kernel: fallback and oracle for the C kernels |
// | Layers.swift | `Trainable`, `Linear`, `ReLU`, `MLP` with forward/backward |
// | Conv2D.swift | `Conv2D` by im2col, `FeatureShape` |
// | Similarity.swift | `L2Normalize`, `similarityMatrix` S = E·Eᵀ and its backward (G + Gᵀ)·E |
// | Optimisers.swift | `Adam`, `SGD` |
// | Samplers.swift | `PKSampler` (P classes × K items), `MinibatchSampler`, `seededShuffle` |
// | Baselines.swift | batch-hard triplet, contrastive, BCE with logits: (loss, gradient) |
// | RecallRows.swift | the recall loss on the rows of a score matrix through RankKernel's positives-only backward |
// | RecallEmbeddingLoss.swift | `RecallEmbeddingLoss`: the recall loss of an embedding batch with score memory |
// | Training.swift | `EmbeddingLoss`, `ScoreLoss` (`RankScoreLoss` for a `RankLoss`), the two trainers |
// | Retrieval.swift | `retrievalRanking`: blocked top-k neighbours for large N → `Rambo.RetrievalRanking` |
// | PCA.swift | `PrincipalComponents`: the 2-D maps of the embedding chapters |
// | Standardization.swift | `Standardizer`: per-feature mean and standard deviation of a training set |
// | Vectors.swift | `step`, `ranksOf`: small helpers for losses written on vectors |
// | Overview.swift | this table |
//
// One training step of a metric-learning chapter reads:
//
//     var sampler = PKSampler(labels: labels, p: 8, k: 4, seed: 1)
//     let model = MLP(sizes: [784, 256, 64], seed: 1), normalise = L2Normalize(), adam = Adam(learningRate: 1e-3)
//     let batch = sampler.nextBatch()
//     model.zeroGradients()
//     let embeddings = normalise.forward(model.forward(data.rows(batch)))        // B × 64, unit rows
//     let s = similarityMatrix(embeddings)                                        // B × B cosines
//     let (loss, dS) = batchHardTripletLoss(similarities: s, labels: batch.map { labels[$0] }, margin: 0.2)
//     _ = model.backward(normalise.backward(similarityMatrixBackward(dS, embeddings: embeddings)))
//     adam.update(model)
//
// A rank loss from `Rambo` slots in where the triplet loss is: it also maps S to (loss, ∂L/∂S).
