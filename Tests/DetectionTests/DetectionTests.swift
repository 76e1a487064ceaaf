import Datasets
import Detection
import Foundation
import Learning
import Rambo
import Support
import Testing

func box(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Box { Box(xMin: x0, yMin: y0, xMax: x1, yMax: y1) }

@Suite struct IoU {
    @Test func handWorkedOverlaps() {
        // [0,2]² and [1,3]²: intersection 1, union 4 + 4 − 1 = 7.
        #expect(abs(intersectionOverUnion(box(0, 0, 2, 2), box(1, 1, 3, 3)) - 1.0 / 7) < 1e-15)
        // A 2×2 box inside a 4×4 box: 4/16.
        #expect(intersectionOverUnion(box(0, 0, 4, 4), box(1, 1, 3, 3)) == 0.25)
        #expect(intersectionOverUnion(box(0, 0, 4, 4), box(0, 0, 4, 4)) == 1)
        // Touching edges and disjoint boxes do not overlap.
        #expect(intersectionOverUnion(box(0, 0, 2, 2), box(2, 0, 4, 2)) == 0)
        #expect(intersectionOverUnion(box(0, 0, 2, 2), box(5, 5, 6, 6)) == 0)
        // Symmetric.
        #expect(
            intersectionOverUnion(box(1, 1, 3, 3), box(0, 0, 2, 2))
                == intersectionOverUnion(box(0, 0, 2, 2), box(1, 1, 3, 3)))
    }

    @Test func boxCodingRoundTripsAndIsZeroOnTheAnchor() {
        let anchor = box(10, 10, 26, 42)
        let target = box(12, 8, 30, 40)
        let t = BoxCoding.encode(target, anchor: anchor)
        // centre (21, 24) vs (18, 26), size 18×32 vs 16×32.
        #expect(abs(t[0] - 3.0 / 16) < 1e-15 && abs(t[1] + 2.0 / 32) < 1e-15)
        #expect(abs(t[2] - log(18.0 / 16)) < 1e-15 && t[3] == 0)
        let back = BoxCoding.decode(t, anchor: anchor)
        #expect(
            abs(back.xMin - 12) < 1e-12 && abs(back.yMin - 8) < 1e-12 && abs(back.xMax - 30) < 1e-12
                && abs(back.yMax - 40) < 1e-12)
        #expect(BoxCoding.decode([0, 0, 0, 0], anchor: anchor) == anchor)
    }
}

@Suite struct GroundTruthChecks {
    @Test func badScenesGetClearErrors() {
        #expect(throws: DetectionError("scene: empty scene, no ground-truth box")) {
            try validateGroundTruth([], width: 64, height: 64)
        }
        #expect(throws: DetectionError("scene: box 1 [3, 3, 3, 9] has zero area (width 0.0, height 6.0)")) {
            try validateGroundTruth([box(0, 0, 5, 5), box(3, 3, 3, 9)], width: 64, height: 64)
        }
        #expect(throws: DetectionError("scene: box 0 [60, 10, 70, 20] lies outside the 64×64 image")) {
            try validateGroundTruth([box(60, 10, 70, 20)], width: 64, height: 64)
        }
        #expect(throws: DetectionError.self) { try validateGroundTruth([box(-1, 0, 5, 5)], width: 64, height: 64) }
        #expect(throws: Never.self) { try validateGroundTruth([box(0, 0, 64, 64)], width: 64, height: 64) }
    }

    @Test func sceneTargetsRefuseAnEmptySceneAndABadLabel() {
        let anchors = AnchorGrid(rows: 2, columns: 2, stride: 8, sizes: [8]).anchors
        #expect(throws: DetectionError.self) {
            try SceneTargets(anchors: anchors, objects: [], classCount: 3, imageSize: 16)
        }
        #expect(throws: DetectionError("scene: object 0 has label 3 outside 0..<3")) {
            try SceneTargets(
                anchors: anchors, objects: [GroundTruth(label: 3, box: box(0, 0, 8, 8))], classCount: 3,
                imageSize: 16)
        }
        let t = try! SceneTargets(
            anchors: anchors, objects: [GroundTruth(label: 2, box: box(0, 0, 8, 8))],
            classCount: 3, imageSize: 16)
        // Anchor 0 is the box itself; the others are disjoint from it (background = class 3).
        #expect(t.classes == [2, 3, 3, 3])
        #expect(t.deltas[0] == [0, 0, 0, 0] && t.deltas[1] == nil)
    }
}

