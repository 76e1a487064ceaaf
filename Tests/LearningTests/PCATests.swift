import Testing
import Rambo
@testable import Learning

@Suite struct PCATests {
    /// Points spread 3 along u, 1 along v (orthonormal, not axis-aligned) and 0.05 elsewhere, around an offset.
    @Test func recoversKnownAxesAndVariances() {
        var rng = SplitMix64(seed: 4)
        let d = 5
        let u = [1.0, 2, 0, -1, 1].map { $0 / 7.0.squareRoot() }
        var v = [0.0, 1, 1, 2, 0]
        let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
        v = zip(v, u).map { $0 - dot * $1 }
        let vNorm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = v.map { $0 / vNorm }
        let offset = [5.0, -2, 1, 0, 3]
        let rows = (0..<4000).map { _ -> [Double] in
            let a = 3 * rng.nextGaussian(), b = rng.nextGaussian()
            return (0..<d).map { offset[$0] + a * u[$0] + b * v[$0] + 0.05 * rng.nextGaussian() }
        }
        let x = Matrix(rows)
        let pca = PrincipalComponents.fit(x, count: 2)
        let along = [u, v].enumerated().map { k, axis in abs(zip(pca.components[k], axis).reduce(0) { $0 + $1.0 * $1.1 }) }
        #expect(along[0] > 0.999 && along[1] > 0.999, "|cos| with the true axes: \(along)")
        #expect(abs(pca.variances[0] - 9) < 0.6 && abs(pca.variances[1] - 1) < 0.1, "variances \(pca.variances)")
        #expect(zip(pca.mean, offset).allSatisfy { abs($0 - $1) < 0.2 })
        // Components are unit, orthogonal, and signed with their largest entry positive.
        let c = pca.components
        #expect(abs(zip(c[0], c[1]).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-9)
        for comp in c {
            #expect(abs(comp.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9)
            #expect(comp.max { abs($0) < abs($1) }! > 0)
        }
        // The projection of the data is centred, with the fitted variances.
        let p = pca.project(x)
        let mean0 = p.reduce(0) { $0 + $1[0] } / Double(p.count)
        let var0 = p.reduce(0) { $0 + ($1[0] - mean0) * ($1[0] - mean0) } / Double(p.count - 1)
        #expect(abs(mean0) < 1e-4)
        #expect(abs(var0 - pca.variances[0]) < 1e-2 * pca.variances[0])
    }
}
