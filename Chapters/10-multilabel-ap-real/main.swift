// Chapter 10 · Multi-label mAP on real data
//
// The mAP loss of paper §4.6 on a real multi-label task: yeast (2417 genes × 103 features, 14 functional classes
// with prevalence 1.4–75 %). The metric is macro mAP, the mean over the 14 labels of the AP of each label's
// ranking of the test genes. A linear model and a small MLP are trained with binary cross-entropy (the usual
// baseline), with RaMBO's mAP loss, and with both together. With the authors' detection settings (λ 0.5 in their
// code units, α 0.15, β 1/3, τ 7) RaMBO trails BCE slightly in our runs; λ, α, β and τ chosen on a validation
// split close that gap, and the chapter checks at run time that the tuned loss reaches BCE's test mAP.
import Datasets
import Foundation
import Gnuplot
import Learning
import Rambo
import Support
import Walkthrough

let chapter = Chapter(
    "ch10", title: "Multi-label mAP on real data",
    flags: [
        .double(
            "lambda", default: 0.5, in: 1e-6...1e3,
            help: "λ in the authors' code units (per normalised rank); start of the search"),
        .double("margin", default: 0.15, in: 0...100, help: "score margin α; start of the search"),
        .double(
            "beta", default: 1.0 / 3, in: 0...1, help: "weight β of the interclass term L_APC; start of the search"),
        .int("memory", default: 7, in: 0...100, help: "score memory τ in batches; start of the search"),
        .string(
            "search", default: "on", choices: ["on", "off"],
            help: "on: choose λ, β, α, τ, w on the validation split; off: use the flags"),
        .double("weight", default: 0.5, in: 0...1, help: "AP weight w in (1 − w)·BCE + w·AP when --search off"),
        .int("epochs", default: 80, quick: 10, in: 2...10_000, help: "most epochs of a run on the fit split"),
        .int("hidden", default: 128, quick: 32, in: 1...4096, help: "hidden units of the MLP"),
        .int("batch", default: 64, quick: 32, in: 2...600, help: "rows per mini-batch"),
        .int("seeds", default: 3, quick: 1, in: 1...100, help: "restarts averaged in the test table"),
    ])
let lambdaFlag = chapter.double("lambda")
let marginFlag = chapter.double("margin")
let betaFlag = chapter.double("beta")
let memoryFlag = chapter.int("memory")
let weightFlag = chapter.double("weight")
let search = chapter.string("search")
let maxEpochs = chapter.int("epochs")
let hidden = chapter.int("hidden")
let batchSize = chapter.int("batch")
let seeds = chapter.int("seeds")
var clock = Date()
func lap() -> String {
    let s = Date().timeIntervalSince(clock)
    clock = Date()
    return "\(s.fixed(1)) s"
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Yeast: 14 labels from 1.4 % to 75 %")
let yeast: (train: MultiLabelData, test: MultiLabelData)
do { yeast = try Yeast.loadSplit() } catch {
    chapter.require(false, "\(error)")
    fatalError("unreachable: require(false) exits")
}
let labelCount = Yeast.labelCount
// The common split: rows 1–1500 train, 1501–2417 test. The last 300 training rows are held out for validation
// (hyperparameters, epochs); the final models are refitted on all 1500.
let fitCount = chapter.quick ? 320 : 1200
let validationRows = 1200..<1500
let testCount = chapter.quick ? 400 : yeast.test.count
let fitData = yeast.train.rows(0..<fitCount)
let validationData = yeast.train.rows(validationRows)
let trainData = yeast.train
let testData = yeast.test.rows(0..<testCount)
chapter.say(
    """
    \(yeast.train.count + yeast.test.count) genes × \(Yeast.featureCount) features, \(labelCount) labels. Split: rows \
    1–\(fitCount) fit, \(validationRows.lowerBound + 1)–\(validationRows.upperBound) validation (choose λ, β, α, τ and \
    the epoch), rows 1–1500 refit, \(testCount) test rows\(chapter.quick ? " (quick: a subset)" : " (1501–2417)").
    """)
chapter.check(
    "the common split: 1500 train rows, 917 test rows",
    yeast.train.count == 1500 && yeast.test.count == 917,
    "\(yeast.train.count) + \(yeast.test.count)")
let trainPrevalence = trainData.prevalences
let testPrevalence = testData.prevalences
let byPrevalence = (0..<labelCount).sorted { trainPrevalence[$0] < trainPrevalence[$1] }
chapter.table(
    ["label", "train %", "test %", "test positives"],
    byPrevalence.map { c in
        [
            trainData.labelNames[c], (100 * trainPrevalence[c]).fixed(1), (100 * testPrevalence[c]).fixed(1),
            "\(testData.labelCounts[c])",
        ]
    })
let rarest = trainPrevalence.min()!
let commonest = trainPrevalence.max()!
chapter.check(
    "prevalences span 1.4 % to 75 % on the training rows",
    abs(rarest - 0.014) < 0.005 && abs(commonest - 0.75) < 0.01,
    "\((100 * rarest).fixed(1)) % to \((100 * commonest).fixed(1)) %")
chapter.check(
    "every label has a positive in the validation and test rows",
    validationData.labelCounts.allSatisfy { $0 > 0 } && testData.labelCounts.allSatisfy { $0 > 0 },
    "fewest: \(validationData.labelCounts.min()!) validation, \(testData.labelCounts.min()!) test")

let fitScaler = Standardizer(fitting: Matrix(fitData.features))
let refitScaler = Standardizer(fitting: Matrix(trainData.features))
let xFit = fitScaler.apply(Matrix(fitData.features))
let yFit = fitData.labels
let xValidation = fitScaler.apply(Matrix(validationData.features))
let yValidation = validationData.labels
let xTrain = refitScaler.apply(Matrix(trainData.features))
let yTrain = trainData.labels
let xTest = refitScaler.apply(Matrix(testData.features))
let yTest = testData.labels
func columnMoments(_ rows: [[Double]]) -> (mean: [Double], sd: [Double]) {
    let n = Double(rows.count)
    let d = rows[0].count
    let mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / n }
    let sd = (0..<d).map { j in (rows.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / n).squareRoot() }
    return (mean, sd)
}
let fitMoments = columnMoments(xFit.doubleRows)
let testMoments = columnMoments(xTest.doubleRows)
chapter.say(
    """

    The file's features come pre-scaled: centred, with σ ≈ 0.1 each. The initial weights (He, Glorot) and the
    learning rates assume inputs of σ ≈ 1, so each feature is standardised, z = (x − μ)/σ, with μ and σ measured
    on the rows the model is fitted on (Learning.Standardizer); validation and test rows reuse those statistics.
    """)