@Suite struct Anchors {
    @Test func gridOrderAndShapes() {
        let grid = AnchorGrid(rows: 2, columns: 3, stride: 8, sizes: [8, 16], aspectRatios: [1, 4])
        #expect(grid.count == 2 * 3 * 4 && grid.shapesPerCell == 4)
        // Cell (0, 0) centred at (4, 4): size 8 ratio 1, size 8 ratio 4 (4 wide, 16 high), size 16 ratio 1, ...
        #expect(grid.anchors[0] == box(0, 0, 8, 8))
        #expect(grid.anchors[1] == box(2, -4, 6, 12))
        #expect(grid.anchors[2] == box(-4, -4, 12, 12))
        // Cell (1, 2) is the last: centre (20, 12).
        #expect(grid.anchors[(1 * 3 + 2) * 4] == box(16, 8, 24, 16))
    }

    @Test func thresholdsHandWorked() throws {
        // One object [0,10]²; anchors shifted right by 0, 2, 3, 4, 5 pixels: IoU 1, 80/120, 70/130, 60/140, 50/150.
        let object = box(0, 0, 10, 10)
        let anchors = [0.0, 2, 3, 4, 5].map { box($0, 0, $0 + 10, 10) }
        let t = try assignAnchors(anchors, to: [object], matchBest: false)
        #expect(t == [.positive(object: 0), .positive(object: 0), .positive(object: 0), .ignored, .negative])
        // Thresholds are inclusive for positives (≥ 0.5), exclusive for negatives (< 0.4): IoU exactly 0.5 and 0.4.
        let half = box(0, 0, 10, 5)  // IoU with the object 50/100 = 0.5
        let fortyPercent = box(0, 0, 4, 10)  // 40/100 = 0.4
        #expect(
            try assignAnchors([half, fortyPercent], to: [object], matchBest: false) == [.positive(object: 0), .ignored])
    }

    @Test func bestAnchorRuleAndTiesBetweenObjects() throws {
        // Object 1 overlaps nothing well: its best anchor (IoU 16/100) becomes positive only with matchBest.
        let objects = [box(0, 0, 10, 10), box(30, 30, 34, 34)]
        let anchors = [box(0, 0, 10, 10), box(30, 30, 40, 40), box(50, 50, 60, 60)]
        #expect(
            try assignAnchors(anchors, to: objects, matchBest: false) == [.positive(object: 0), .negative, .negative])
        #expect(try assignAnchors(anchors, to: objects) == [.positive(object: 0), .positive(object: 1), .negative])
        // Equal IoU with two objects: the lower index wins.
        let twins = [box(0, 0, 10, 10), box(0, 0, 10, 10)]
        #expect(try assignAnchors([box(0, 0, 10, 10)], to: twins, matchBest: false) == [.positive(object: 0)])
        #expect(throws: DetectionError.self) {
            try assignAnchors(anchors, to: objects, positiveIoU: 0.3, negativeIoU: 0.4)
        }
        #expect(throws: DetectionError.self) { try assignAnchors(anchors, to: []) }
    }
}

@Suite struct NMS {
    @Test func handWorkedSuppression() {
        // Order by score: 3 (0.95), 0 (0.9), 1 (0.8), 2 (0.7).
        // IoU(3, 0) = 50/150 → keep 0; IoU(1, 0) = 90/110 → drop 1; 2 is far away → keep.
        let boxes = [box(0, 0, 10, 10), box(1, 0, 11, 10), box(20, 20, 30, 30), box(5, 0, 15, 10)]
        #expect(nonMaximumSuppression(boxes: boxes, scores: [0.9, 0.8, 0.7, 0.95]) == [3, 0, 2])
        // A lower threshold also drops 0 (IoU 1/3 > 0.3).
        #expect(nonMaximumSuppression(boxes: boxes, scores: [0.9, 0.8, 0.7, 0.95], iouThreshold: 0.3) == [3, 2])
        // Equal scores: the lower index is visited first.
        #expect(nonMaximumSuppression(boxes: [box(0, 0, 2, 2), box(0, 0, 2, 2)], scores: [1, 1]) == [0])
        #expect(nonMaximumSuppression(boxes: [], scores: []) == [])
    }
}

