import Rambo
import RamboOfficial
import Support
import Testing

@Suite("Official margin")
struct OfficialMarginTests {
    @Test func unitNoiseIsThePapersMargin() {
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

    // Class 0: [0.9 (pos), 0.2], class 1: [0.3 (pos), 0.8] (as in the paper-convention mAP tests).
    let scores = [[0.9, 0.3], [0.2, 0.8]]
    let targets = [[true, true], [false, false]]

    @Test func noisyMarginIsSeededAndZeroAlphaIsDeterministic() {
        let loss = MAPLoss(lambda: 2, margin: 0.5, interclass: 0.3)
        var a = SplitMix64(seed: 11)
        var b = SplitMix64(seed: 11)
        let first = loss.valueAndGradient(scores: scores, targets: targets, using: &a)
        let second = loss.valueAndGradient(scores: scores, targets: targets, using: &b)
        #expect(first == second)
        var c = SplitMix64(seed: 11)
        let noMargin = MAPLoss(lambda: 2, interclass: 0.3)
        #expect(
            noMargin.valueAndGradient(scores: scores, targets: targets, using: &c)
                == noMargin.valueAndGradient(scores: scores, targets: targets))
    }

    @Test func officialLossTakesTheNoiseToo() {
        var a = SplitMix64(seed: 11)
        var b = SplitMix64(seed: 11)
        let loss = OfficialMAPLoss(lambda: 0.5, margin: 0.5, interclass: 0.3)
        let noisy = loss.valueAndGradient(scores: scores, targets: targets, using: &a)
        #expect(noisy == loss.valueAndGradient(scores: scores, targets: targets, using: &b))
        var c = SplitMix64(seed: 11)
        let noMargin = OfficialMAPLoss(lambda: 0.5, interclass: 0.3)
        #expect(
            noMargin.valueAndGradient(scores: scores, targets: targets, using: &c)
                == noMargin.valueAndGradient(scores: scores, targets: targets))
    }
}
