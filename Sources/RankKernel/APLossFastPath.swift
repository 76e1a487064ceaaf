// The method's fast path for the AP loss (paper Eqs. 21–22 with the margin of Eq. 14 and the blackbox backward of
// Eq. 10), which Rambo's APLoss and MAPLoss call for every list: it lives in the kernel because it reads the sort
// buffers directly (PositivesOnlyBackward.swift), so the list is sorted once.

/// The AP loss's terms of one positive: rk⁺/rk towards the precision sum, and dL/drk = weight · rk⁺/(rk² · #pos)
/// for L = −weight · (Σ_pos rk⁺/rk)/#pos, the expressions of Rambo's textbook route (`APCore.rankUpstream`).
@usableFromInline struct AveragePrecisionTerms: PositiveRankTerms {
    @usableFromInline let weight: Double
    @usableFromInline let positiveCount: Double

    @inlinable init(weight: Double, positives: Int) {
        self.weight = weight
        self.positiveCount = Double(positives)
    }

    @inlinable @inline(__always)
    func term(rankAll: Int, rankPositive: Int) -> Double {
        Double(rankPositive) / Double(rankAll)
    }

    @inlinable @inline(__always)
    func upstream(rankAll: Int, rankPositive: Int) -> Double {
        let rankAll = Double(rankAll)
        return weight * Double(rankPositive) / (rankAll * rankAll * positiveCount)
    }
}

extension RankingWorkspace {
    /// Lists up to this length take the AP fast path.
    package static let maximumAPCount = maximumPositivesOnlyCount

    /// The AP term of one list: Σ_pos rk⁺/rk divided by #pos, after the margin shift ±`half`; nil when the list has
    /// no positive. With `gradient`, also dL/dy for L = −weight · term, written into `gradient[0..<n]` (zeros
    /// without a positive).
    ///
    /// Same numbers, bit for bit, as Rambo's `APCore.referencePrecision` / `APCore.referenceBackward` on
    /// `marginShifted(scores, relevance, 2·half)`.
    ///
    /// - Precondition: `relevance.count == scores.count <= maximumAPCount`; finite scores; λ > 0.
    /// - Complexity: O(n): a radix sort of n items, one of the positives, and three linear passes.
    package mutating func averagePrecisionFastPath(
        scores: UnsafeBufferPointer<Double>, relevance: UnsafeBufferPointer<Bool>, half: Double,
        weight: Double, lambda: Double, gradient: UnsafeMutablePointer<Double>?
    ) -> Double? {
        precondition(relevance.count == scores.count && scores.count <= Self.maximumAPCount)
        var positives = 0
        for r in relevance { positives &+= r ? 1 : 0 }
        guard positives > 0 else {
            gradient?.update(repeating: 0, count: scores.count)
            return nil
        }
        let terms = AveragePrecisionTerms(weight: weight, positives: positives)
        guard let gradient else {
            return positivesOnlyForward(scores: scores, relevance: relevance, half: half, terms: terms)
                / Double(positives)
        }
        return positivesOnlyBackward(
            scores: scores, relevance: relevance, positives: positives, half: half, lambda: lambda, terms: terms,
            gradient: gradient) / Double(positives)
    }
}
