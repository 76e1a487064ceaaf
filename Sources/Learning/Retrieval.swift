// Retrieval evaluation for large N: the same neighbour lists as `Rambo.RetrievalRanking(embeddings:labels:)`,
// without ever holding the N × N similarity matrix or sorting whole rows.
import Dispatch
import Rambo

/// The default neighbour depth for `retrievalRanking`: the largest class size − 1 (what MAP@R needs), but at
/// least `minimum` (so Recall@1…8 are exact) and at most N − 1.
public func retrievalDepth(labels: [Int], minimum: Int = 8) -> Int {
    var sizes = [Int: Int]()
    for label in labels { sizes[label, default: 0] += 1 }
    let largest = sizes.values.max() ?? 0
    return max(0, min(labels.count - 1, max(largest - 1, minimum)))
}

/// Ranks every item's gallery (all other items) by cosine similarity and keeps the `depth` nearest.
///
/// 1. The rows are L2-normalised (in `Float`).
/// 2. Query rows are taken in blocks of `blockRows`; each block's similarities to all N items come from the
///    product kernel of `matmul` (`ProductKernel.best`; the gallery is packed once), in `Float`, each entry summed
///    exactly as `matmul` sums it, so memory is O(blockRows · N) per worker, never O(N²).
/// 3. Per query, a strided sample of the row gives a similarity threshold that about 2·depth items reach;
///    only those become candidates (all items, if fewer than `depth` pass; exactness never depends on the
///    sample). Each candidate j ≠ q becomes one 64-bit key, (similarity descending, index ascending), so that
///    integer order *is* the ranking order including the tie rule (equal similarity: smaller index first, as
///    in `Rambo`). A quickselect finds the `depth` smallest keys, which are then sorted.
///
/// Agreement with `Rambo.RetrievalRanking(embeddings:labels:depth:)`: identical whenever the ordering does not
/// hinge on differences below `Float` resolution (≈1e-7 in cosine). Exact ties (e.g. duplicate rows) are
/// broken identically, since every similarity is summed in the same order.
///
/// - Parameters:
///   - embeddings: N × d, one item per row, every row finite with non-zero norm.
///   - labels: N class labels.
///   - depth: neighbours kept per query; `nil` means `retrievalDepth(labels:)`.
///   - blockRows: queries per block.
///   - threads: workers over blocks (block b goes to worker b mod threads); `nil` means 2.
/// - Throws: `RamboError` for an empty input, a label count that differs from N, a non-finite entry, or a
///   zero-norm row.
/// - Complexity: O(N² d) for the products plus O(N² + N · depth log depth) for the selection;
///   O(N · depth + threads · blockRows · N) memory.
public func retrievalRanking(
    embeddings: Matrix, labels: [Int], depth: Int? = nil, blockRows: Int = 256,
    threads: Int? = nil
) throws -> RetrievalRanking {
    let n = embeddings.rows
    let d = embeddings.cols
    guard n > 0, d > 0 else { throw RamboError.empty(name: "embeddings") }
    guard labels.count == n else { throw RamboError.lengthMismatch(name: "labels", expected: n, actual: labels.count) }
    for (index, value) in embeddings.storage.enumerated() where !value.isFinite {
        throw RamboError.nonFinite(name: "embeddings[\(index / d)]", index: index % d, value: Double(value))
    }
    for i in 0..<n where embeddings.storage[(i * d)..<((i + 1) * d)].allSatisfy({ $0 == 0 }) {
        throw RamboError.invalid("embeddings[\(i)] has zero norm; cosine similarity is undefined")
    }
    let keep = min(max(0, depth ?? retrievalDepth(labels: labels)), n - 1)
    precondition(blockRows >= 1, "blockRows must be ≥ 1")

    let unit = L2Normalize().forward(embeddings)
    // Gallery = all rows, packed once as the right operand of S_block = Q_block · unitᵀ.
    let gallery = PackedRightOperand(unit.storage, depth: d, columns: n, depthStride: 1, columnStride: d, kernel: .best)
    let blocks = (n + blockRows - 1) / blockRows
    var neighbours = [[Int]](repeating: [], count: n)
    neighbours.withUnsafeMutableBufferPointer { out in
        nonisolated(unsafe) let outBase = out.baseAddress!  // each block writes only its own queries' entries
        let workers = max(1, min(threads ?? 2, blocks))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var similarities = [Float](repeating: 0, count: blockRows * n)
            for b in stride(from: w, to: blocks, by: workers) {
                let start = b * blockRows
                let end = min(n, start + blockRows)
                unit.storage.withUnsafeBufferPointer { u in
                    similarities.withUnsafeMutableBufferPointer { s in
                        multiplySplit(
                            u.baseAddress! + start * d, rowStride: d, depthStride: 1, rows: end - start, gallery,
                            into: s.baseAddress!, threads: 1)
                    }
                }
                similarities.withUnsafeBufferPointer { s in
                    for q in start..<end {
                        (outBase + q).pointee = nearest(
                            s.baseAddress! + (q - start) * n, count: n, query: q, keep: keep)
                    }
                }
            }
        }
    }
    return RetrievalRanking(neighbours: neighbours, labels: labels)
}

