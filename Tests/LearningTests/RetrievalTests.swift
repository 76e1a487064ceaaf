import Rambo
import Support
import Testing

@testable import Learning

@Suite struct Retrieval {
    func rambo(_ e: Matrix, _ labels: [Int], depth: Int? = nil) throws -> RetrievalRanking {
        try RetrievalRanking(embeddings: e.doubleRows, labels: labels, depth: depth)
    }

    @Test(arguments: [(1, 256), (2, 7), (3, 1)])
    func agreesWithRamboOnRandomEmbeddings(threads: Int, blockRows: Int) throws {
        let e = randomMatrix(61, 5, seed: 21)
        let labels = (0..<61).map { ($0 * 7) % 4 }
        let fast = try retrievalRanking(embeddings: e, labels: labels, blockRows: blockRows, threads: threads)
        let depth = retrievalDepth(labels: labels)
        #expect(depth == 15)  // largest class has 16 items
        #expect(fast.neighbours == (try rambo(e, labels, depth: depth)).neighbours)
        let full = try retrievalRanking(
            embeddings: e, labels: labels, depth: 60, blockRows: blockRows, threads: threads)
        #expect(full.neighbours == (try rambo(e, labels)).neighbours)
        #expect(fast.mapAtR() == (try rambo(e, labels)).mapAtR())
        #expect(fast.recallAtK([1, 2, 4, 8]) == (try rambo(e, labels)).recallAtK([1, 2, 4, 8]))
    }

    @Test func tiesBreakByTheSmallerIndexLikeRambo() throws {
        // Duplicate rows (exact ties), a row and its multiple (same direction), and mirror-image rows that tie
        // against the axis-aligned queries; −x rows give negative and zero similarities.
        let rows: [[Double]] = [
            [1, 0], [0, 1], [1, 0], [2, 0], [1, 1], [1, -1], [0, 1], [-1, 0], [0, -1], [-1, 1], [1, 1],
        ]
        let e = Matrix(rows)
        let labels = [0, 1, 0, 1, 2, 2, 0, 1, 2, 0, 1]
        let fast = try retrievalRanking(embeddings: e, labels: labels, depth: rows.count - 1)
        let reference = try rambo(e, labels)
        // Axis-aligned queries: every similarity is one product plus zeros, exact in Float, so every tie is exact
        // and broken by index exactly as in Rambo.
        let axisAligned = rows.indices.filter { rows[$0].contains(0) }
        #expect(axisAligned.count == 7)
        for q in axisAligned { #expect(fast.neighbours[q] == reference.neighbours[q], "query \(q)") }
        // Query 0 = (1, 0): rows 2 and 3 tie at similarity 1 (index order), then 4, 5, 10 tie at 1/√2.
        #expect(Array(fast.neighbours[0].prefix(5)) == [2, 3, 4, 5, 10])
        // Diagonal queries against the orthogonal diagonal: u·u − u·u with u = fl(1/√2) is 0 with separate
        // roundings but, with a fused multiply-add (the C kernels), the residual fl(u²) − u², about 1e-8, of either
        // sign: below Float resolution, where the documented agreement with Rambo stops. Every run of items whose
        // cosines to the query are equal (to 1e-6, in Double) must still come in the same order, as a set.
        for q in rows.indices where !axisAligned.contains(q) {
            #expect(
                tieGroups(reference.neighbours[q], query: rows[q], rows)
                    == tieGroups(fast.neighbours[q], query: rows[q], rows))
        }
    }

    /// The neighbour list cut into runs of equal cosine similarity to the query (in Double), each run as a set.
    func tieGroups(_ list: [Int], query: [Double], _ rows: [[Double]]) -> [Set<Int>] {
        var groups: [Set<Int>] = []
        var last = Double.nan
        for j in list {
            let similarity = (cosineSimilarity(query, rows[j]) * 1e6).rounded() / 1e6
            if similarity == last { groups[groups.count - 1].insert(j) } else { groups.append([j]) }
            last = similarity
        }
        return groups
    }

    @Test func depthDefaultsAndClamps() throws {
        #expect(retrievalDepth(labels: [0, 0, 0, 1]) == 3)  // max(2, 8) clamped to N − 1 = 3
        #expect(retrievalDepth(labels: Array(repeating: 0, count: 20) + [1]) == 19)
        #expect(retrievalDepth(labels: Array(0..<30), minimum: 0) == 0)
        let fast = try retrievalRanking(
            embeddings: randomMatrix(12, 3, seed: 1), labels: Array(repeating: 0, count: 12), depth: 50)
        #expect(fast.neighbours.allSatisfy { $0.count == 11 })
        #expect(fast.neighbours.indices.allSatisfy { !fast.neighbours[$0].contains($0) })
    }