@Suite struct VOCAveragePrecision {
    // Five detections against 4 objects, TP FP TP FP TP:
    // recall 1/4 1/4 2/4 2/4 3/4, precision 1 1/2 2/3 2/4 3/5.
    static let recall = [0.25, 0.25, 0.5, 0.5, 0.75]
    static let precision = [1, 0.5, 2.0 / 3, 0.5, 0.6]

    @Test func elevenPointOnAHandMadeCurve() {
        // t = 0, 0.1, 0.2 → 1; t = 0.3, 0.4, 0.5 → 2/3; t = 0.6, 0.7 → 0.6; t = 0.8, 0.9, 1 → 0 (recall never reaches):
        // (3·1 + 3·2/3 + 2·0.6)/11 = 6.2/11.
        let expected: Double = (3.0 + 2.0 + 1.2) / 11
        #expect(abs(vocElevenPointAP(recall: Self.recall, precision: Self.precision) - expected) < 1e-15)
        #expect(abs(expected - 6.2 / 11) < 1e-15)
    }

    @Test func allPointOnTheSameCurve() {
        // Envelope 1, 2/3, 2/3, 0.6, 0.6; recall steps of 1/4 at ranks 1, 3, 5: (1 + 2/3 + 0.6)/4.
        let expected: Double = (1.0 + 2.0 / 3 + 0.6) / 4
        #expect(abs(vocAllPointAP(recall: Self.recall, precision: Self.precision) - expected) < 1e-15)
        // A perfect ranking has AP 1 both ways; an empty curve has AP 0.
        #expect(vocAllPointAP(recall: [0.5, 1], precision: [1, 1]) == 1)
        #expect(vocElevenPointAP(recall: [0.5, 1], precision: [1, 1]) == 1)
        #expect(vocAllPointAP(recall: [], precision: []) == 0 && vocElevenPointAP(recall: [], precision: []) == 0)
    }

    @Test func matchingDuplicatesAndOtherImages() throws {
        let truth = [
            [GroundTruth(label: 0, box: box(0, 0, 10, 10)), GroundTruth(label: 1, box: box(20, 20, 30, 30))],
            [GroundTruth(label: 0, box: box(0, 0, 10, 10))],
        ]
        // Class 0: a hit in image 0, its duplicate (FP), a box where image 1 has nothing of class 0 (FP), a hit.
        let detections = [
            Detection(image: 0, label: 0, box: box(0, 0, 10, 10), score: 0.9),
            Detection(image: 0, label: 0, box: box(1, 0, 11, 10), score: 0.8),
            Detection(image: 1, label: 0, box: box(20, 20, 30, 30), score: 0.7),
            Detection(image: 1, label: 0, box: box(0, 0, 10, 10), score: 0.6),
        ]
        let result = try evaluateDetections(detections.reversed(), groundTruth: truth, classes: 3)
        #expect(result[0].objects == 2 && result[0].truePositive == [true, false, false, true])
        #expect(result[0].recall == [0.5, 0.5, 0.5, 1] && result[0].precision == [1, 0.5, 1.0 / 3, 0.5])
        // 11-point: t ≤ 0.5 → 1 (six points), t ≥ 0.6 → 0.5 (five points). All-point: 0.5·1 + 0.5·0.5.
        #expect(abs(result[0].elevenPointAP! - 8.5 / 11) < 1e-15)
        #expect(abs(result[0].allPointAP! - 0.75) < 1e-15)
        // Class 1 has an object and no detection: AP 0; class 2 has no object: AP undefined.
        #expect(result[1].elevenPointAP == 0 && result[1].allPointAP == 0)
        #expect(result[2].objects == 0 && result[2].elevenPointAP == nil)
        #expect(throws: DetectionError.self) {
            try evaluateDetections(
                [Detection(image: 2, label: 0, box: box(0, 0, 1, 1), score: 1)], groundTruth: truth, classes: 3)
        }
        #expect(throws: DetectionError.self) {
            try evaluateDetections(
                [Detection(image: 0, label: 0, box: box(0, 0, 1, 1), score: .nan)], groundTruth: truth, classes: 3)
        }
    }
}

