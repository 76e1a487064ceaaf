import Learning
import Rambo
import Testing

@Suite struct LayerGradients {
    @Test func linearForwardIsXWPlusB() {
        let layer = Linear(inputs: 2, outputs: 2, seed: 1)
        layer.weight = Matrix([[1.0, 2.0], [3.0, 4.0]])
        layer.bias = [0.5, -1]
        #expect(layer.forward(Matrix([[1.0, 1.0], [2.0, 0.0]])).storage == [4.5, 5, 2.5, 3])
    }

    @Test func linearBackwardMatchesFiniteDifferences() {
        let x = randomMatrix(5, 7, seed: 1)
        let g = randomMatrix(5, 3, seed: 2)
        let layer = Linear(inputs: 7, outputs: 3, seed: 3)
        layer.bias = [0.1, -0.2, 0.3]
        _ = layer.forward(x)
        let dx = layer.backward(g)
        // The layer is affine, so central differences are exact up to rounding; h can be large.
        expectGradient(
            dx, matches: numericalGradient(at: x, step: 0.1) { projection(layer.forward($0), g) }, tolerance: 1e-4)
        let w = layer.weight
        let numericW = numericalGradient(at: w, step: 0.1) { wp in
            layer.weight = wp
            return projection(layer.forward(x), g)
        }
        layer.weight = w
        expectGradient(layer.weightGradient, matches: numericW, tolerance: 1e-4)
        // db = column sums of g.
        #expect(zip(layer.biasGradient, g.columnSums()).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func linearGradientsAccumulateUntilZeroed() {
        let x = randomMatrix(4, 3, seed: 1)
        let g = randomMatrix(4, 2, seed: 2)
        let layer = Linear(inputs: 3, outputs: 2, seed: 3)
        _ = layer.forward(x)
        _ = layer.backward(g)
        let once = layer.weightGradient
        _ = layer.backward(g)
        #expect((layer.weightGradient - 2 * once).maxAbs() < 1e-6)
        layer.zeroGradients()
        #expect(layer.weightGradient.maxAbs() == 0 && layer.biasGradient.allSatisfy { $0 == 0 })
    }

    @Test func initialisationScales() {
        let he = Linear(inputs: 400, outputs: 100, initialisation: .he, seed: 1).weight
        let glorot = Linear(inputs: 400, outputs: 100, initialisation: .glorot, seed: 1).weight
        func variance(_ m: Matrix) -> Double {
            m.storage.reduce(0.0) { $0 + Double($1 * $1) } / Double(m.storage.count)
        }
        #expect(abs(variance(he) / (2.0 / 400) - 1) < 0.05)
        #expect(abs(variance(glorot) / (2.0 / 500) - 1) < 0.05)
    }

    @Test func reluForwardAndBackward() {
        let relu = ReLU()
        let x = Matrix([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.25]])
        #expect(relu.forward(x).storage == [0, 0, 2, 3, 0, 0.25])
        let dx = relu.backward(Matrix([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]))
        #expect(dx.storage == [0, 0, 1, 2, 0, 2])
    }

    @Test func mlpShapesAndSeed() {
        let mlp = MLP(sizes: [784, 256, 64], seed: 7)
        #expect(mlp.sizes == [784, 256, 64])
        #expect(mlp.parameterCount == 784 * 256 + 256 + 256 * 64 + 64)
        #expect(mlp.forward(randomMatrix(3, 784, seed: 1)).rows == 3)
        #expect(MLP(sizes: [5, 4, 2], seed: 7).layers[1].weight == MLP(sizes: [5, 4, 2], seed: 7).layers[1].weight)
        var slots = [Int]()
        mlp.updateParameters { slot, _, _ in slots.append(slot) }
        #expect(slots == [0, 1, 2, 3])
    }

    @Test func mlpBackwardMatchesFiniteDifferences() {
        let mlp = MLP(sizes: [6, 8, 5, 3], seed: 11)
        for layer in mlp.layers { layer.bias = layer.bias.indices.map { Float($0 % 3) * 0.1 - 0.1 } }
        let x = randomMatrix(4, 6, seed: 4)
        let g = randomMatrix(4, 3, seed: 2)
        // The network is piecewise linear: finite differences are only valid if no hidden pre-activation is
        // within reach of a ReLU kink. Check that this seed keeps every one at least 0.02 away from 0
        // (a step of h moves a pre-activation by at most ~h · max|w| ≪ 0.02).
        var h0 = x
        for layer in mlp.layers.prefix(2) {
            let z = layer.forward(h0)
            #expect(z.storage.map(abs).min()! > 0.02, "pick another seed: a pre-activation sits on a kink")
            h0 = z.map { max(0, $0) }
        }
        mlp.zeroGradients()
        _ = mlp.forward(x)
        let dx = mlp.backward(g)
        let h: Float = 1e-3
        expectGradient(
            dx, matches: numericalGradient(at: x, step: h) { projection(mlp.forward($0), g) }, tolerance: 2e-3)
        for layer in mlp.layers {
            let w = layer.weight
            let numeric = numericalGradient(at: w, step: h) { wp in
                layer.weight = wp
                return projection(mlp.forward(x), g)
            }
            layer.weight = w
            expectGradient(layer.weightGradient, matches: numeric, tolerance: 2e-3)
            let b = Matrix(rows: 1, cols: layer.bias.count, storage: layer.bias)
            let numericB = numericalGradient(at: b, step: h) { bp in
                layer.bias = bp.storage
                return projection(mlp.forward(x), g)
            }
            layer.bias = b.storage
            expectGradient(
                Matrix(rows: 1, cols: layer.biasGradient.count, storage: layer.biasGradient),
                matches: numericB, tolerance: 2e-3)
        }
    }
}

