import Learning
import Rambo
import Support
import Testing

func expectEntries(
    _ m: Matrix, _ expected: [Float], tolerance: Float = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(m.storage.count == expected.count, sourceLocation: sourceLocation)
    let error = zip(m.storage, expected).map { abs($0 - $1) }.max() ?? 0
    #expect(error <= tolerance, "\(m.storage) vs \(expected)", sourceLocation: sourceLocation)
}

/// A random "similarity" matrix with entries in (−0.9, 0.9), away from the d = 0 singularity at s = 1.
func randomSimilarities(_ n: Int, seed: UInt64) -> Matrix {
    var rng = Support.SplitMix64(seed: seed)
    return .randomUniform(rows: n, cols: n, in: -0.9..<0.9, using: &rng)
}

@Suite struct TripletLoss {
    // Labels [0, 0, 1, 1]; each anchor has one positive and two negatives.
    static let s = Matrix(
        [[1, 0.8, 0.6, 0.1], [0.8, 1, 0.2, 0.9], [0.6, 0.2, 1, 0.5], [0.1, 0.9, 0.5, 1]] as [[Double]])
    static let labels = [0, 0, 1, 1]

    @Test func handComputedSquaredDistances() {
        // d = 2 − 2s. Anchor 0: d(0,1) = 0.4, hardest negative 2 (s 0.6, d 0.8): 0.5 + 0.4 − 0.8 = 0.1.
        // Anchor 1: 0.5 + 0.4 − 0.2 = 0.7. Anchor 2: 0.5 + 1.0 − 0.8 = 0.7. Anchor 3: 0.5 + 1.0 − 0.2 = 1.3.
        let (loss, gradient) = batchHardTripletLoss(
            similarities: Self.s, labels: Self.labels, margin: 0.5,
            distance: .squaredEuclidean)
        #expect(abs(loss - 0.7) < 1e-6)
        // ∂ℓ/∂s_ip = −2, ∂ℓ/∂s_in = +2, each / 4 anchors.
        expectEntries(gradient, [0, -0.5, 0.5, 0, -0.5, 0, 0, 0.5, 0.5, 0, 0, -0.5, 0, 0.5, -0.5, 0])
    }

    @Test func inactiveAnchorsGiveNoGradient() {
        // Margin 0.05: anchor 0 is satisfied (0.05 + 0.4 − 0.8 < 0) but still counts in the mean.
        let (loss, gradient) = batchHardTripletLoss(
            similarities: Self.s, labels: Self.labels, margin: 0.05,
            distance: .squaredEuclidean)
        #expect(abs(loss - (0.25 + 0.25 + 0.85) / 4) < 1e-6)
        #expect(gradient.row(0) == [0, 0, 0, 0])
    }

    @Test func handComputedEuclidean() {
        // d = √(2 − 2s), margin 0.1: anchor 0 is satisfied (0.1 + √0.4 − √0.8 < 0); anchors 1–3 are active.
        let (loss, gradient) = batchHardTripletLoss(similarities: Self.s, labels: Self.labels, margin: 0.1)
        let anchor1 = 0.1 + 0.4.squareRoot() - 0.2.squareRoot()
        let anchor2 = 0.1 + 1.0 - 0.8.squareRoot()
        let anchor3 = 0.1 + 1.0 - 0.2.squareRoot()
        #expect(abs(loss - (anchor1 + anchor2 + anchor3) / 4) < 1e-6)
        #expect(abs(Double(gradient[3, 2]) - (-1 / 1.0) / 4) < 1e-6)
        #expect(abs(Double(gradient[3, 1]) - (1 / 0.2.squareRoot()) / 4) < 1e-6)
    }

    @Test func noTripletsNoLoss() {
        let (loss, gradient) = batchHardTripletLoss(similarities: Self.s, labels: [0, 1, 2, 3], margin: 0.5)
        #expect(loss == 0 && gradient.maxAbs() == 0)
    }

