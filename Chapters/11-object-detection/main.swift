// Chapter 11 · Object detection with the AP loss
//
// Paper §5.2 (Tables 5 and 8) in miniature: the detection experiments replace only the classifier's cross-entropy
// of a detector by (1 − β)·L_mAP (score memory τ = 7) + β·L_APC, β = 1/3, margin α = 0.15, λ = 0.5 in the authors'
// code units, and score AP^50 on VOC07 test. Here: scenes of Fashion-MNIST items, a one-stage anchor detector with
// a small convolutional backbone, cross-entropy vs RaMBO with the same budget and initial weights over seeds, the
// VOC AP^50 after NMS, and the λ / margin ablation of Table 8.
import Datasets
import Detection
import Foundation
import Gnuplot
import Learning
import Rambo
import Support
import Walkthrough

let chapter = Chapter(
    "ch11", title: "Object detection with the AP loss",
    flags: [
        .int(
            "steps", default: 300, quick: 40, in: 4...100_000,
            help: "training steps of every run (batches of --batch scenes)"),
        .int("batch", default: 8, quick: 4, in: 1...256, help: "scenes per batch"),
        .int("seeds", default: 3, quick: 1, in: 1...20, help: "runs per method (initial weights and batch order)"),
        .int(
            "train-scenes", default: 3000, quick: 120, in: 1...60_000,
            help: "training scenes, built from Fashion-MNIST training images"),
        .int(
            "test-scenes", default: 1000, quick: 60, in: 10...10_000,
            help: "test scenes, built from Fashion-MNIST test images"),
        .double(
            "lambda-code", default: 0.5, in: 1e-6...1e6, help: "RaMBO λ in the authors' code units (normalised ranks)"),
        .double("margin", default: 0.15, in: 0...100, help: "score margin α of Eq. 14"),
        .double("beta", default: 1.0 / 3, in: 0...1, help: "weight β of the interclass term L_APC (2 : 1 is 1/3)"),
        .int("memory", default: 7, in: 0...100, help: "score memory τ: stored batches lengthening each class list"),
        .double(
            "lr", default: 5e-3, in: 1e-12...10,
            help: "Adam learning rate (divided by 10 for the last quarter of the steps)"),
        .int(
            "threads", default: 2, in: 1...64,
            help: "worker threads for independent runs (results do not depend on it)"),
        .int("width", default: 8, in: 1...64, help: "channels of the first convolution (then ×2, ×4, ×4)"),
        .bool("skip-ablation", help: "skip the λ / margin ablation (Table 8)"),
    ])
let quick = chapter.quick
let steps = chapter.int("steps")
let batch = chapter.int("batch")
let seeds = chapter.int("seeds")
let trainCount = chapter.int("train-scenes")
let testCount = chapter.int("test-scenes")
let lambdaCode = chapter.double("lambda-code")
let alpha = chapter.double("margin")
let beta = chapter.double("beta")
let tau = chapter.int("memory")
let learningRate = chapter.double("lr")
let threads = chapter.int("threads")
let width = chapter.int("width")
let channels = [width, 2 * width, 4 * width]
let ablation = !quick && !chapter.bool("skip-ablation")
chapter.require(trainCount >= batch, "--train-scenes must be at least --batch (\(batch)), got \(trainCount)")

