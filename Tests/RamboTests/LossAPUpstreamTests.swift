import Rambo
import Support
import Testing

@Suite struct APRankUpstreamTests {
    /// + − +: positives at ranks 1 and 3, ranks among positives 1 and 2, |rel| = 2:
    /// dL/drk = [1/(2·1²), 0, 2/(2·3²)] = [1/2, 0, 1/9].
    @Test func handDerived() {
        let up = APLoss(lambda: 1).rankUpstream(scores: [0.9, 0.8, 0.7], relevance: [true, false, true])
        #expect(up == [0.5, 0, 1.0 / 9])
        #expect(APLoss(lambda: 1).rankUpstream(scores: [1, 2], relevance: [false, false]) == [0, 0])
    }

    /// The loss's gradient is the blackbox backward of exactly this upstream (paper convention, one list).
    @Test func itIsTheUpstreamOfTheLossGradient() {
        var rng = SplitMix64(seed: 21)
        for _ in 0..<200 {
            let n = Int.random(in: 2...40, using: &rng)
            let y = (0..<n).map { _ in rng.nextGaussian() }
            var rel = (0..<n).map { _ in rng.nextUnit() < 0.3 }
            rel[0] = true
            let loss = APLoss(lambda: Double.random(in: 0.1...50, using: &rng), margin: 0.2)
            let shifted = marginShifted(y, relevance: rel, alpha: loss.margin)
            let viaUpstream = rankBackward(
                scores: shifted, upstream: loss.rankUpstream(scores: y, relevance: rel),
                lambda: loss.lambda)
            let direct = loss.valueAndGradient(scores: y, relevance: rel).gradient
            #expect(zip(viaUpstream, direct).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
        }
    }
}