    @Test(arguments: [TripletDistance.euclidean, .squaredEuclidean])
    func gradientMatchesFiniteDifferences(distance: TripletDistance) {
        let s = randomSimilarities(8, seed: 1)
        let labels = [0, 0, 0, 1, 1, 2, 2, 2]
        let (_, gradient) = batchHardTripletLoss(similarities: s, labels: labels, margin: 0.5, distance: distance)
        let numeric = numericalGradient(at: s, step: 1e-3) {
            batchHardTripletLoss(similarities: $0, labels: labels, margin: 0.5, distance: distance).loss
        }
        expectGradient(gradient, matches: numeric, tolerance: 1e-3)
    }
}

@Suite struct ContrastiveLoss {
    @Test func handComputed() {
        let s = Matrix([[1, 0.7, 0.6], [0.9, 1, 0.2], [0.4, 0.8, 1]] as [[Double]])
        // Positives (0,1), (1,0): ((1 − 0.7) + (1 − 0.9)) / 2 = 0.2.
        // Negatives (0,2) 0.6, (1,2) 0.2, (2,0) 0.4, (2,1) 0.8 above margin 0.5: (0.1 + 0.3) / 4 = 0.1.
        let (loss, gradient) = contrastiveLoss(similarities: s, labels: [0, 0, 1], negativeMargin: 0.5)
        #expect(abs(loss - 0.3) < 1e-6)
        expectEntries(gradient, [0, -0.5, 0.25, -0.5, 0, 0, 0, 0.25, 0])
    }

    @Test func gradientMatchesFiniteDifferences() {
        let s = randomSimilarities(7, seed: 2)
        let labels = [0, 1, 0, 1, 2, 2, 0]
        let (_, gradient) = contrastiveLoss(similarities: s, labels: labels, negativeMargin: 0.2)
        let numeric = numericalGradient(at: s, step: 1e-3) {
            contrastiveLoss(similarities: $0, labels: labels, negativeMargin: 0.2).loss
        }
        expectGradient(gradient, matches: numeric, tolerance: 1e-3)
    }
}

@Suite struct BinaryCrossEntropy {
    @Test func handComputed() {
        let logits = Matrix([[0, 2], [-3, 100]] as [[Double]])
        let targets = Matrix([[1, 0], [0, 1]] as [[Double]])
        let (loss, gradient) = binaryCrossEntropyWithLogits(logits: logits, targets: targets)
        // log 2, log(1 + e²), log(1 + e⁻³), log(1 + e⁻¹⁰⁰) ≈ 0.
        let expected = (0.6931471805599453 + 2.1269280110429727 + 0.04858735157374206 + 0) / 4
        #expect(abs(loss - expected) < 1e-12)
        // (σ(z) − t) / 4.
        expectEntries(gradient, [-0.125, 0.8807970779778823 / 4, 0.04742587317756678 / 4, 0])
    }

    @Test func extremeLogitsStayFinite() {
        let (loss, gradient) = binaryCrossEntropyWithLogits(
            logits: Matrix([[-100, 100]] as [[Double]]),
            targets: Matrix([[1, 0]] as [[Double]]))
        #expect(abs(loss - 100) < 1e-9)
        expectEntries(gradient, [-0.5, 0.5])
    }

    @Test func gradientMatchesFiniteDifferences() {
        let logits = randomMatrix(4, 5, seed: 3, std: 2)
        var rng = Support.SplitMix64(seed: 4)
        let targets = Matrix(rows: 4, cols: 5, storage: (0..<20).map { _ in rng.nextUnit() < 0.3 ? 1 : 0 })
        let (_, gradient) = binaryCrossEntropyWithLogits(logits: logits, targets: targets)
        let numeric = numericalGradient(at: logits, step: 1e-2) {
            binaryCrossEntropyWithLogits(logits: $0, targets: targets).loss
        }
        expectGradient(gradient, matches: numeric, tolerance: 1e-4)
    }
}