func cell(_ v: [Double], _ digits: Int = 3) -> String {
    v.count > 1 ? "\(mean(v).fixed(digits)) ± \(standardDeviation(v).fixed(digits))" : mean(v).fixed(digits)
}
func signed(_ v: Double, _ digits: Int = 3) -> String { (v >= 0 ? "+" : "") + v.fixed(digits) }
let started = Date()

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Scenes made of real images")
let size = 64
let recipe = try! SceneRecipe(size: size, maxObjects: 4, itemSizes: 16...36, fragments: 3, noise: 0.05, maxOverlap: 0.2)
let (trainImages, testImages): (LabeledImages, LabeledImages)
do {
    trainImages = try FashionMNIST.load(.train, limit: quick ? 2000 : 20_000)
    testImages = try FashionMNIST.load(.test, limit: quick ? 2000 : nil)
} catch {
    chapter.check("Fashion-MNIST loads", false, "\(error)")
    chapter.finish()
}
let classNames = FashionMNIST.classNames
let classes = classNames.count
let trainScenes = try! Scenes.generate(count: trainCount, recipe: recipe, from: trainImages, seed: chapter.seed)
let testScenes = try! Scenes.generate(count: testCount, recipe: recipe, from: testImages, seed: chapter.seed &+ 1)
func truth(_ scene: Scene) -> [GroundTruth] {
    scene.objects.map {
        GroundTruth(
            label: $0.label,
            box: Box(
                xMin: Double($0.xMin), yMin: Double($0.yMin),
                xMax: Double($0.xMax), yMax: Double($0.yMax)))
    }
}
let testTruth = testScenes.map(truth)
let objectCounts = (1...4).map { n in testScenes.filter { $0.objects.count == n }.count }
let testObjects = testTruth.joined().map(\.label)
let perClassObjects = (0..<classes).map { c in testObjects.filter { $0 == c }.count }
let sides = testTruth.joined().map { max($0.box.width, $0.box.height) }
let (smallest, largest) = (recipe.itemSizes.lowerBound, recipe.itemSizes.upperBound)
chapter.say(
    """
    A scene is a \(size)×\(size) grey canvas: Gaussian noise (σ = 0.05), \(recipe.fragments) clutter fragments
    (6–12 pixel cut-outs of random items, half to full brightness), then 1–4 Fashion-MNIST items resized to
    \(smallest)–\(largest) pixels and pasted where they overlap earlier items by IoU ≤ \(recipe.maxOverlap).
    The ground truth of an item is its class and its tight box (every pixel ≥ \(Scenes.inkThreshold)).
    Training scenes use the first \(trainImages.count) training images, test scenes the first \(testImages.count) test
    images, so no test item was ever seen in training.
    \(trainCount) training scenes, \(testCount) test scenes holding \(testObjects.count) objects;
    scenes with 1/2/3/4 objects: \(objectCounts.listed); longest box side \(Int(sides.min()!))–\(Int(sides.max()!))
    pixels.
    """)
chapter.table(["class"] + classNames.indices.map { "\($0)" }, [["test objects"] + perClassObjects.map { "\($0)" }])
var badBoxes = 0
for (i, scene) in (trainScenes + testScenes).enumerated() {
    do { try validateGroundTruth(truth(scene).map(\.box), width: size, height: size, name: "scene \(i)") } catch {
        badBoxes += 1
    }
}
chapter.check(
    "every scene has 1–4 objects, every box inside the image with positive area",
    badBoxes == 0 && (trainScenes + testScenes).allSatisfy { (1...4).contains($0.objects.count) },
    "\(trainCount + testCount) scenes")
if !quick {
    chapter.check(
        "at least 1000 test scenes, every class present",
        testCount >= 1000 && perClassObjects.allSatisfy { $0 > 0 },
        "\(testCount) scenes, fewest objects of a class: \(perClassObjects.min()!)")
}
let again = Scenes.scene(index: 7, recipe: recipe, from: testImages, seed: chapter.seed &+ 1)
chapter.check("scenes are seeded: test scene 7 drawn again is identical", again == testScenes[7])

chapter.say("Bad ground truth gets a clear error, never a trap:")
let badCases: [(String, [Box])] = [
    ("an empty scene", []),
    ("a box outside the image", [Box(xMin: 50, yMin: 10, xMax: 70, yMax: 30)]),
    ("a zero-area box", [Box(xMin: 10, yMin: 10, xMax: 10, yMax: 30)]),
]
var clearErrors = 0
for (what, boxes) in badCases {
    do {
        try validateGroundTruth(boxes, width: size, height: size)
        chapter.say("  \(what): accepted (!)")
    } catch {
        clearErrors += 1
        chapter.say("  \(what): \(error)")
    }
}
chapter.check("an empty scene, a box outside the image and a zero-area box are each rejected", clearErrors == 3)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Anchors and their assignment")
let grid = AnchorGrid(rows: 8, columns: 8, stride: 8, sizes: [14, 22, 32], aspectRatios: [0.5, 1, 2])
let anchors = grid.anchors
let perImage = anchors.count
func targets(_ scene: Scene) -> SceneTargets {
    try! SceneTargets(anchors: anchors, objects: truth(scene), classCount: classes, imageSize: size)
}
let trainTargets = trainScenes.map(targets)
let positivesPerObject =
    Double(trainTargets.reduce(0) { $0 + $1.positives })
    / Double(trainScenes.reduce(0) { $0 + $1.objects.count })
