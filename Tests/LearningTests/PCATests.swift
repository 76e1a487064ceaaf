import Rambo
import Support
import Testing

@testable import Learning

/// Principal components against data whose answer is known, and against an exact eigendecomposition.
@Suite struct PCATests {
    /// Gaussian data with standard deviations 3, 2, 1, 0.5, 0.25 along a rotated orthonormal basis, offset by μ.
    func rotatedGaussian(n: Int, seed: UInt64) -> (x: Matrix, axes: [[Double]], sds: [Double], mean: [Double]) {
        var rng = SplitMix64(seed: seed)
        let sds = [3.0, 2.0, 1.0, 0.5, 0.25]
        let mean = [1.0, -2.0, 0.5, 3.0, 0.0]
        // A random orthonormal basis (Gram–Schmidt of Gaussian vectors).
        var axes = [[Double]]()
        while axes.count < 5 {
            var v = (0..<5).map { _ in rng.nextGaussian() }
            for a in axes {
                let dot = zip(v, a).reduce(0) { $0 + $1.0 * $1.1 }
                v = zip(v, a).map { $0 - dot * $1 }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            axes.append(v.map { $0 / norm })
        }
        let rows = (0..<n).map { _ -> [Double] in
            let z = sds.map { $0 * rng.nextGaussian() }
            return (0..<5).map { j in mean[j] + (0..<5).reduce(0.0) { $0 + z[$1] * axes[$1][j] } }
        }
        return (Matrix(rows), axes, sds, mean)
    }

    @Test func recoversKnownAxesAndVariances() {
        let (x, axes, sds, mean) = rotatedGaussian(n: 20_000, seed: 4)
        let pca = PrincipalComponents(fitting: x, count: 3, oversampling: 0)
        #expect(pca.components.count == 3 && pca.variances.count == 3)
        for k in 0..<3 {
            let cosine = abs(zip(pca.components[k], axes[k]).reduce(0) { $0 + $1.0 * $1.1 })
            #expect(cosine > 0.999, "component \(k): |cos| = \(cosine)")
            #expect(abs(pca.variances[k] / (sds[k] * sds[k]) - 1) < 0.05, "variance \(k): \(pca.variances[k])")
        }
        for j in 0..<5 { #expect(abs(Double(pca.mean[j]) - mean[j]) < 0.05) }
        let expectedTotal = sds.reduce(0) { $0 + $1 * $1 }
        #expect(abs(pca.totalVariance / expectedTotal - 1) < 0.05)
        let ratio = pca.explainedVarianceRatio
        #expect(ratio[0] > ratio[1] && ratio[1] > ratio[2] && ratio.reduce(0, +) < 1)
    }

    @Test func matchesTheExactEigendecompositionOfTheCovariance() {
        var rng = SplitMix64(seed: 11)
        // 300 points in 12-D with a decaying spectrum.
        let x = Matrix((0..<300).map { _ in (0..<12).map { j in rng.nextGaussian() * (1.0 + 0.3 * Double(j % 5)) } })
        let n = Double(x.rows)
        let mean = (0..<12).map { j in (0..<x.rows).reduce(0.0) { $0 + Double(x[$1, j]) } / n }
        let covariance = (0..<12).map { p in
            (0..<12).map { q in
                (0..<x.rows).reduce(0.0) { $0 + (Double(x[$1, p]) - mean[p]) * (Double(x[$1, q]) - mean[q]) } / (n - 1)
            }
        }
        let (values, vectors) = symmetricEigen(covariance)
        let order = values.indices.sorted { values[$0] > values[$1] }
        // b = 12 = d: the subspace is the whole space and Rayleigh–Ritz is exact.
        let pca = PrincipalComponents(fitting: x, count: 4, iterations: 2, oversampling: 8)
        for k in 0..<4 {
            #expect(abs(pca.variances[k] - values[order[k]]) < 1e-4 * values[order[0]])
            let exact = (0..<12).map { vectors[$0][order[k]] }
            let cosine = abs(zip(pca.components[k], exact).reduce(0) { $0 + $1.0 * $1.1 })
            #expect(cosine > 1 - 1e-4, "component \(k): |cos| = \(cosine)")
        }
        let trace = (0..<12).reduce(0.0) { $0 + covariance[$1][$1] }
        #expect(abs(pca.totalVariance - trace) < 1e-6 * trace)
    }

    @Test func jacobiDiagonalisesASymmetricMatrix() {
        let a: [[Double]] = [[4, 1, -2, 0.5], [1, 3, 0, 1], [-2, 0, 5, -1], [0.5, 1, -1, 2]]
        let (values, vectors) = symmetricEigen(a)
        for k in 0..<4 {  // A·v = λ·v
            for i in 0..<4 {
                let av = (0..<4).reduce(0.0) { $0 + a[i][$1] * vectors[$1][k] }
                #expect(abs(av - values[k] * vectors[i][k]) < 1e-10)
            }
        }
        #expect(abs(values.reduce(0, +) - 14) < 1e-10)  // trace
    }

    @Test func projectionsAreCentredUncorrelatedAndHaveTheComponentVariances() {
        let (x, _, _, _) = rotatedGaussian(n: 5000, seed: 7)
        let pca = PrincipalComponents(fitting: x, count: 2)
        let y = pca.project(x)
        #expect(y.rows == 5000 && y.cols == 2)
        let n = Double(y.rows)
        let m0 = (0..<y.rows).reduce(0.0) { $0 + Double(y[$1, 0]) } / n
        let m1 = (0..<y.rows).reduce(0.0) { $0 + Double(y[$1, 1]) } / n
        #expect(abs(m0) < 1e-3 && abs(m1) < 1e-3)
        let v0 = (0..<y.rows).reduce(0.0) { $0 + Double(y[$1, 0] * y[$1, 0]) } / (n - 1)
        let c01 = (0..<y.rows).reduce(0.0) { $0 + Double(y[$1, 0] * y[$1, 1]) } / (n - 1)
        #expect(abs(v0 / pca.variances[0] - 1) < 1e-3)
        #expect(abs(c01) < 1e-3 * pca.variances[0])
        let dot = zip(pca.components[0], pca.components[1]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(dot) < 1e-6)
    }

    @Test func rankDeficientAndConstantDataStillGiveOrthonormalComponents() {
        // All points on a line in 6-D: one component has all the variance, the rest have none.
        let x = Matrix((0..<50).map { i in (0..<6).map { j in Double(i) * (j == 2 ? 2.0 : 1.0) } })
        let pca = PrincipalComponents(fitting: x, count: 3)
        #expect(abs(pca.explainedVarianceRatio[0] - 1) < 1e-6)
        #expect(pca.variances[1] < 1e-6 * pca.variances[0])
        let constant = PrincipalComponents(fitting: Matrix(rows: 10, cols: 4, repeating: 2), count: 2)
        #expect(constant.totalVariance == 0 && constant.variances.allSatisfy { $0 == 0 })
        #expect(constant.explainedVarianceRatio == [0, 0])
        for p in pca.components.indices {
            for q in pca.components.indices {
                let dot = zip(pca.components[p], pca.components[q]).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(abs(dot - (p == q ? 1 : 0)) < 1e-6)
            }
        }
    }

    @Test func fitsAreDeterministicForASeed() {
        let (x, _, _, _) = rotatedGaussian(n: 500, seed: 2)
        let a = PrincipalComponents(fitting: x, count: 2, seed: 3)
        let b = PrincipalComponents(fitting: x, count: 2, seed: 3)
        #expect(a.components == b.components && a.variances == b.variances)
    }
}
