import Testing
import Walkthrough

@Suite struct ToleranceTests {
    @Test func absoluteAndRelativeParts() {
        #expect(isClose(1, 1 + 1e-13))
        #expect(!isClose(1, 1 + 1e-11))
        #expect(isClose(1, 1.05, absolute: 0.1))
        #expect(!isClose(1, 1.2, absolute: 0.1))
        // |1000 − 1001| = 1 ≤ 0 + 0.001 · 1001.
        #expect(isClose(1000, 1001, absolute: 0, relative: 1e-3))
        #expect(!isClose(1000, 1002, absolute: 0, relative: 1e-3))
        #expect(!isClose(.nan, .nan))
    }

    @Test func vectorsNeedTheSameLength() {
        #expect(isClose([1, 2], [1, 2 + 1e-13]))
        #expect(!isClose([1, 2], [1, 2.1]))
        #expect(!isClose([1, 2], [1]))
    }
}