@Suite struct Convolution {
    @Test func forwardMatchesTheDirectSumAndBackwardIsItsAdjoint() {
        var rng = SplitMix64(seed: 7)
        let conv = Conv2D(inputChannels: 2, outputChannels: 3, kernel: 3, stride: 2, padding: 1, using: &rng)
        conv.bias = [0.1, -0.2, 0.3]
        let shape = FeatureShape(batch: 2, height: 5, width: 4, channels: 2)
        let x = Matrix.randomNormal(rows: shape.positions, cols: 2, using: &rng)
        let y = conv.forward(x, shape: shape)
        let out = conv.outputShape(shape)
        #expect(out.height == 3 && out.width == 2)
        var worst = 0.0
        for b in 0..<2 {
            for i in 0..<3 {
                for j in 0..<2 {
                    for o in 0..<3 {
                        var sum = Double(conv.bias[o])
                        for u in 0..<3 {
                            for v in 0..<3 {
                                for c in 0..<2 {
                                    let r = i * 2 + u - 1
                                    let q = j * 2 + v - 1
                                    guard r >= 0 && r < 5 && q >= 0 && q < 4 else { continue }
                                    sum +=
                                        Double(x[(b * 5 + r) * 4 + q, c]) * Double(conv.weight[(u * 3 + v) * 2 + c, o])
                                }
                            }
                        }
                        worst = max(worst, abs(sum - Double(y[(b * 3 + i) * 2 + j, o])))
                    }
                }
            }
        }
        #expect(worst < 1e-5)
        // ⟨im2col(x), g⟩ = ⟨x, col2im(g)⟩ for any g: col2im is the adjoint the backward pass needs.
        let columns = conv.im2col(x, shape: shape)
        let g = Matrix.randomNormal(rows: columns.rows, cols: columns.cols, using: &rng)
        let lhs = zip(columns.storage, g.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let back = conv.col2im(g, shape: shape)
        let rhs = zip(x.storage, back.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(lhs - rhs) < 1e-4)
    }

    @Test func weightGradientMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 3)
        let conv = Conv2D(inputChannels: 1, outputChannels: 2, kernel: 3, stride: 1, padding: 1, using: &rng)
        let shape = FeatureShape(batch: 1, height: 4, width: 4, channels: 1)
        let x = Matrix.randomNormal(rows: 16, cols: 1, using: &rng)
        // L = Σ y², dL/dy = 2y.
        func loss() -> Double { conv.forward(x, shape: shape).storage.reduce(0.0) { $0 + Double($1) * Double($1) } }
        let y = conv.forward(x, shape: shape)
        conv.zeroGradients()
        _ = conv.backward(2 * y)
        let h: Float = 1e-2
        for k in [0, 5, 13] {
            let saved = conv.weight.storage[k]
            conv.weight.storage[k] = saved + h
            let up = loss()
            conv.weight.storage[k] = saved - h
            let down = loss()
            conv.weight.storage[k] = saved
            let numeric = (up - down) / Double(2 * h)
            #expect(abs(numeric - Double(conv.weightGradient.storage[k])) < 1e-2 * max(1, abs(numeric)))
        }
    }
}

@Suite struct SceneGeneration {
    /// Three 28×28 images, each a bright rectangle: image i covers columns 4…(11 + 4i), rows 6…21.
    static let images: LabeledImages = {
        var pixels = [Float](repeating: 0, count: 3 * 784)
        for i in 0..<3 { for y in 6...21 { for x in 4...(11 + 4 * i) { pixels[i * 784 + y * 28 + x] = 1 } } }
        return LabeledImages(width: 28, height: 28, pixels: pixels, labels: [0, 1, 2], classNames: ["a", "b", "c"])
    }()