let ignoredShare = Double(trainTargets.reduce(0) { $0 + $1.ignored }) / Double(trainCount * perImage)
var byThreshold = 0
var total = 0
var withPositive = 0
for scene in trainScenes {
    let boxes = truth(scene).map(\.box)
    let strict = try! assignAnchors(anchors, to: boxes, matchBest: false)
    let full = try! assignAnchors(anchors, to: boxes)
    for o in boxes.indices {
        total += 1
        if strict.contains(.positive(object: o)) { byThreshold += 1 }
        if full.contains(.positive(object: o)) { withPositive += 1 }
    }
}
chapter.say(
    """
    The detector looks at an 8×8 grid of cells (stride 8). Every cell carries \(grid.shapesPerCell) anchors: sizes
    \(grid.sizes.map { Int($0) }.listed) pixels × aspect ratios (height/width) 1:2, 1:1, 2:1, so \(perImage) anchors
    per scene, each scored for every class. Training targets by IoU with the ground truth (RetinaNet's rule):
      IoU ≥ 0.5 → positive (that object's class and box)    IoU < 0.4 → background    in between → ignored
    plus Faster R-CNN's rule that each object's best anchor is positive even below 0.5. Training scenes:
    \(positivesPerObject.fixed(1)) positive anchors per object, \((100 * ignoredShare).fixed(1)) % of anchors ignored,
    \((100 * Double(byThreshold) / Double(total)).fixed(1)) % of objects reach IoU ≥ 0.5 with some anchor (the rest get
    their best anchor).
    """)
chapter.check(
    "every training object has at least one positive anchor", withPositive == total,
    "\(withPositive) of \(total) objects")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The detector: a small convolutional backbone and two heads")
let probe = AnchorDetector(
    imageSize: size, classes: classes, shapesPerCell: grid.shapesPerCell, channels: channels,
    seed: 1)
chapter.say(
    """
    Backbone: four 3×3 convolutions with ReLU, 1 → 8 → 16 → 32 → 32 channels, strides 2, 2, 2, 1: a 64×64 scene
    becomes the 8×8×32 map of the anchor grid, and each cell sees 31×31 pixels, the size of the largest items.
    Each convolution is im2col (every window copied into a row) times the kernel on the kit's matrix product
    (Learning.Conv2D). Why a convolution and not patch features: a dense detector needs the same features at every
    cell and an item can sit anywhere, so the weights must be shared across positions; a 3×3 stack does that with
    \(probe.parameterCount) parameters and learns its features for the task.
    Heads, shared by every method: a 1×1 convolution giving \(grid.shapesPerCell)·(\(classes) + 1) class logits per
    cell (background last, its bias at RetinaNet's prior: foreground probability 0.01) and one giving
    \(grid.shapesPerCell)·4 box deltas (t_x, t_y, t_w, t_h against the anchor, Faster R-CNN's coding, smooth L1 on
    positives). Only the classification loss changes between methods.
    """)
chapter.check(
    "the backbone's map matches the anchor grid", probe.gridSize == grid.rows,
    "\(probe.gridSize)×\(probe.gridSize)")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Two classification losses, same budget")
let nominalList = batch * perImage * (tau + 1)
func paperLambda(_ code: Double) -> Double { code * Double(nominalList) }
chapter.say(
    """
    cross-entropy (the paper's baseline): softmax over the \(classes) classes + background, averaged over the anchors
    that are not ignored.
    RaMBO (paper §4.6): the \(classes) foreground logits of those anchors; each class's ranked list is its column of
    the batch plus the same column of the last τ = \(tau) batches (score memory), L = (1 − β)·L_mAP + β·L_APC with
    β = \(beta.fixed(3)), margin α = \(alpha.fixed(2)). The background logit gets no gradient from it.
    Each class list holds about \(batch) scenes × \(perImage) anchors × (τ + 1) = \(nominalList) items: this is the
    detection analogue of the paper's "320k" (its Faster R-CNN ranks the sampled boxes of 8 images × 7 stored batches).
    λ: the authors' λ_code = \(lambdaCode) is in units of ranks normalised by the list length, so in this package's
    integer-rank units λ = λ_code · n = \(lambdaCode) · \(nominalList) = \(paperLambda(lambdaCode).fixed(0))
    (chapter 04);
    the same λ serves L_APC, whose list is the batch's \(batch * perImage)·\(classes) flattened scores.
    Every run: Adam, lr \(learningRate) for \(steps * 3 / 4) steps then \(learningRate / 10), \(steps) steps of
    \(batch) scenes, the same initial weights and batch order for every method of a seed.
    """)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