@Suite struct SimilarityGradients {
    @Test func l2NormalizeGivesUnitRows() {
        let y = L2Normalize().forward(Matrix([[3.0, 4.0], [0.0, -2.0], [0.0, 0.0]]))
        #expect(y.storage == [0.6, 0.8, 0, -1, 0, 0])
    }

    @Test func l2NormalizeBackwardMatchesFiniteDifferences() {
        let x = randomMatrix(6, 5, seed: 4)
        let g = randomMatrix(6, 5, seed: 5)
        let layer = L2Normalize()
        _ = layer.forward(x)
        let dx = layer.backward(g)
        let numeric = numericalGradient(at: x, step: 1e-2) { projection(L2Normalize().forward($0), g) }
        expectGradient(dx, matches: numeric, tolerance: 2e-3)
        // The gradient is orthogonal to each row: scaling a row does not change its direction.
        for i in 0..<x.rows {
            let radial = (0..<x.cols).reduce(0.0) { $0 + Double(dx[i, $1] * x[i, $1]) }
            #expect(abs(radial) < 1e-5)
        }
    }

    @Test func similarityMatrixOfUnitRowsIsCosine() {
        let e = L2Normalize().forward(Matrix([[1.0, 0.0], [1.0, 1.0], [0.0, -3.0]]))
        let s = similarityMatrix(e)
        let expected: [Float] = [1, 0.70710677, 0, 0.70710677, 1, -0.70710677, 0, -0.70710677, 1]
        #expect(zip(s.storage, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func similarityBackwardMatchesFiniteDifferences() {
        let e = randomMatrix(5, 4, seed: 6)
        let g = randomMatrix(5, 5, seed: 7)  // G deliberately not symmetric
        let de = similarityMatrixBackward(g, embeddings: e)
        let numeric = numericalGradient(at: e, step: 1e-2) { projection(similarityMatrix($0), g) }
        expectGradient(de, matches: numeric, tolerance: 1e-3)
    }

    @Test func normaliseThenSimilarityChain() {
        let x = randomMatrix(5, 4, seed: 8)
        let g = randomMatrix(5, 5, seed: 9)
        let normalise = L2Normalize()
        let e = normalise.forward(x)
        let dx = normalise.backward(similarityMatrixBackward(g, embeddings: e))
        let numeric = numericalGradient(at: x, step: 1e-2) {
            projection(similarityMatrix(L2Normalize().forward($0)), g)
        }
        expectGradient(dx, matches: numeric, tolerance: 2e-3)
    }
}

/// `MLP.accumulateGradients` (training: no input gradient) gives the parameter gradients of `backward`.
@Suite struct AccumulateGradients {
    @Test func sameParameterGradientsAsBackward() {
        let a = MLP(sizes: [7, 5, 4, 3], seed: 11)
        let b = MLP(sizes: [7, 5, 4, 3], seed: 11)
        let x = randomMatrix(6, 7, seed: 12)
        let dy = randomMatrix(6, 3, seed: 13)
        _ = a.forward(x)
        _ = b.forward(x)
        let dx = a.backward(dy)
        b.accumulateGradients(dy)
        #expect(dx.storage.contains { $0 != 0 })
        for (la, lb) in zip(a.layers, b.layers) {
            #expect(la.weightGradient == lb.weightGradient && la.biasGradient == lb.biasGradient)
            #expect(la.weightGradient.storage.contains { $0 != 0 })
        }
    }
}
