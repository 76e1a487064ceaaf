import Rambo
import Support
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hand-derived cases and properties of the rank-based metrics.
@Suite struct MetricsTests {
    // Ranked list: + − + − − +  →  precisions at positives 1/1, 2/3, 3/6.
    let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    let relevant = [true, false, true, false, false, true]

    /// The reference's cosine (normalise first, then the dot product in index order), bit for bit: the case where
    /// the quotient forms tie query 2's two cosines and this procedure does not (the last bit orders the gallery).
    @Test func cosineNormalisesFirstAndDecidesRealTiesByTheLastBit() throws {
        let e: [[Double]] = [[1, 1], [3, 3], [1, 2]]
        #expect(cosineSimilarity(e[2], e[0]) == 0.9486832980505137)
        #expect(cosineSimilarity(e[2], e[1]) == 0.9486832980505138)
        // ⟨a,b⟩/(√⟨a,a⟩·√⟨b,b⟩) gives both 0.9486832980505138: a tie, broken by index the other way.
        #expect(3 / (2.0.squareRoot() * 5.0.squareRoot()) == 9 / (18.0.squareRoot() * 5.0.squareRoot()))
        let ranking = try RetrievalRanking(embeddings: e, labels: [0, 1, 0])
        #expect(ranking.neighbours[2] == [1, 0])
        #expect(ranking.recallAtK([1]) == [1: 0.0])
        #expect(cosineSimilarity([1, 1], [1, 1]) == 0.9999999999999998)
        // Symmetric bit for bit, and exactly ±1 for parallel vectors of one dimension.
        for (a, b) in [([0.3, -1.7, 2.2], [1.1, 0.4, -0.9]), ([1e-3, 7], [5, 1e3])] {
            #expect(cosineSimilarity(a, b) == cosineSimilarity(b, a))
        }
        #expect(cosineSimilarity([0.1], [7.3]) == 1 && cosineSimilarity([-0.1], [7.3]) == -1)
        // Squared norms that underflow or overflow have no unit vector; the ranking says which.
        #expect(unitVector([1e-200, 1e-200]) == nil && unitVector([1e200, 1e200]) == nil)
        #expect(cosineSimilarity([0, 0], [1, 0]).isNaN)
        #expect(throws: RamboError.self) {
            try RetrievalRanking(embeddings: [[1e200, 1e200], [1, 0]], labels: [0, 0])
        }
    }

    @Test func averagePrecisionByHand() throws {
        let ap = try #require(averagePrecision(scores: scores, relevance: relevant))
        #expect(abs(ap - 13.0 / 18.0) < 1e-15)
        // Same list shuffled: AP depends on the order of scores only.
        let perm = [3, 5, 0, 1, 4, 2]
        let shuffled = try #require(
            averagePrecision(scores: perm.map { scores[$0] }, relevance: perm.map { relevant[$0] }))
        #expect(abs(shuffled - ap) < 1e-15)
    }

    @Test func averagePrecisionEdgeCases() {
        #expect(averagePrecision(scores: [0.3, 0.1], relevance: [false, false]) == nil)  // no positive
        #expect(averagePrecision(scores: [0.3, 0.1, 0.7], relevance: [true, true, true]) == 1)  // all positive
        #expect(averagePrecision(scores: [5], relevance: [true]) == 1)  // single item
        #expect(averagePrecision(scores: [], relevance: []) == nil)
        // Ties: the earlier index ranks first, so a tied positive after a tied negative sits at rank 2.
        #expect(averagePrecision(scores: [1, 1], relevance: [false, true]) == 0.5)
        #expect(averagePrecision(scores: [1, 1], relevance: [true, false]) == 1)
        // Worst case: one positive last of n → 1/n.
        #expect(averagePrecision(scores: [4, 3, 2, 1], relevance: [false, false, false, true]) == 0.25)
    }

    @Test func meanAveragePrecisionSkipsListsWithoutPositives() throws {
        let m = try #require(
            meanAveragePrecision(
                scores: [[0.9, 0.1], [0.5, 0.2], [0.1, 0.9]],
                relevance: [[true, false], [false, false], [true, false]]))
        #expect(m == (1.0 + 0.5) / 2)
        #expect(meanAveragePrecision(scores: [[1.0]], relevance: [[false]]) == nil)
    }

    @Test func refinedRecallAndHits() throws {
        #expect(negativesAhead(scores: scores, relevance: relevant) == [0, 1, 3])
        #expect(refinedRecallAtK(scores: scores, relevance: relevant, k: 1) == 1.0 / 3)
        #expect(refinedRecallAtK(scores: scores, relevance: relevant, k: 2) == 2.0 / 3)
        #expect(refinedRecallAtK(scores: scores, relevance: relevant, k: 4) == 1)
        #expect(hitAtK(scores: [0.1, 0.9, 0.5], relevance: [true, false, false], k: 2) == false)
        #expect(hitAtK(scores: [0.1, 0.9, 0.5], relevance: [true, false, false], k: 3) == true)
        #expect(hitAtK(scores: [0.1], relevance: [false], k: 1) == nil)
    }

    @Test func precisionRecallCurveEndsAtFullRecall() {
        let curve = precisionRecallCurve(scores: scores, relevance: relevant)
        #expect(curve.count == 6)
        #expect(curve.last!.recall == 1 && curve.last!.precision == 0.5)
        #expect(curve[0].recall == 1.0 / 3 && curve[0].precision == 1)
        #expect(precisionRecallCurve(scores: [1], relevance: [false]).isEmpty)
    }

    @Test func apIsInUnitIntervalAndInvariantToIncreasingMaps() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let n = Int.random(in: 1...30, using: &rng)
            let y = (0..<n).map { _ in rng.nextGaussian() }
            let rel = (0..<n).map { _ in rng.nextUnit() < 0.3 }
            guard let ap = averagePrecision(scores: y, relevance: rel) else {
                #expect(!rel.contains(true))
                continue
            }
            #expect(ap > 0 && ap <= 1)
            #expect(ap >= 1.0 / Double(n))  // every precision is at least 1/n
            #expect(averagePrecision(scores: y.map { 2 * $0 * $0 * $0 + 1 }, relevance: rel) == ap)
            #expect(rank(y.map { exp($0) }) == rank(y))
        }
    }

    /// AP from its textbook definition (paper Eq. 4 with the stable tie rule), using rankByCounting.
    @Test func apMatchesTheDefinition() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let n = Int.random(in: 1...12, using: &rng)
            let y = (0..<n).map { _ in Double(Int.random(in: 0...4, using: &rng)) }  // ties
            let rel = (0..<n).map { _ in rng.nextUnit() < 0.4 }
            let r = rankByCounting(y)
            let positives = rel.indices.filter { rel[$0] }
            let expected: Double? =
                positives.isEmpty
                ? nil
                : positives.map { i in
                    Double(positives.filter { r[$0] <= r[i] }.count) / Double(r[i])
                }.reduce(0, +) / Double(positives.count)
            let got = averagePrecision(scores: y, relevance: rel)
            #expect((got == nil) == (expected == nil))
            if let got, let expected { #expect(abs(got - expected) < 1e-14) }
        }
    }
}