/// One training configuration.
struct Method: Sendable {
    let name: String, title: String
    /// nil: cross-entropy; else RaMBO with this λ_code and margin.
    let lambdaCode: Double?, margin: Double
}
/// What a run leaves: per-class AP^50 both ways, PR curves, the shown scenes' detections, list length, timing.
struct RunResult: Sendable {
    var ap11: [Double], apAll: [Double]
    var curves: [(recall: [Double], precision: [Double])]
    var shown: [[Detection]]
    var listLength: Int
    var firstLoss: Double, lastLoss: Double
    var seconds: Double
}

let shownScenes = [0, 1, 2]
let evalBlock = 50

/// Trains one method from the seed's initial weights and evaluates it on the test scenes. Touches nothing shared
/// but read-only data, so runs can go in parallel.
func run(_ method: Method, seed: UInt64, steps: Int) -> RunResult {
    let start = Date()
    let model = AnchorDetector(
        imageSize: size, classes: classes, shapesPerCell: grid.shapesPerCell, channels: channels,
        seed: seed &+ 3)
    let adam = Adam(learningRate: Float(learningRate))
    var sampler = MinibatchSampler(count: trainCount, batchSize: batch, dropLast: true, seed: seed &+ 5)
    var rambo = RankingDetectionLoss(
        loss: MAPLoss(lambda: paperLambda(method.lambdaCode ?? lambdaCode), margin: method.margin, interclass: beta),
        memorySize: tau)
    /// The method's classification loss on the first 16 training scenes (no memory): before and after training.
    let probeIDs = Array(0..<min(16, trainCount))
    let probePixels = Matrix(
        rows: probeIDs.count * size * size, cols: 1,
        storage: probeIDs.flatMap { trainScenes[$0].pixels })
    let probeTargets = probeIDs.flatMap { trainTargets[$0].classes }
    func probeLoss() -> Double {
        let logits = model.forward(probePixels, batch: probeIDs.count).logits
        if method.lambdaCode == nil { return softmaxCrossEntropy(logits: logits, targets: probeTargets).loss }
        var fresh = RankingDetectionLoss(loss: rambo.loss, memorySize: 0)
        return fresh.evaluate(logits: logits, targets: probeTargets).loss
    }
    let before = probeLoss()
    var batches = [[Int]]()
    for t in 0..<steps {
        if batches.isEmpty { batches = sampler.epoch().reversed() }
        let ids = batches.removeLast()
        if t == steps * 3 / 4 { adam.learningRate = Float(learningRate / 10) }
        let pixels = Matrix(rows: ids.count * size * size, cols: 1, storage: ids.flatMap { trainScenes[$0].pixels })
        let classTargets = ids.flatMap { trainTargets[$0].classes }
        let boxTargets = ids.flatMap { trainTargets[$0].deltas }
        model.zeroGradients()
        let (logits, deltas) = model.forward(pixels, batch: ids.count)
        let cls =
            method.lambdaCode == nil
            ? softmaxCrossEntropy(logits: logits, targets: classTargets)
            : rambo.evaluate(logits: logits, targets: classTargets)
        let reg = smoothL1(deltas: deltas, targets: boxTargets)
        model.backward(logits: cls.gradient, deltas: reg.gradient)
        adam.update(model)
    }
    var result = evaluate(model, crossEntropy: method.lambdaCode == nil)
    result.firstLoss = before
    result.lastLoss = probeLoss()
    result.listLength = rambo.lastListLength
    result.seconds = Date().timeIntervalSince(start)
    return result
}

