import Rambo
import Testing

@Suite("Margin")
struct MarginTests {
    @Test func deterministicMargin() {
        // Positives −α/2, negatives +α/2 (Eq. 14).
        #expect(marginShifted([1, 1], relevance: [true, false], alpha: 0.5) == [0.75, 1.25])
    }
}