@Suite struct RetrievalMetricsTests {
    // Six points on the unit circle (ch02's hand count): R@1 = R@2 = MAP@R = 5/6.
    let angles = [0.0, 0.3, 0.6, 3.0, 3.3, 1.5]
    let labels = [0, 0, 0, 1, 1, 1]

    @Test func handCountedCircle() throws {
        let ranking = try RetrievalRanking(embeddings: angles.map { [cos($0), sin($0)] }, labels: labels)
        let recall = try #require(ranking.recallAtK([1, 2, 8]))
        #expect(abs(recall[1]! - 5.0 / 6) < 1e-15)
        #expect(abs(recall[2]! - 5.0 / 6) < 1e-15)
        #expect(recall[8]! == 1)
        #expect(abs(ranking.mapAtR()! - 5.0 / 6) < 1e-15)
        #expect(ranking.neighbours[1].first == 0)  // 0 and 2 are equally close to 1: the smaller index wins
    }

    @Test func singletonClassesAreSkipped() throws {
        // Class 2 has one member: it is skipped; the rest is a perfect retrieval.
        let e: [[Double]] = [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [-1, 0]]
        let ranking = try RetrievalRanking(embeddings: e, labels: [0, 0, 1, 1, 2])
        #expect(ranking.recallAtK([1])![1] == 1)
        #expect(ranking.mapAtR() == 1)
        let alone = try RetrievalRanking(embeddings: [[1, 0], [0, 1]], labels: [0, 1])
        #expect(alone.recallAtK([1]) == nil)
        #expect(alone.mapAtR() == nil)
    }

    @Test func mapAtRDividesByR() throws {
        // Angles 0, 0.1, 0.25, 0.3; classes 0, 0, 1, 0. Query 0 (R = 2): neighbours 1, 2, 3 → top 2 =
        // [hit, miss] → (1/1)/2 = 0.5. Query 1: 0 (0.1 away), 2 (0.15), 3 (0.2) → [hit, miss] → 0.5.
        // Query 3: 2 (0.05), 1 (0.2), 0 (0.3) → [miss, hit] → (1/2)/2 = 0.25.
        // Query 2 is alone in class 1: skipped. MAP@R = (0.5 + 0.5 + 0.25)/3.
        let e = [0.0, 0.1, 0.25, 0.3].map { [cos($0), sin($0)] }
        let ranking = try RetrievalRanking(embeddings: e, labels: [0, 0, 1, 0])
        #expect(ranking.neighbours[0] == [1, 2, 3])
        #expect(abs(ranking.mapAtR()! - 1.25 / 3) < 1e-15)
    }

    @Test func badEmbeddingsAreRejectedWithTheirIndex() {
        #expect(throws: RamboError.invalid("embeddings[1] has zero norm; cosine similarity is undefined")) {
            try RetrievalRanking(embeddings: [[1, 0], [0, 0]], labels: [0, 0])
        }
        #expect(throws: RamboError.lengthMismatch(name: "embeddings[1]", expected: 2, actual: 3)) {
            try RetrievalRanking(embeddings: [[1, 0], [0, 0, 1]], labels: [0, 0])
        }
        #expect(throws: RamboError.nonFinite(name: "embeddings[0]", index: 1, value: .infinity)) {
            try RetrievalRanking(embeddings: [[1, .infinity], [0, 1]], labels: [0, 0])
        }
        #expect(throws: RamboError.lengthMismatch(name: "labels", expected: 2, actual: 1)) {
            try RetrievalRanking(embeddings: [[1, 0], [0, 1]], labels: [0])
        }
        #expect(throws: RamboError.empty(name: "embeddings")) { try RetrievalRanking(embeddings: [], labels: []) }
    }
}