/// Detections on every test scene (top 20 anchors per class, NMS at IoU 0.5), scored by what the method ranks:
/// softmax probabilities for cross-entropy, raw foreground logits for RaMBO; then VOC AP^50 per class.
func evaluate(_ model: AnchorDetector, crossEntropy: Bool) -> RunResult {
    var detections = [Detection]()
    var shown = [[Detection]]()
    var start = 0
    while start < testCount {
        let ids = Array(start..<min(testCount, start + evalBlock))
        let pixels = Matrix(rows: ids.count * size * size, cols: 1, storage: ids.flatMap { testScenes[$0].pixels })
        let (logits, deltas) = model.forward(pixels, batch: ids.count)
        for (k, image) in ids.enumerated() {
            var scores = [[Double]]()
            var boxes = [[Double]]()
            scores.reserveCapacity(perImage)
            for a in 0..<perImage {
                let row = k * perImage + a
                let z = (0...classes).map { Double(logits[row, $0]) }
                if crossEntropy {
                    let top = z.max()!
                    let e = z.map { exp($0 - top) }
                    let total = e.reduce(0, +)
                    scores.append(e.prefix(classes).map { $0 / total })
                } else {
                    scores.append(Array(z.prefix(classes)))
                }
                boxes.append((0..<4).map { Double(deltas[row, $0]) })
            }
            let found = detect(scores: scores, deltas: boxes, anchors: anchors, image: image)
            detections += found
            if shownScenes.contains(image) { shown.append(found) }
        }
        start += evalBlock
    }
    let perClass = try! evaluateDetections(detections, groundTruth: testTruth, classes: classes)
    return RunResult(
        ap11: perClass.map { $0.elevenPointAP ?? 0 }, apAll: perClass.map { $0.allPointAP ?? 0 },
        curves: perClass.map { ($0.recall, $0.precision) }, shown: shown, listLength: 0,
        firstLoss: 0, lastLoss: 0, seconds: 0)
}

let ce = Method(name: "ce", title: "cross-entropy", lambdaCode: nil, margin: 0)
let ramboMethod = Method(
    name: "rambo-map", title: "RaMBO (λ_code \(lambdaCode), margin)", lambdaCode: lambdaCode,
    margin: alpha)
var methods = [ce, ramboMethod]
if ablation {
    methods += [
        Method(name: "rambo-lambda0.1", title: "RaMBO λ_code 0.1, margin", lambdaCode: 0.1, margin: alpha),
        Method(name: "rambo-lambda2.5", title: "RaMBO λ_code 2.5, margin", lambdaCode: 2.5, margin: alpha),
        Method(
            name: "rambo-no-margin", title: "RaMBO λ_code \(lambdaCode), no margin", lambdaCode: lambdaCode,
            margin: 0),
    ]
}
func runSeed(_ s: Int) -> UInt64 { chapter.seed &+ UInt64(s) &* 7919 }

chapter.section("Training: cross-entropy vs RaMBO\(ablation ? ", and the ablation runs" : "")")
let jobs: [@Sendable () -> RunResult] = methods.flatMap { m in
    (0..<seeds).map { s in { @Sendable in run(m, seed: runSeed(s), steps: steps) } }
}
let trainingStart = Date()
let allRuns = runIndependently(jobs, threads: threads)
let trainingSeconds = Date().timeIntervalSince(trainingStart)
var results = [String: [RunResult]]()
for (m, method) in methods.enumerated() { results[method.name] = Array(allRuns[(m * seeds)..<((m + 1) * seeds)]) }
let untrained = evaluate(
    AnchorDetector(
        imageSize: size, classes: classes, shapesPerCell: grid.shapesPerCell,
        channels: channels, seed: runSeed(0) &+ 3), crossEntropy: true)
chapter.say(
    """
    \(methods.count) methods × \(seeds) seed\(seeds > 1 ? "s" : "") = \(allRuns.count) runs on \(threads) \
    thread\(threads > 1 ? "s" : ""), \(trainingSeconds.fixed(1)) s (one run: \(mean(allRuns.map(\.seconds)).fixed(1)) s,
    training and evaluating \(testCount) scenes).
    """)
chapter.table(
    ["method", "classification loss on 16 training scenes: before → after (seed 1)", "seconds per run"],
    methods.compactMap { m in
        guard let r = results[m.name]?.first else { return nil }
        return [
            m.name, "\(r.firstLoss.fixed(3)) → \(r.lastLoss.fixed(3))",
            mean(results[m.name, default: []].map(\.seconds)).fixed(1),
        ]
    })