chapter.check(
    "raw features: |μ| < 0.02 and σ within 0.08…0.12 on the fit rows",
    fitScaler.mean.allSatisfy { abs($0) < 0.02 } && fitScaler.scale.allSatisfy { (0.08...0.12).contains($0) },
    "max |μ| \(Double(fitScaler.mean.map(abs).max()!).fixed(4)), σ \(Double(fitScaler.scale.min()!).fixed(3))…\(Double(fitScaler.scale.max()!).fixed(3))"
)
chapter.check(
    "fit rows: every feature has mean 0 and σ 1 (Float storage)",
    fitMoments.mean.allSatisfy { abs($0) < 1e-5 } && fitMoments.sd.allSatisfy { abs($0 - 1) < 1e-5 },
    "max |mean| \(fitMoments.mean.map(abs).max()!.sci), max |σ − 1| \(fitMoments.sd.map { abs($0 - 1) }.max()!.sci)")
chapter.say(
    """
    test rows (standardised with the 1500 training rows): max |mean| \(testMoments.mean.map(abs).max()!.fixed(3)), \
    σ in \(testMoments.sd.min()!.fixed(2))…\(testMoments.sd.max()!.fixed(2)): close to, not exactly, 0 and 1.
    """)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The metric, and what chance scores get")
chapter.say(
    """
    Macro mAP: for each label c, rank the test genes by their score for c and take AP (Eqs. 3–5), then average
    over the 14 labels (Eq. 6). Rare labels count as much as common ones.

    A random ranking of n items with P positives puts a positive at each rank r with equal probability, and the
    other P − 1 positives spread evenly above it, so its expected precision is (1 + (r − 1)(P − 1)/(n − 1))/r:
        E[AP] = (1/n) · [ H_n + (P − 1)/(n − 1) · (n − H_n) ],   H_n = 1 + 1/2 + … + 1/n.
    It is close to the prevalence P/n for common labels and above it for rare ones.
    """)
/// Columns of a score matrix and of the targets: one ranked list per label.
func labelLists(_ scores: Matrix, _ targets: [[Bool]]) -> (scores: [[Double]], relevance: [[Bool]]) {
    (
        (0..<scores.cols).map { c in (0..<scores.rows).map { Double(scores[$0, c]) } },
        (0..<scores.cols).map { c in targets.map { $0[c] } }
    )
}
/// AP of every label (nil for a label without a positive).
func labelAPs(_ scores: Matrix, _ targets: [[Bool]]) -> [Double?] {
    let lists = labelLists(scores, targets)
    return zip(lists.scores, lists.relevance).map { averagePrecision(scores: $0, relevance: $1) }
}
/// Macro mAP: the mean AP over the labels that have a positive.
func macroMAP(_ scores: Matrix, _ targets: [[Bool]]) -> Double {
    let lists = labelLists(scores, targets)
    return meanAveragePrecision(scores: lists.scores, relevance: lists.relevance) ?? .nan
}
func chanceAP(positives p: Int, items n: Int) -> Double {
    let h = (1...n).reduce(0.0) { $0 + 1 / Double($1) }
    return n == 1 ? 1 : (h + Double(p - 1) / Double(n - 1) * (Double(n) - h)) / Double(n)
}
let chancePerLabel = testData.labelCounts.map { chanceAP(positives: $0, items: testCount) }
let chanceMAP = chancePerLabel.reduce(0, +) / Double(labelCount)
var rng = SplitMix64(seed: chapter.seed)
let draws = chapter.quick ? 20 : 400
var randomMAPs = [Double]()
for _ in 0..<draws {
    let noise = Matrix((0..<testCount).map { _ in (0..<labelCount).map { _ in rng.nextGaussian() } })
    randomMAPs.append(macroMAP(noise, yTest))
}
let randomMean = randomMAPs.reduce(0, +) / Double(draws)
let randomSD = (randomMAPs.reduce(0) { $0 + ($1 - randomMean) * ($1 - randomMean) } / Double(draws - 1)).squareRoot()
let meanPrevalence = testPrevalence.reduce(0, +) / Double(labelCount)
chapter.say(
    """
    test mAP of random scores: \(randomMean.fixed(4)) ± \(randomSD.fixed(4)) over \(draws) draws; the formula gives \
    \(chanceMAP.fixed(4)); the mean prevalence is \(meanPrevalence.fixed(4)).
    """)
