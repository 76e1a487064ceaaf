import Support
import Testing

@testable import Rambo

@Suite("Margin")
struct MarginTests {
    @Test func deterministicMargin() {
        // Positives −α/2, negatives +α/2 (Eq. 14).
        #expect(marginShifted([1, 1], relevance: [true, false], alpha: 0.5) == [0.75, 1.25])
        // The official form with |ξ| ≡ 1 is the same, bit for bit.
        let y = [0.3, -0.7, 0.123456789]
        let rel = [true, false, false]
        #expect(
            marginShifted(y, relevance: rel, alpha: 0.15, noise: [1, 1, 1])
                == marginShifted(y, relevance: rel, alpha: 0.15))
    }

    @Test func noisyMarginUsesHalfNormalFactors() {
        // Shift = −α·|ξ|·(t − 0.5) with ξ the generator's draws in index order.
        var rng = SplitMix64(seed: 5)
        var copy = SplitMix64(seed: 5)
        let y = [0.0, 0.0, 0.0, 0.0]
        let rel = [true, false, true, false]
        let shifted = noisyMarginShifted(y, relevance: rel, alpha: 2, using: &rng)
        let xi = (0..<4).map { _ in abs(copy.nextGaussian()) }
        #expect(shifted == [-xi[0], xi[1], -xi[2], xi[3]])
        // The mean shift tends to α·√(2/π)/2 ≈ 0.399·α, not α/2.
        var big = SplitMix64(seed: 9)
        let many = noisyMarginShifted(
            [Double](repeating: 0, count: 200_000), relevance: [Bool](repeating: false, count: 200_000),
            alpha: 1, using: &big)
        #expect(abs(many.reduce(0, +) / 200_000 - 0.3989422804014327) < 3e-3)
    }
}