for m in methods {
    let falls = results[m.name, default: []].map { $0.lastLoss < $0.firstLoss }
    chapter.check(
        "\(m.name): the classification loss falls in every run", falls.allSatisfy { $0 },
        results[m.name, default: []].map { "\($0.firstLoss.fixed(3)) → \($0.lastLoss.fixed(3))" }.joined(
            separator: ", "))
}
let ramboList = results["rambo-map"]?.first?.listLength ?? 0
chapter.say(
    """
    Per-class list length with memory at the last step (seed 1): \(ramboList) anchors (batch rows that are not
    ignored + \(tau) stored batches), against \(nominalList) nominal: the detection analogue of the paper's 320k.
    """)
chapter.check(
    "the RaMBO class lists are (τ + 1) batches long, minus the ignored anchors",
    ramboList > nominalList * 8 / 10 && ramboList <= nominalList, "\(ramboList) of \(nominalList)")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("AP^50 on the test scenes (VOC07: 11-point; all-point beside it)")
chapter.say(
    """
    Per class, the detections of all \(testCount) test scenes are sorted by score; each is a true positive when it
    overlaps a not-yet-found object of its class with IoU ≥ 0.5, else a false positive (duplicates too, which is why
    NMS runs first). AP^50 is read off that precision–recall curve two ways: VOC2007's 11-point interpolation (the
    mean of the best precision at recall ≥ 0, 0.1, …, 1), which is what the paper's VOC07-test numbers use and is the
    headline here, and VOC2010's all-point area under the precision envelope. mAP = the mean over the \(classes)
    classes.
    """)
func map11(_ r: RunResult) -> Double { mean(r.ap11) }
func mapAll(_ r: RunResult) -> Double { mean(r.apAll) }
var rows = [["untrained network", map11(untrained).fixed(3), mapAll(untrained).fixed(3)]]
for m in methods {
    rows.append([m.name, cell(results[m.name, default: []].map(map11)), cell(results[m.name, default: []].map(mapAll))])
    chapter.metric("fashion-scenes", m.name, "AP50", mean(results[m.name, default: []].map(map11)))
    chapter.metric("fashion-scenes", m.name, "AP50-sd", standardDeviation(results[m.name, default: []].map(map11)))
    chapter.metric("fashion-scenes", m.name, "AP50-all-point", mean(results[m.name, default: []].map(mapAll)))
    for c in 0..<classes {
        let v = results[m.name, default: []].map { $0.ap11[c] }
        chapter.metric("fashion-scenes", m.name, "AP50-class\(c)", mean(v))
        chapter.metric("fashion-scenes", m.name, "AP50-sd-class\(c)", standardDeviation(v))
    }
}
chapter.table(["method", "mAP^50 11-point", "mAP^50 all-point"], rows)
chapter.table(
    ["class", "objects", "ce AP^50", "rambo-map AP^50", "difference"],
    (0..<classes).map { c in
        let a = results["ce", default: []].map { $0.ap11[c] }
        let b = results["rambo-map", default: []].map { $0.ap11[c] }
        return ["\(c) \(classNames[c])", "\(perClassObjects[c])", cell(a), cell(b), signed(mean(b) - mean(a))]
    })
let detectionBar = quick ? 0.01 : 0.1
for m in methods {
    chapter.check(
        "\(m.name) detects: mAP^50 above the untrained network's by > \(detectionBar) in every run",
        results[m.name, default: []].allSatisfy { map11($0) > map11(untrained) + detectionBar },
        results[m.name, default: []].map { map11($0).fixed(3) }.joined(separator: ", "))
}
let ceMaps = results["ce", default: []].map(map11)
let ramboMaps = results["rambo-map", default: []].map(map11)
let gains = zip(ramboMaps, ceMaps).map { $0 - $1 }
/// What paired differences over seeds say about a claim "A is above B".
func verdict(_ differences: [Double]) -> (text: String, decided: Bool) {
    if differences.allSatisfy({ $0 > 0 }) { return ("holds in every seed", true) }
    if differences.allSatisfy({ $0 <= 0 }) { return ("does not hold in any seed", true) }
    return ("holds in \(differences.filter { $0 > 0 }.count) of \(differences.count) seeds", false)
}
let table5 = verdict(gains)
chapter.say(
    """
    RaMBO − cross-entropy, mAP^50 per seed: \(gains.map { signed($0) }.joined(separator: ", ")).
    Paper Table 5 (ResNet50 on VOC07): 74.2 → 75.7, RaMBO ahead by 1.5 points.
    Here the paper's direction \(table5.text).
    """)