chapter.check(
    "random scores reach the expected chance mAP (within 4 standard errors)",
    abs(randomMean - chanceMAP) < 4 * randomSD / Double(draws).squareRoot(),
    "\(randomMean.fixed(4)) vs \(chanceMAP.fixed(4))")
chapter.metric("yeast", "random", "mAP", randomMean)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Two losses on a batch of scores")
chapter.say(
    """
    A model maps a gene's 103 features to 14 scores. A batch gives B × 14 scores Y and 0/1 targets T.

    BCE, one term per entry:   L = mean_{b,c} [ log(1 + e^{Y_bc}) − T_bc·Y_bc ],   dL/dY_bc = (σ(Y_bc) − T_bc)/(B·14).

    RaMBO's loss (paper §4.6, Eqs. 21–23), built from two Rambo.MAPLoss terms:
        L = (1 − β) · L_mAP + β · L_APC
      L_mAP: for each label, the batch's column followed by that column of the last τ batches (score memory,
             chapter 06), N = B·(1 + τ) items; 1 − mean AP over the labels with a positive. Gradients reach the
             current batch only.
      L_APC: the current batch flattened to one list of B·14 scores (interclass AP, Chen et al.); 1 − its AP.
      Margin (Eq. 14): positives −α/2, negatives +α/2 before ranking.
    """)
// Check that the loss is the metric: with α = 0 and no memory, L_mAP = 1 − mAP of the batch's columns and
// L_APC = 1 − AP of the flattened batch.
let probe = Matrix((0..<batchSize).map { _ in (0..<labelCount).map { _ in rng.nextGaussian() } })
let probeTargets = Array(yFit.prefix(batchSize))
let probeLists = labelLists(probe, probeTargets)
let lossClass = MAPLoss(lambda: 1, margin: 0, interclass: 0).forward(scores: probe.doubleRows, targets: probeTargets)
let lossFlat = MAPLoss(lambda: 1, margin: 0, interclass: 1).forward(scores: probe.doubleRows, targets: probeTargets)
let metricClass = 1 - meanAveragePrecision(scores: probeLists.scores, relevance: probeLists.relevance)!
let metricFlat = 1 - averagePrecision(scores: probe.doubleRows.flatMap { $0 }, relevance: probeTargets.flatMap { $0 })!
chapter.check(
    "with α = 0, τ = 0: L_mAP = 1 − (batch mAP over labels)", abs(lossClass - metricClass) < 1e-12,
    "\(lossClass.fixed(6)) vs \(metricClass.fixed(6))")
chapter.check(
    "with α = 0: L_APC = 1 − (AP of the flattened batch)", abs(lossFlat - metricFlat) < 1e-12,
    "\(lossFlat.fixed(6)) vs \(metricFlat.fixed(6))")

chapter.say(
    """

    λ's units. The authors' code ranks on normalised ranks rk/N, so its λ_code means λ_paper = λ_code · N on
    integer ranks (chapter 04, Rambo.paperLambda). Their one λ_code serves both terms, whose lists differ in
    length, so here each term gets its own λ_paper:
    """)
struct Settings: Hashable {
    /// λ in the authors' code units.
    var lambda: Double
    /// α.
    var margin: Double
    /// β.
    var beta: Double
    /// τ.
    var memory: Int
    var text: String { "λ_code \(lambda), α \(margin), β \(beta.fixed(2)), τ \(memory)" }
}
func classLambda(_ s: Settings) -> Double { paperLambda(fromCode: s.lambda, length: batchSize * (1 + s.memory)) }
func flatLambda(_ s: Settings) -> Double { paperLambda(fromCode: s.lambda, length: batchSize * labelCount) }
let paperSettings = Settings(lambda: 0.5, margin: 0.15, beta: 1.0 / 3, memory: 7)
let flagSettings = Settings(lambda: lambdaFlag, margin: marginFlag, beta: betaFlag, memory: memoryFlag)
chapter.table(
    ["term", "list length", "λ_code", "λ_paper"],
    [
        [
            "L_mAP", "B·(1+τ) = \(batchSize)·\(1 + flagSettings.memory) = \(batchSize * (1 + flagSettings.memory))",
            "\(flagSettings.lambda)", classLambda(flagSettings).fixed(1),
        ],
        ["L_APC", "B·14 = \(batchSize * labelCount)", "\(flagSettings.lambda)", flatLambda(flagSettings).fixed(1)],
    ])
chapter.check(
    "λ_paper = λ_code · N for both lists",
    classLambda(flagSettings) == flagSettings.lambda * Double(batchSize * (1 + flagSettings.memory))
        && flatLambda(flagSettings) == flagSettings.lambda * Double(batchSize * labelCount))

