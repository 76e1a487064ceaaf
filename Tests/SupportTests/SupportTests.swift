import Support
import Testing

@Suite struct StatisticsTests {
    @Test func meanAndSampleStandardDeviationOfAHandCase() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, s = √(32 / 7).
        let v: [Double] = [2, 4, 4, 4, 5, 5, 7, 9]
        #expect(mean(v) == 5)
        #expect(standardDeviation(v) == (32.0 / 7).squareRoot())
        #expect(standardError(v) == (32.0 / 7).squareRoot() / 8.0.squareRoot())
    }

    @Test func fewerThanTwoValuesHaveNoSpread() {
        #expect(standardDeviation([3]) == 0)
        #expect(standardError([3]) == 0)
        #expect(confidenceInterval95([3]) == ConfidenceInterval(mean: 3, halfWidth: 0))
        #expect(mean([]).isNaN)
    }

    @Test func confidenceIntervalUsesStudentT() {
        // n = 2: x̄ = 1, s = √2, se = 1, t₀.₉₇₅(1) = 12.706.
        let ci = confidenceInterval95([0, 2])
        #expect(ci.mean == 1)
        #expect(abs(ci.halfWidth - 12.706) < 1e-12)
        #expect(ci.contains(13.7) && !ci.contains(13.8))
        #expect(studentT975(degreesOfFreedom: 30) == 2.042)
        #expect(studentT975(degreesOfFreedom: 45) == 2.021)
        #expect(studentT975(degreesOfFreedom: 1000) == 1.980)
    }

    @Test func seedComparisonIsPairedAndSaysLevelWhenTheIntervalHoldsZero() {
        // Differences 0.02, 0.03, 0.04: mean 0.03, s = 0.01, se = 0.01/√3, t₀.₉₇₅(2) = 4.303 → half-width 0.0248.
        let ahead = compareOverSeeds([0.62, 0.53, 0.74], [0.60, 0.50, 0.70])
        #expect(abs(ahead.difference.mean - 0.03) < 1e-12)
        #expect(abs(ahead.difference.halfWidth - 4.303 * 0.01 / 3.0.squareRoot()) < 1e-12)
        #expect(ahead.verdict == .firstAhead)
        #expect(compareOverSeeds([0.60, 0.50, 0.70], [0.62, 0.53, 0.74]).verdict == .secondAhead)
        // The same means with one seed reversed: the differences 0.02, 0.03, −0.04 straddle 0.
        #expect(compareOverSeeds([0.62, 0.53, 0.66], [0.60, 0.50, 0.70]).verdict == .level)
        // Unpaired, these means differ by more than a seed's spread would suggest is noise, but one seed cannot say.
        #expect(compareOverSeeds([0.9], [0.1]).verdict == .level)
    }
}

@Suite struct RandomAndLibmTests {
    @Test func gaussiansAreTheSameDrawsAsRepeatedNextGaussian() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        let many = a.gaussians(5)
        let one = (0..<5).map { _ in b.nextGaussian() }
        #expect(many == one)
        #expect(a.state == b.state)
    }

    @Test func libmValuesAtKnownPoints() {
        #expect(Libm.log(1) == 0)
        #expect(Libm.exp(0) == 1)
        #expect(Libm.cos(0) == 1)
        #expect(Libm.sin(0) == 0)
        #expect(Libm.tanh(0) == 0)
        #expect(abs(Libm.log1p(1e-20) - 1e-20) < 1e-35)  // log(1 + x) itself would round to 0
        #expect(abs(Libm.log(Libm.exp(2.5)) - 2.5) < 1e-15)
    }

    @Test func processCPUClockDoesNotGoBackwards() {
        let t0 = ProcessClock.processCPUNanoseconds()
        var x = 0.0
        for i in 0..<100_000 { x += Double(i).squareRoot() }
        let t1 = ProcessClock.processCPUNanoseconds()
        #expect(t1 >= t0)
        #expect(x > 0)
        let timed = measureCPUMilliseconds { 42 }
        #expect(timed.result == 42 && timed.milliseconds >= 0)
    }
}

@Suite struct SmallStatisticsTests {
    @Test func maxAbsDifferenceIsTheLargestGap() {
        #expect(maxAbsDifference([1, 2, 3], [1.5, 2, 0]) == 3)
        #expect(maxAbsDifference([], []) == 0)
        #expect(maxAbsDifference([-1], [1]) == 2)
    }

    @Test func movingAveragesByHand() {
        let v = [0.0, 3, 6, 9]
        // Trailing, window 2: (0), (0+3)/2, (3+6)/2, (6+9)/2.
        #expect(movingAverage(v, window: 2, .trailing) == [0, 1.5, 4.5, 7.5])
        // Centred, window 3: (0+3)/2, (0+3+6)/3, (3+6+9)/3, (6+9)/2.
        #expect(movingAverage(v, window: 3, .centred) == [1.5, 3, 6, 7.5])
        #expect(movingAverage(v, window: 1, .centred) == v)
        #expect(movingAverage([], window: 5, .trailing).isEmpty)
    }
}
