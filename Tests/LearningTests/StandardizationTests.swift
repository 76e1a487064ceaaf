import Testing

@testable import Learning

/// Standardisation: fitted statistics, both scale kinds, constant features, and reuse on other data.
@Suite struct StandardizationTests {
    let data = Matrix([[1, 10, 5], [3, 14, 5], [5, 18, 5], [7, 22, 5]] as [[Float]])

    @Test func perFeatureGivesZeroMeanAndUnitVariance() {
        let s = Standardizer(fitting: data)
        #expect(s.mean == [4, 16, 5])
        // Population sds: √5 and 2√5; the constant third column keeps σ = 1.
        #expect(abs(s.scale[0] - 5.0.squareRoot().float) < 1e-6 && abs(s.scale[1] - 2 * 5.0.squareRoot().float) < 1e-5)
        #expect(s.scale[2] == 1)
        let z = s.apply(data)
        for j in 0..<2 {
            let column = (0..<4).map { Double(z[$0, j]) }
            #expect(abs(column.reduce(0, +)) < 1e-6)
            #expect(abs(column.reduce(0) { $0 + $1 * $1 } / 4 - 1) < 1e-6)
        }
        #expect((0..<4).allSatisfy { z[$0, 2] == 0 })
    }

    @Test func sharedScaleIsOneNumberForAllFeatures() {
        let s = Standardizer(fitting: data, scale: .shared)
        // Squared deviations: column 0 sums to 20, column 1 to 80, column 2 to 0 → σ = √(100 / 12).
        let expected = (100.0 / 12).squareRoot().float
        #expect(s.scale.allSatisfy { abs($0 - expected) < 1e-6 })
        let z = s.apply(data)
        let meanSquare = z.storage.reduce(0.0) { $0 + Double($1 * $1) } / Double(z.storage.count)
        #expect(abs(meanSquare - 1) < 1e-6)
    }

    @Test func appliesTrainingStatisticsToOtherData() {
        let s = Standardizer(fitting: data)
        let other = s.apply(Matrix([[4, 16, 6]] as [[Float]]))
        #expect(other.storage == [0, 0, 1])
    }
}

extension Double {
    fileprivate var float: Float { Float(self) }
}