chapter.check(
    "Table 5's direction (RaMBO above cross-entropy) gets the same answer in every seed: it \(table5.text)",
    table5.decided, gains.map { signed($0) }.joined(separator: ", "))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
// Figures: scenes with ground truth and detections, PR curves per class, AP per class.
let green = "#2ca02c"
let blue = "#1f77b4"
let orange = "#ff7f0e"
/// A box outline in picture coordinates (pixel (col, row) is drawn at x = col, y = −row).
func outline(_ b: Box, color: String, width: Double = 2) -> Series {
    let x0 = b.xMin - 0.5
    let x1 = b.xMax - 0.5
    let y0 = -(b.yMin - 0.5)
    let y1 = -(b.yMax - 0.5)
    return .lines(x: [x0, x1, x1, x0, x0], y: [y0, y0, y1, y1, y0], color: color, lineWidth: width)
}
func scenePanel(_ index: Int, detections: [Detection], title: String, color: String) -> Panel {
    let scene = testScenes[index]
    let picture = (0..<size).map { y in (0..<size).map { x in Double(scene.pixel(x: x, y: y)) } }
    // The strongest detections, as many as the scene has objects, skipping boxes that overlap a stronger shown one
    // (NMS runs per class, so one item often has a box for each of several classes).
    var top = [Detection]()
    for d in detections.sorted(by: { $0.score > $1.score }) where top.count < scene.objects.count {
        if !top.contains(where: { intersectionOverUnion($0.box, d.box) > 0.5 }) { top.append(d) }
    }
    var series: [Series] = [.image(picture)]
    series += testTruth[index].map { outline($0.box, color: green, width: 3) }
    series += top.map { outline($0.box, color: color) }
    let labels = top.map { Annotation(classNames[$0.label], x: max(0, $0.box.xMin), y: -max(0, $0.box.yMin) + 2) }
    return Panel(
        title: title, xRange: -0.5...Double(size) - 0.5, yRange: -Double(size) + 0.5...0.5, key: .none,
        grid: false, square: true, palette: .grey, annotations: labels, series: series)
}
var scenePanels = [Panel]()
for (m, colour) in [("ce", orange), ("rambo-map", blue)] {
    for (k, index) in shownScenes.enumerated() {
        guard let first = results[m]?.first else { continue }
        scenePanels.append(
            scenePanel(
                index, detections: first.shown[k],
                title: "\(m == "ce" ? "cross-entropy" : "RaMBO"), test scene \(index)",
                color: colour))
    }
}
chapter.plot(
    Figure(
        name: "scenes",
        title: "Test scenes: ground truth (green), the top detections, one per item at most (seed 1)",
        width: 1200, height: 860, columns: 3, panels: scenePanels))

chapter.plot(
    Figure(
        name: "pr-curves", title: "Precision–recall per class, AP^{50} 11-point (seed 1)", width: 1500,
        height: 640, columns: 5,
        panels: (0..<classes).map { c in
            Panel(
                title: classNames[c], xLabel: "recall", yLabel: "precision", xRange: 0...1, yRange: 0...1.02,
                key: .topRight,
                series: [("ce", orange), ("rambo-map", blue)].compactMap { m, colour in
                    guard let r = results[m]?.first else { return nil }
                    return .lines(
                        x: r.curves[c].recall, y: r.curves[c].precision, title: "\(m) \(r.ap11[c].fixed(2))",
                        color: colour)
                })
        }))