/// The loss a run trains with.
enum Method: Hashable {
    case bce
    case rambo(Settings)
    /// (1 − w)·BCE + w·RaMBO.
    case blend(Settings, weight: Double)
}
func ramboLoss(_ s: Settings) -> any ScoreLoss {
    let perLabel = MAPScoreLoss(loss: MAPLoss(lambda: classLambda(s), margin: s.margin), memorySize: s.memory)
    let flat = MAPScoreLoss(loss: MAPLoss(lambda: flatLambda(s), margin: s.margin, interclass: 1))
    if s.beta == 0 { return perLabel }
    if s.beta == 1 { return flat }
    return CombinedScoreLoss(perLabel, flat, weight: s.beta)
}
func makeLoss(_ method: Method) -> any ScoreLoss {
    switch method {
    case .bce: return BCEScoreLoss()
    case .rambo(let s): return ramboLoss(s)
    case .blend(let s, let w): return CombinedScoreLoss(BCEScoreLoss(), AnyScoreLoss(ramboLoss(s)), weight: w)
    }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Training runs, and the authors' detection settings")
struct Model {
    let name: String
    let sizes: [Int]
    let learningRate: Float
}
let linear = Model(name: "linear", sizes: [Yeast.featureCount, labelCount], learningRate: 3e-3)
let mlp = Model(name: "mlp", sizes: [Yeast.featureCount, hidden, labelCount], learningRate: 1e-3)
let models = [linear, mlp]
chapter.say(
    """
    Models: linear 103→14 (Adam 3e-3) and MLP 103→\(hidden)→14 with ReLU (Adam 1e-3); batches of \(batchSize) rows,
    shuffled each epoch (the last partial batch dropped, so every list has the same length).
    A selection run trains on the fit rows for up to \(maxEpochs) epochs and records validation mAP after each. Its
    score is the peak of the validation curve smoothed over 5 epochs; that epoch is where a final model stops.
    """)
/// A run on the fit rows: the validation mAP after every epoch.
struct Selection {
    let method: Method
    let curve: [Double]
    /// The smoothed curve's peak and its epoch (1-based).
    let score: Double
    let epoch: Int
}
func smoothed(_ curve: [Double], window: Int = 5) -> [Double] {
    curve.indices.map { i in
        let lo = max(0, i - window / 2)
        let hi = min(curve.count - 1, i + window / 2)
        return curve[lo...hi].reduce(0, +) / Double(hi - lo + 1)
    }
}
func train(
    _ model: Model, _ method: Method, x: Matrix, y: [[Bool]], steps: Int, seed: UInt64,
    afterEpoch: (ScoreTrainer) -> Void = { _ in }
) -> ScoreTrainer {
    let trainer = ScoreTrainer(sizes: model.sizes, learningRate: model.learningRate, seed: seed)
    var loss = AnyScoreLoss(makeLoss(method))
    var sampler = MinibatchSampler(count: x.rows, batchSize: batchSize, dropLast: true, seed: seed &+ 1000)
    trainer.fit(inputs: x, targets: y, loss: &loss, sampler: &sampler, steps: steps, afterEpoch: afterEpoch)
    return trainer
}
let stepsPerEpoch = fitCount / batchSize
func select(_ model: Model, _ method: Method) -> Selection {
    var curve = [Double]()
    _ = train(model, method, x: xFit, y: yFit, steps: maxEpochs * stepsPerEpoch, seed: chapter.seed) { trainer in
        curve.append(macroMAP(trainer.scores(xValidation), yValidation))
    }
    let smooth = smoothed(curve)
    let best = smooth.indices.max { smooth[$0] < smooth[$1] }!
    return Selection(method: method, curve: curve, score: smooth[best], epoch: best + 1)
}
var untrainedValidation = [String: Double]()
for model in models {
    untrainedValidation[model.name] = macroMAP(
        ScoreTrainer(sizes: model.sizes, seed: chapter.seed).scores(xValidation),
        yValidation)
}
var bceSelection = [String: Selection]()
var paperSelection = [String: Selection]()
var rows = [[String]]()
for model in models {
    let b = select(model, .bce)
    let p = select(model, .rambo(paperSettings))
    (bceSelection[model.name], paperSelection[model.name]) = (b, p)
    for (name, s) in [("BCE", b), ("RaMBO, authors' settings", p)] {
        rows.append([
            model.name, name, untrainedValidation[model.name, default: .nan].fixed(4), s.score.fixed(4), "\(s.epoch)",
        ])
    }
}
chapter.table(["model", "loss", "untrained", "validation mAP (peak, smoothed)", "epoch"], rows)
chapter.say("authors' settings: \(paperSettings.text)   (\(lap()))")
for model in models {
    guard let b = bceSelection[model.name], let p = paperSelection[model.name] else { continue }
    chapter.check(
        "\(model.name): both losses raise validation mAP above the untrained model",
        b.score > untrainedValidation[model.name, default: .nan] + 0.02
            && p.score > untrainedValidation[model.name, default: .nan] + 0.02,
        "untrained \(untrainedValidation[model.name, default: .nan].fixed(4)) → BCE \(b.score.fixed(4)), RaMBO \(p.score.fixed(4))"
    )
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Choosing λ, α, β, τ on the validation split")
/// Every selection run of the search, per model, and the settings of each stage.
var searchRuns = [String: [Selection]]()
var stageScale = [String: [[Settings]]]()
var stageBeta = [String: [[Settings]]]()
var stageMemory = [String: [Settings]]()
var chosen = [String: Settings]()
let lambdaGrid = chapter.quick ? [0.5, 2.5] : [0.5, 2.5, 12.5]
let marginGrid = chapter.quick ? [1] : [0.15, 0.5, 1]
let betaGrid = chapter.quick ? [1.0 / 3] : [0, 1.0 / 3, 2.0 / 3]
let memoryGrid = chapter.quick ? [7] : [0, 3, 7, 15]
func score(_ model: Model, _ s: Settings) -> Double {
    searchRuns[model.name]?.first { $0.method == .rambo(s) }?.score ?? .nan
}
func gridTable(
    _ model: Model, _ grid: [[Settings]], rows: String, columns: String,
    _ row: (Settings) -> String, _ column: (Settings) -> String
) {
    chapter.table(
        ["\(rows) \\ \(columns)"] + grid[0].map(column),
        grid.map { cells in [row(cells[0])] + cells.map { score(model, $0).fixed(4) } })
}
if search == "on" {
    chapter.say(
        """
        λ and α are both in score units: λ·dL/drk is how far the blackbox perturbation moves a score, α how far the
        margin moves it. So they are searched together; β and τ after. Starting from the flags
        (\(flagSettings.text)), keeping the best so far:
          1. λ_code ∈ \(lambdaGrid) × α ∈ \(marginGrid),
          2. λ_code ∈ \(lambdaGrid) × β ∈ \(betaGrid.fixed(2)),
          3. τ ∈ \(memoryGrid).
        Each cell is one selection run (seed \(chapter.seed)); its score is the smoothed validation peak.
        """)
    for model in models {
        var runs = paperSelection[model.name].map { [$0] } ?? []  // run in §4 already
        var best = flagSettings
        var bestScore = -1.0
        /// Runs every candidate not run yet; keeps the best.
        func consider(_ candidates: [Settings]) {
            // The new candidates train two at a time, one per core (independent runs: the same results).
            var fresh = [Settings]()
            for s in candidates where !fresh.contains(s) && !runs.contains(where: { $0.method == .rambo(s) }) {
                fresh.append(s)
            }
            runs += runIndependently(fresh.map { s in { select(model, .rambo(s)) } })
            for s in candidates {
                let run = runs.first { $0.method == .rambo(s) }!
                if run.score > bestScore { (best, bestScore) = (s, run.score) }
            }
        }
        consider([flagSettings])
        let scale = lambdaGrid.map { l in
            marginGrid.map { a in Settings(lambda: l, margin: a, beta: best.beta, memory: best.memory) }
        }
        consider(scale.flatMap { $0 })
        let betas = lambdaGrid.map { l in
            betaGrid.map { b in Settings(lambda: l, margin: best.margin, beta: b, memory: best.memory) }
        }
        consider(betas.flatMap { $0 })
        let memories = memoryGrid.map {
            Settings(lambda: best.lambda, margin: best.margin, beta: best.beta, memory: $0)
        }
        consider(memories)
        searchRuns[model.name] = runs
        (stageScale[model.name], stageBeta[model.name], stageMemory[model.name]) = (scale, betas, memories)
        chosen[model.name] = best

        chapter.say(
            "\n\(model.name), stage 1 (β \(scale[0][0].beta.fixed(2)), τ \(scale[0][0].memory)): validation mAP")
        gridTable(model, scale, rows: "λ_code", columns: "α", { "\($0.lambda)" }, { "\($0.margin)" })
        chapter.say("\(model.name), stage 2 (α \(betas[0][0].margin), τ \(betas[0][0].memory)):")
        gridTable(model, betas, rows: "λ_code", columns: "β", { "\($0.lambda)" }, { $0.beta.fixed(2) })
        chapter.say(
            "\(model.name), stage 3 (λ_code \(memories[0].lambda), α \(memories[0].margin), β \(memories[0].beta.fixed(2))): "
                + memories.map { "τ \($0.memory) → \(score(model, $0).fixed(4))" }.joined(separator: ", "))
        chapter.say(
            "\(model.name): chosen \(best.text), validation mAP \(bestScore.fixed(4)) (\(runs.count) runs, \(lap()))")
        let paperScore = score(model, paperSettings)
        chapter.check(
            "\(model.name): the search ends at or above the authors' settings on validation",
            bestScore >= paperScore, "\(bestScore.fixed(4)) vs \(paperScore.fixed(4))")
    }
} else {
    chapter.say("--search off: RaMBO uses the flags, \(flagSettings.text).")
    for model in models { chosen[model.name] = flagSettings }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("BCE + AP")
let weightGrid = chapter.quick ? [0.5] : [0.25, 0.5, 0.75]
chapter.say(
    """
    BCE sees every entry; the AP loss sees only orderings. (1 − w)·BCE + w·L_RaMBO (Learning.CombinedScoreLoss)
    keeps both, with the RaMBO settings chosen above. The two gradients have different scales (BCE's is divided
    by B·14, the blackbox one by λ_paper), so w is chosen on the validation split too\
    \(search == "on" ? ": w ∈ \(weightGrid)" : " (--search off: w = \(weightFlag))").
    """)
var blendSelection = [String: Selection]()
var weightRows = [[String]]()
for model in models {
    let weights = search == "on" ? weightGrid : [weightFlag]
    let settings = chosen[model.name, default: flagSettings]
    let runs = runIndependently(weights.map { w in { select(model, .blend(settings, weight: w)) } })
    blendSelection[model.name] = runs.max { $0.score < $1.score }!
    weightRows.append([model.name] + runs.map { "\($0.score.fixed(4)) @ \($0.epoch)" })
}
chapter.table(["model"] + (search == "on" ? weightGrid : [weightFlag]).map { "w = \($0)" }, weightRows)
func weightOf(_ m: Method) -> Double { if case .blend(_, let w) = m { return w } else { return .nan } }
let chosenWeights = models.map { "\($0.name) w = \(blendSelection[$0.name].map { weightOf($0.method) } ?? .nan)" }
chapter.say("chosen: " + chosenWeights.joined(separator: ", ") + "   (\(lap()))")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Test mAP: refit on all 1500 training rows, \(seeds) restart\(seeds == 1 ? "" : "s")")
chapter.say(
    """
    Each final model trains on all training rows (standardised with their own μ, σ) for as many optimiser steps
    as its selection run took to reach its validation peak, then scores the \(testCount) test genes once.
    Restarts change the initial weights and the batch order.
    """)
struct Final {
    let key: String
    let model: Model
    let label: String
    let selection: Selection
}
var finals = [Final]()
let tunedLabel = search == "on" ? "RaMBO, tuned" : "RaMBO, flags"
for model in models {
    guard let bce = bceSelection[model.name], let paper = paperSelection[model.name],
        let blend = blendSelection[model.name]
    else { continue }
    let tuned =
        searchRuns[model.name]?.first { $0.method == .rambo(chosen[model.name, default: flagSettings]) }
        ?? select(model, .rambo(chosen[model.name, default: flagSettings]))
    finals += [
        Final(key: "bce-\(model.name)", model: model, label: "BCE", selection: bce),
        Final(
            key: "rambo-ap-paper-\(model.name)", model: model, label: "RaMBO, authors' settings",
            selection: paper),
        Final(key: "rambo-ap-\(model.name)", model: model, label: tunedLabel, selection: tuned),
        Final(key: "bce+ap-\(model.name)", model: model, label: "BCE + AP", selection: blend),
    ]
}
var testMAP = [String: [Double]]()
var testLabelAP = [String: [Double]]()
var testLabelAPBySeed = [String: [[Double]]]()  // key → restart → label
var untrainedTest = [String: Double]()
for model in models {
    untrainedTest[model.name] = macroMAP(ScoreTrainer(sizes: model.sizes, seed: chapter.seed).scores(xTest), yTest)
}
for f in finals {
    var maps = [Double]()
    var perLabel = [Double](repeating: 0, count: labelCount)
    for k in 0..<seeds {
        let trainer = train(
            f.model, f.selection.method, x: xTrain, y: yTrain, steps: f.selection.epoch * stepsPerEpoch,
            seed: chapter.seed &+ UInt64(k))
        let scores = trainer.scores(xTest)
        maps.append(macroMAP(scores, yTest))
        let aps = labelAPs(scores, yTest).map { $0 ?? .nan }
        for (c, ap) in aps.enumerated() { perLabel[c] += ap / Double(seeds) }
        testLabelAPBySeed[f.key, default: []].append(aps)
    }
    testMAP[f.key] = maps
    testLabelAP[f.key] = perLabel
}
func settingsText(_ m: Method) -> String {
    switch m {
    case .bce: return "—"
    case .rambo(let s): return s.text
    case .blend(let s, let w): return "w \(w); " + s.text
    }
}
chapter.table(
    ["model", "method", "summary key", "settings", "steps", "test mAP (mean ± sd)", "restarts"],
    finals.map { f in
        [
            f.model.name, f.label, f.key, settingsText(f.selection.method), "\(f.selection.epoch * stepsPerEpoch)",
            "\(mean(testMAP[f.key, default: []]).fixed(4)) ± \(standardDeviation(testMAP[f.key, default: []]).fixed(4))",
            testMAP[f.key, default: []].fixed(3),
        ]
    })
chapter.say(
    "untrained: linear \(untrainedTest["linear", default: .nan].fixed(4)), MLP \(untrainedTest["mlp", default: .nan].fixed(4)); chance \(chanceMAP.fixed(4))   (\(lap()))"
)
for f in finals { chapter.metric("yeast", f.key, "mAP", mean(testMAP[f.key, default: []])) }
for f in finals where seeds > 1 {
    chapter.metric("yeast", f.key, "mAP-sd", standardDeviation(testMAP[f.key, default: []]))
}
for model in models {
    chapter.metric("yeast", "untrained-\(model.name)", "mAP", untrainedTest[model.name, default: .nan])
}

for f in finals {
    chapter.check(
        "\(f.key): test mAP above the untrained model's",
        mean(testMAP[f.key, default: []]) > untrainedTest[f.model.name, default: .nan] + 0.02,
        "\(untrainedTest[f.model.name, default: .nan].fixed(4)) → \(mean(testMAP[f.key, default: []]).fixed(4))")
}
/// The final with the highest mean test mAP among those whose key passes `include`.
func top(_ include: (String) -> Bool) -> (key: String, map: Double) {
    let f = finals.filter { include($0.key) }.max {
        mean(testMAP[$0.key, default: []]) < mean(testMAP[$1.key, default: []])
    }!
    return (f.key, mean(testMAP[f.key, default: []]))
}
let bestBCE = top { $0.hasPrefix("bce-") }
let bestPaper = top { $0.hasPrefix("rambo-ap-paper-") }
let bestRambo = top { $0.hasPrefix("rambo-ap-") && !$0.hasPrefix("rambo-ap-paper-") }
let bestBlend = top { $0.hasPrefix("bce+ap-") }
chapter.say(
    """

    best BCE: \(bestBCE.key) \(bestBCE.map.fixed(4)); best RaMBO, authors' settings: \(bestPaper.key) \(bestPaper.map.fixed(4));
    best \(tunedLabel): \(bestRambo.key) \(bestRambo.map.fixed(4)); best BCE + AP: \(bestBlend.key) \(bestBlend.map.fixed(4)).
    """)
if !chapter.quick && search == "on" {
    chapter.check(
        "the tuned RaMBO mAP loss reaches the best BCE test mAP", bestRambo.map >= bestBCE.map,
        "\(bestRambo.key) \(bestRambo.map.fixed(4)) vs \(bestBCE.key) \(bestBCE.map.fixed(4))")
    chapter.check(
        "tuning closes the authors' settings' gap to BCE", bestRambo.map >= bestPaper.map,
        "best RaMBO − best BCE: \((bestPaper.map - bestBCE.map).fixed(4)) with the authors' settings, "
            + "\((bestRambo.map - bestBCE.map).fixed(4)) tuned")
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Per-label AP against prevalence")
let bceMLP = testLabelAP["bce-mlp", default: Array(repeating: .nan, count: labelCount)]
let ramboMLP = testLabelAP["rambo-ap-mlp", default: Array(repeating: .nan, count: labelCount)]
chapter.table(
    ["label", "test %", "chance AP", "BCE MLP", "RaMBO MLP", "difference"],
    byPrevalence.map { c in
        [
            trainData.labelNames[c], (100 * testPrevalence[c]).fixed(1), chancePerLabel[c].fixed(3), bceMLP[c].fixed(3),
            ramboMLP[c].fixed(3), (ramboMLP[c] - bceMLP[c]).fixed(3),
        ]
    })
let rareHalf = Array(byPrevalence.prefix(labelCount / 2))
let commonHalf = Array(byPrevalence.suffix(labelCount / 2))
func meanGain(_ labels: [Int]) -> Double { labels.reduce(0) { $0 + ramboMLP[$1] - bceMLP[$1] } / Double(labels.count) }
chapter.say(
    """
    RaMBO − BCE (MLP, mean over restarts): \(meanGain(rareHalf).fixed(4)) on the 7 rarest labels, \
    \(meanGain(commonHalf).fixed(4)) on the 7 commonest.
    """)
let ramboAhead = (0..<labelCount).filter { ramboMLP[$0] > bceMLP[$0] }.count
chapter.say("RaMBO's AP is higher on \(ramboAhead) of the \(labelCount) labels.")
if !chapter.quick {
    chapter.check(
        "per-label AP is above chance for every label (both MLPs)",
        (0..<labelCount).allSatisfy { bceMLP[$0] > chancePerLabel[$0] && ramboMLP[$0] > chancePerLabel[$0] })
}
let prevalenceAxis = byPrevalence.map { testPrevalence[$0] }
chapter.plot(
    Figure(
        name: "per-label-ap",
        title: "Yeast test AP per label, MLP (mean over \(seeds) restart\(seeds == 1 ? "" : "s"))",
        width: 1000, height: 450, columns: 2,
        panels: [
            Panel(
                title: "AP vs label prevalence", xLabel: "test prevalence (log)", yLabel: "AP", logX: true,
                yRange: 0...1.05,
                series: [
                    .lines(
                        x: prevalenceAxis, y: byPrevalence.map { chancePerLabel[$0] }, title: "chance",
                        color: OkabeIto.grey, dash: 2),
                    .points(
                        x: prevalenceAxis, y: byPrevalence.map { bceMLP[$0] }, title: "BCE",
                        color: MethodPalette.color("bce"),
                        pointType: MethodPalette.style("bce").pointType, pointSize: 1),
                    .points(
                        x: prevalenceAxis, y: byPrevalence.map { ramboMLP[$0] }, title: tunedLabel,
                        color: MethodPalette.color("rambo-ap"), pointType: MethodPalette.style("rambo-ap").pointType,
                        pointSize: 1),
                ]),
            // Bars: mean over the restarts, error bars ±1 sd (none with one restart).
            Panel(
                title: "labels sorted by prevalence", xLabel: "label (rarest → commonest)", yLabel: "AP",
                xRange: 0.3...(Double(labelCount) + 0.7), yRange: 0...1.15,
                annotations: byPrevalence.enumerated().map { i, c in
                    Annotation(
                        "\((100 * testPrevalence[c]).fixed(0))%", x: Double(i + 1) - 0.3,
                        y: max(bceMLP[c], ramboMLP[c]) + 0.06)
                },
                boxWidth: 0.26,
                series: [
                    .bars(
                        x: (0..<labelCount).map { Double($0) + 1 - 0.13 },
                        seeds: byPrevalence.map { c in testLabelAPBySeed["bce-mlp", default: []].map { $0[c] } },
                        title: "BCE",
                        color: MethodPalette.color("bce"), opacity: 0.85),
                    .bars(
                        x: (0..<labelCount).map { Double($0) + 1 + 0.13 },
                        seeds: byPrevalence.map { c in testLabelAPBySeed["rambo-ap-mlp", default: []].map { $0[c] } },
                        title: tunedLabel,
                        color: MethodPalette.color("rambo-ap"), opacity: 0.85),
                    .points(
                        x: (0..<labelCount).map { Double($0) + 1 }, y: byPrevalence.map { chancePerLabel[$0] },
                        title: "chance", color: "black", pointType: 3, pointSize: 1),
                ]),
        ]), key: true)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Learning curves and the validation grid")
let colours = [
    "BCE": MethodPalette.color("bce"), "RaMBO, authors' settings": MethodPalette.color("rambo-ap-paper"),
    tunedLabel: MethodPalette.color("rambo-ap"), "BCE + AP": MethodPalette.color("bce+ap"),
]
chapter.plot(
    Figure(
        name: "learning-curves",
        title: "Validation mAP after each epoch (fit rows 1–\(fitCount), seed \(chapter.seed); epoch 0 = untrained)",
        width: 1000, height: 450, columns: 2,
        panels: models.map { model in
            Panel(
                title: model.name, xLabel: "epoch", yLabel: "validation mAP",
                series: finals.filter { $0.model.name == model.name }.map { f in
                    .lines(
                        x: (0...f.selection.curve.count).map(Double.init),
                        y: [untrainedValidation[model.name, default: .nan]] + f.selection.curve, title: f.label,
                        color: colours[f.label])
                })
        }))
/// A y range with room below the data for the key.
func roomForKey(_ values: [Double]) -> ClosedRange<Double> {
    let lo = values.min()!
    let hi = values.max()!
    let span = max(hi - lo, 0.005)
    return (lo - 0.7 * span)...(hi + 0.1 * span)
}
if search == "on" {
    var panels = [Panel]()
    for model in models {
        guard let scale = stageScale[model.name], let betas = stageBeta[model.name],
            let memories = stageMemory[model.name], let bceScore = bceSelection[model.name]?.score
        else { continue }
        panels.append(
            Panel(
                title: "\(model.name), stage 1: λ × α (β \(scale[0][0].beta.fixed(2)), τ \(scale[0][0].memory))",
                xLabel: "λ_{code} (log)", yLabel: "validation mAP", logX: true, xRange: 0.3...20,
                yRange: roomForKey(scale.flatMap { $0 }.map { score(model, $0) } + [bceScore]),
                key: .bottomRight,
                series: marginGrid.indices.map { j in
                    .linesPoints(
                        x: lambdaGrid, y: scale.map { score(model, $0[j]) }, title: "α \(marginGrid[j])",
                        pointType: 5 + 2 * j)
                } + [.constant(bceScore, title: "BCE", color: MethodPalette.color("bce"))]))
        panels.append(
            Panel(
                title: "\(model.name), stage 2: λ × β (α \(betas[0][0].margin), τ \(betas[0][0].memory))",
                xLabel: "λ_{code} (log)", yLabel: "validation mAP", logX: true, xRange: 0.3...20,
                yRange: roomForKey(betas.flatMap { $0 }.map { score(model, $0) } + [bceScore]),
                key: .bottomRight,
                series: betaGrid.indices.map { j in
                    .linesPoints(
                        x: lambdaGrid, y: betas.map { score(model, $0[j]) }, title: "β \(betaGrid[j].fixed(2))",
                        pointType: 4 + 2 * j)
                } + [.constant(bceScore, title: "BCE", color: MethodPalette.color("bce"))]))
        panels.append(
            Panel(
                title:
                    "\(model.name), stage 3: τ (λ_{code} \(memories[0].lambda), α \(memories[0].margin), β \(memories[0].beta.fixed(2)))",
                xLabel: "τ (batches)", yLabel: "validation mAP",
                yRange: roomForKey(memories.map { score(model, $0) } + [bceScore]),
                key: .bottomRight,
                series: [
                    .linesPoints(
                        x: memories.map { Double($0.memory) }, y: memories.map { score(model, $0) }, title: "RaMBO"),
                    .constant(bceScore, title: "BCE", color: MethodPalette.color("bce")),
                ]))
    }
    chapter.plot(
        Figure(
            name: "validation-grid", title: "Choosing λ, α, β, τ on the validation split (smoothed peak of each run)",
            width: 1200, height: 750, columns: 3, panels: panels))
}

chapter.finish()