    @Test func rejectsBadInput() {
        let e = Matrix([[1.0, 0.0], [0.0, 0.0]])
        #expect(throws: RamboError.self) { try retrievalRanking(embeddings: e, labels: [0, 0]) }
        #expect(throws: RamboError.self) {
            try retrievalRanking(embeddings: randomMatrix(3, 2, seed: 1), labels: [0, 0])
        }
        #expect(throws: RamboError.self) {
            try retrievalRanking(embeddings: Matrix([[Double.nan, 1.0], [1.0, 1.0]]), labels: [0, 0])
        }
        #expect(throws: RamboError.self) { try retrievalRanking(embeddings: Matrix(rows: 0, cols: 3), labels: []) }
    }

    @Test func rankingKeysOrderBySimilarityThenIndex() {
        let pairs: [(Float, Int)] = [(0.9, 5), (0.9, 2), (-0.0, 1), (0, 0), (-0.5, 3), (1, 9), (-1, 4), (0.1, 7)]
        let byKey = pairs.sorted {
            rankingKey(similarity: $0.0, index: $0.1) < rankingKey(similarity: $1.0, index: $1.1)
        }
        let byRule = pairs.sorted { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        #expect(byKey.map(\.1) == byRule.map(\.1))
    }

    @Test(arguments: [0, 1, 7, 99, 100])
    func quickselectKeepsTheSmallest(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        var keys = (0..<100).map { _ in rng.next() % 1000 &* 1_000 }
        for i in keys.indices { keys[i] = keys[i] &+ UInt64(i) }  // distinct, as retrieval keys are
        let expected = keys.sorted().prefix(count)
        keys.withUnsafeMutableBufferPointer { selectSmallest($0, count: count) }
        #expect(keys.prefix(count).sorted() == Array(expected))
    }
}

@Suite struct RetrievalCandidateFilter {
    @Test func agreesWithRamboWhenTheThresholdIsUsed() throws {
        // N large enough (> 512, depth < N/4) for the sampled threshold to be active.
        let e = randomMatrix(700, 4, seed: 31)
        let labels = (0..<700).map { $0 % 20 }
        let depth = retrievalDepth(labels: labels)
        #expect(depth == 34)
        let fast = try retrievalRanking(embeddings: e, labels: labels, threads: 2)
        let reference = try RetrievalRanking(embeddings: e.doubleRows, labels: labels, depth: depth)
        #expect(fast.neighbours == reference.neighbours)
    }

    @Test func fallsBackWhenTheSampleIsUnrepresentative() throws {
        // Every 7th item up to 140 (the strided sample's first 21 entries, 20 besides the query) points along the query 0
        // direction; all others point away. The sample then sets the threshold among those 20 items, fewer
        // than the 50 neighbours asked for, so the filter must fall back to scanning every item.
        var rng = SplitMix64(seed: 5)
        var rows = [[Double]]()
        for i in 0..<1000 {
            if i % 7 == 0 && i <= 140 {
                rows.append([1, Double(i / 7) * 0.05, 0])  // distinct cosines to row 0, gaps > 1e-4
            } else {
                let x: Double = -1 - rng.nextUnit()
                rows.append([x, rng.nextGaussian(), rng.nextGaussian()])
            }
        }
        let e = Matrix(rows)
        let labels = (0..<1000).map { $0 % 3 }
        let unit = L2Normalize().forward(e)
        let row0 = matmul(unit.rows([0]), unit, transposeB: true).storage
        let threshold = row0.withUnsafeBufferPointer {
            candidateThreshold($0.baseAddress!, count: 1000, query: 0, keep: 50)
        }
        #expect(row0.indices.filter { $0 != 0 && row0[$0] >= threshold }.count < 50, "the fallback path is exercised")
        // Query 0 is the one that falls back; the near-parallel rows are not compared among themselves, as
        // their mutual cosines differ by less than Float resolution.
        let fast = try retrievalRanking(embeddings: e, labels: labels, depth: 50)
        let reference = try RetrievalRanking(embeddings: rows, labels: labels, depth: 50)
        #expect(fast.neighbours[0] == reference.neighbours[0])
        #expect(Array(fast.neighbours[0].prefix(20)) == Array(stride(from: 7, through: 140, by: 7)))
    }
}