    @Test func scenesAreSeededAndTheirBoxesAreValid() throws {
        let recipe = try SceneRecipe(size: 64, maxObjects: 4, itemSizes: 28...28, fragments: 0, noise: 0)
        let scenes = try Scenes.generate(count: 40, recipe: recipe, from: Self.images, seed: 5)
        #expect(scenes == (try Scenes.generate(count: 40, recipe: recipe, from: Self.images, seed: 5)))
        #expect(scenes[3] == Scenes.scene(index: 3, recipe: recipe, from: Self.images, seed: 5))
        #expect(scenes != (try Scenes.generate(count: 40, recipe: recipe, from: Self.images, seed: 6)))
        for scene in scenes {
            #expect((1...4).contains(scene.objects.count))
            try validateGroundTruth(
                scene.objects.map { box(Double($0.xMin), Double($0.yMin), Double($0.xMax), Double($0.yMax)) },
                width: 64, height: 64)
            // At scale 1 the tight box is the rectangle itself: 16 rows, 8 + 4·label columns.
            for o in scene.objects { #expect(o.height == 16 && o.width == 8 + 4 * o.label) }
        }
        #expect(Set(scenes.map(\.objects.count)).count == 4)
    }

    @Test func badRecipesAndSourcesGetClearErrors() {
        #expect(throws: DatasetError.self) { try SceneRecipe(maxObjects: 0) }
        #expect(throws: DatasetError.self) { try SceneRecipe(size: 64, itemSizes: 16...80) }
        #expect(throws: DatasetError.self) {
            try Scenes.generate(count: 1, recipe: SceneRecipe(), from: Self.images.prefix(0), seed: 1)
        }
    }
}

@Suite struct DetectionLosses {
    @Test func crossEntropyHandWorkedAndIgnoredRows() {
        // Row 0: logits [0, 0, ln 2] (two classes + background), target class 0: p = [1/4, 1/4, 1/2], loss ln 4.
        // Row 1 is ignored: no loss, no gradient. The mean is over the one counted row.
        let logits = Matrix([[0, 0, log(2.0)], [5, -1, 2]] as [[Double]])
        let (loss, g) = softmaxCrossEntropy(logits: logits, targets: [0, nil])
        #expect(abs(loss - log(4.0)) < 1e-6)
        expectClose(g.storage, [-0.75, 0.25, 0.5, 0, 0, 0])
    }

    @Test func smoothL1HandWorked() {
        // β = 1: d = 0.5 → 0.125 (gradient 0.5); d = −2 → 1.5 (gradient −1); averaged over the one positive.
        let deltas = Matrix([[0.5, -2, 0, 0], [9, 9, 9, 9]] as [[Double]])
        let (loss, g) = smoothL1(deltas: deltas, targets: [[0, 0, 0, 0], nil], beta: 1)
        #expect(abs(loss - 1.625) < 1e-12)
        expectClose(g.storage, [0.5, -1, 0, 0, 0, 0, 0, 0])
    }

    @Test func rankingLossSeesOnlyCountedRowsAndForegroundColumns() {
        // Three anchors, two classes + background; anchor 1 is ignored, anchor 2 is background.
        let logits = Matrix([[0.2, 0.9, 7], [3, 3, 3], [0.5, 0.1, -7]] as [[Double]])
        var loss = RankingDetectionLoss(loss: MAPLoss(lambda: 2), memorySize: 2)
        let (value, g) = loss.evaluate(logits: logits, targets: [0, nil, 2])
        // Class 0: the positive (0.2) is below the background anchor (0.5): AP 1/2. Class 1 has no positive.
        #expect(abs(value - 0.5) < 1e-12)
        #expect(loss.lastListLength == 2)
        // dL/drk of the positive = 1/rk² = 1/4; λ = 2 lifts it to 0.7, past the negative: ranks [2, 1] → [1, 2],
        // dL/dy = −([2, 1] − [1, 2])/2 = [−0.5, +0.5]. The ignored row and the background column get nothing.
        #expect(g[0, 0] == -0.5 && g[2, 0] == 0.5)
        #expect(g.row(1) == [0, 0, 0] && g[0, 2] == 0 && g[2, 2] == 0 && g[0, 1] == 0 && g[2, 1] == 0)
        // The next call ranks against the stored batch too.
        _ = loss.evaluate(logits: logits, targets: [0, nil, 2])
        #expect(loss.lastListLength == 4)
    }
}

func expectClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6, sourceLocation: SourceLocation = #_sourceLocation)
{
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    #expect(zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }, "\(a) vs \(b)", sourceLocation: sourceLocation)
}