/// The indices of the `keep` largest entries of a row of `n` similarities, the query `q` excluded, in ranking
/// order (similarity descending, index ascending).
///
/// Only items at or above a threshold can be among the `keep` nearest; a threshold that still admits ≥ keep
/// items is exact (ties at it are all admitted). Each candidate becomes one key; a quickselect finds the `keep`
/// smallest keys, which are then sorted. O(n + keep log keep) expected.
func nearest(_ row: UnsafePointer<Float>, count n: Int, query q: Int, keep: Int) -> [Int] {
    let threshold = candidateThreshold(row, count: n, query: q, keep: keep)
    let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
    defer { keys.deallocate() }
    // Branch-free compaction: every key is written, the slot advances only for a candidate (about one item in
    // five passes, too irregular for the branch predictor). The query's own entry is never kept. The slot never
    // exceeds j, so n keys of room suffice.
    var slot = 0
    for j in 0..<n {
        keys[slot] = rankingKey(similarity: row[j], index: j)
        slot += (j != q && row[j] >= threshold) ? 1 : 0
    }
    if slot < keep {  // the sample misjudged: fall back to every item
        slot = 0
        for j in 0..<n where j != q {
            keys[slot] = rankingKey(similarity: row[j], index: j)
            slot += 1
        }
    }
    selectSmallest(UnsafeMutableBufferPointer(rebasing: keys[0..<slot]), count: keep)
    var nearest = UnsafeMutableBufferPointer(rebasing: keys[0..<keep])
    nearest.sort()
    return nearest.map { Int($0 & 0xFFFF_FFFF) }
}

/// A similarity that about twice `keep` items of `row` reach, estimated from a strided sample of about 128
/// entries (the query excluded); −∞ (keep every item) for short rows or when `keep` is over a quarter of the row.
@inline(__always)
func candidateThreshold(_ row: UnsafePointer<Float>, count n: Int, query q: Int, keep: Int) -> Float {
    let sampleSize = 128
    guard n - 1 > 4 * keep, n > 4 * sampleSize else { return -.infinity }
    var sample = [Float]()
    sample.reserveCapacity(sampleSize + 8)
    let step = n / sampleSize
    for j in stride(from: 0, to: n, by: step) where j != q { sample.append(row[j]) }
    sample.sort(by: >)
    let rank = min(sample.count - 1, 2 * keep * sample.count / (n - 1) + 4)
    return sample[rank]
}

/// A key whose ascending integer order is (similarity descending, index ascending).
///
/// The float's bits are mapped to an unsigned integer with the same order (flip all bits of negatives, set
/// the sign bit of non-negatives), then complemented for descending order; the index fills the low 32 bits.
/// −0 is folded into +0 so that they tie, as they do under `==`.
@inline(__always)
func rankingKey(similarity: Float, index: Int) -> UInt64 {
    let s = similarity == 0 ? Float(0) : similarity
    let bits = s.bitPattern
    let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    return UInt64(~ascending) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
}

/// Rearranges `keys` so that its first `count` elements are its `count` smallest (in some order).
/// Quickselect with a median-of-three pivot: expected O(n).
func selectSmallest(_ keys: UnsafeMutableBufferPointer<UInt64>, count: Int) {
    guard count > 0, count < keys.count else { return }
    var low = 0
    var high = keys.count - 1
    let target = count - 1  // after this, keys[target] is in its sorted place, smaller ones before it
    while low < high {
        let mid = low + (high - low) / 2
        // Median of three to keep sorted and reverse-sorted inputs linear.
        if keys[mid] < keys[low] { keys.swapAt(mid, low) }
        if keys[high] < keys[low] { keys.swapAt(high, low) }
        if keys[high] < keys[mid] { keys.swapAt(high, mid) }
        let pivot = keys[mid]
        var i = low
        var j = high
        while i <= j {  // Hoare partition; keys are distinct (the index is part of the key)
            while keys[i] < pivot { i += 1 }
            while keys[j] > pivot { j -= 1 }
            if i <= j {
                keys.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if target <= j { high = j } else if target >= i { low = i } else { return }
    }
}