func errorSeries(_ name: String, offset: Double, colour: String) -> Series {
    let runs = results[name, default: []]
    return .errorBars(
        x: (0..<classes).map { Double($0) + offset },
        y: (0..<classes).map { c in mean(runs.map { $0.ap11[c] }) },
        err: (0..<classes).map { c in standardDeviation(runs.map { $0.ap11[c] }) }, title: name, color: colour)
}
chapter.plot(
    Figure(
        name: "ap-per-class",
        panel: Panel(
            title: "AP^{50} (11-point) per class, mean ± sd over \(seeds) seed\(seeds > 1 ? "s" : "")", xLabel: "class",
            yLabel: "AP^{50}", xRange: -0.6...Double(classes) - 0.4, yRange: 0...1.05, key: .topLeft,
            annotations: (0..<classes).map { Annotation(classNames[$0], x: Double($0) - 0.35, y: 0.04) },
            series: [
                errorSeries("ce", offset: -0.12, colour: orange), errorSeries("rambo-map", offset: 0.12, colour: blue),
            ])),
    key: true)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
if ablation {
    chapter.section("Table 8 in miniature: λ and the margin")
    let order = ["ce", "rambo-lambda0.1", "rambo-map", "rambo-lambda2.5", "rambo-no-margin"]
    let labels = ["CE", "λ 0.1, margin", "λ \(lambdaCode), margin", "λ 2.5, margin", "λ \(lambdaCode), no margin"]
    let headers = ["run", "λ_code", "λ (integer ranks)", "margin", "mAP^50 11-point", "paper AP^50"]
    chapter.table(
        headers,
        order.indices.map { i in
            let m = methods.first { $0.name == order[i] }!
            let paper = ["74.2", "75.2", "75.7", "74.3", "74.6"][i]
            return [
                order[i], m.lambdaCode.map { "\($0)" } ?? "–", m.lambdaCode.map { paperLambda($0).fixed(0) } ?? "–",
                m.lambdaCode == nil ? "–" : (m.margin > 0 ? "α = \(m.margin)" : "none"),
                cell(results[order[i], default: []].map(map11)), paper,
            ]
        })
    let within = ["rambo-lambda0.1", "rambo-lambda2.5"].flatMap { name in
        zip(results[name, default: []].map(map11), ceMaps).map { $0 - $1 }
    }
    let marginGain = zip(ramboMaps, results["rambo-no-margin", default: []].map(map11)).map { $0 - $1 }
    let claim1 = verdict(within)
    let claim2 = verdict(marginGain)
    chapter.say(
        """
        The paper (Table 8, ResNet50 on VOC07) claims:
          1. "values of λ within a factor 5 of 0.5 still outperform the baseline": here λ_code 0.1 and 2.5 against CE,
             paired by seed: \(within.map { signed($0) }.joined(separator: ", ")) → the claim \(claim1.text).
          2. the margin matters (75.7 with it, 74.6 without): margin − no margin at λ_code \(lambdaCode), paired by
             seed:
             \(marginGain.map { signed($0) }.joined(separator: ", ")) → the claim \(claim2.text).
        """)
    chapter.check(
        "paper claim 1 (λ within ×5 of 0.5 beats CE) gets the same answer in every seed: it \(claim1.text)",
        claim1.decided, within.map { signed($0) }.joined(separator: ", "))
    chapter.check(
        "paper claim 2 (the margin helps) gets the same answer in every seed: it \(claim2.text)",
        claim2.decided, marginGain.map { signed($0) }.joined(separator: ", "))
    let means = order.map { mean(results[$0, default: []].map(map11)) }
    let spreads = order.map { standardDeviation(results[$0, default: []].map(map11)) }
    let low = zip(means, spreads).map { $0 - $1 }.min()! - 0.03
    let high = zip(means, spreads).map { $0 + $1 }.max()! + 0.01
    chapter.plot(
        Figure(
            name: "ablation",
            panel: Panel(
                title: "Table 8 in miniature: mAP^{50} (11-point), mean ± sd over \(seeds) seeds", xLabel: "run",
                yLabel: "mAP^{50}", xRange: -0.6...Double(order.count) - 0.4, yRange: low...high, key: .topLeft,
                annotations: order.indices.map { Annotation(labels[$0], x: Double($0) - 0.4, y: low + 0.008) },
                series: [
                    .errorBars(
                        x: order.indices.map(Double.init), y: means, err: spreads, title: "mAP^{50}", color: blue),
                    .constant(mean(ceMaps), title: "cross-entropy", color: orange),
                ])))
}

chapter.say("\nWhole chapter: \(Date().timeIntervalSince(started).fixed(1)) s.")
chapter.finish()
