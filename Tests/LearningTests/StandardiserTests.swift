import Testing
@testable import Learning

@Suite struct StandardiserTests {
    @Test func fittedRowsGetZeroMeanAndUnitDeviation() {
        let rows: [[Double]] = [[1, 10, 5], [2, 20, 5], [3, 60, 5], [6, 30, 5]]
        let s = Standardiser(fitting: rows)
        #expect(s.means == [3, 30, 5])
        // Population σ: √(((−2)² + (−1)² + 0² + 3²)/4) = √3.5; √((400 + 100 + 900 + 0)/4) = √350.
        #expect(abs(s.deviations[0] - 3.5.squareRoot()) < 1e-12)
        #expect(abs(s.deviations[1] - 350.0.squareRoot()) < 1e-12)
        #expect(s.deviations[2] == 1)  // constant feature: centred only
        let z = s.transform(rows)
        for j in 0..<3 {
            let column = z.map { $0[j] }
            let mean = column.reduce(0, +) / 4
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4
            #expect(abs(mean) < 1e-12)
            #expect(abs(variance - (j == 2 ? 0 : 1)) < 1e-12)
        }
    }

    @Test func otherRowsUseTheFittedStatistics() {
        let s = Standardiser(fitting: [[0, 4], [2, 4]])  // μ = [1, 4], σ = [1, 1 (constant)]
        #expect(s.transform([3, 7]) == [2, 3])
        #expect(s.transform([[1, 4], [-1, 0]]) == [[0, 0], [-2, -4]])
    }
}
