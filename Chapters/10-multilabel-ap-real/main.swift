// Chapter 10 · Multi-label mAP on real data
//
// The mAP loss of paper §4.6 on a real multi-label task: yeast (2417 genes × 103 features, 14 functional classes
// with prevalence 1.4–75 %). The metric is macro mAP, the mean over the 14 labels of the AP of each label's
// ranking of the test genes. A linear model and a small MLP are trained with binary cross-entropy (the usual
// baseline), with RaMBO's mAP loss, and with both together. Every method gets the same tuning budget (8 settings
// on the same stratified validation split, the same selection rule), the whole selection is repeated for every
// seed, and the test mAPs are compared over seeds (paired by seed), saying "level" where the seed spread cannot
// separate two methods.
import Datasets
import Foundation
import Gnuplot
import Learning
import Rambo
import RamboOfficial
import Support
import Walkthrough

let chapter = Chapter(
    "ch10",
    flags: [
        .double(
            "lambda", default: 0, in: 0...1e6,
            help: "λ in paper units (integer ranks) for every list; 0: the rule λ = n/2 per list (λ_code 0.5)"),
        .double("margin", default: 0.15, in: 0...100, help: "score margin α of the flags' RaMBO run"),
        .double("beta", default: 1.0 / 3, in: 0...1, help: "weight β of the interclass term L_APC (flags' run)"),
        .int("memory", default: 7, in: 0...100, help: "score memory τ in batches (every RaMBO run)"),
        .string(
            "search", default: "on", choices: ["on", "off"],
            help: "on: every method picks 1 of 8 settings on validation; off: the flags and BCE's defaults"),
        .string(
            "blend", default: "off", choices: ["on", "off"],
            help: "on: also BCE + AP, (1 − w)·BCE + w·AP, with its own 8 settings (half as slow again)"),
        .double("weight", default: 0.5, in: 0...1, help: "AP weight w of BCE + AP when --search off"),
        .int("epochs", default: 80, quick: 10, in: 2...10_000, help: "most epochs of a selection run"),
        .int(
            "patience", default: 15, quick: 10, in: 1...10_000,
            help: "stop a selection run this many epochs after its best"),
        .int("hidden", default: 128, quick: 32, in: 1...4096, help: "hidden units of the MLP"),
        .int("batch", default: 64, quick: 32, in: 2...500, help: "rows per mini-batch"),
        .int("seeds", default: 3, quick: 1, in: 1...100, help: "seeds: each repeats split, selection and refit"),
    ])
let lambdaFlag = chapter.double("lambda")
let marginFlag = chapter.double("margin")
let betaFlag = chapter.double("beta")
let memoryFlag = chapter.int("memory")
let weightFlag = chapter.double("weight")
let search = chapter.string("search") == "on"
let blend = chapter.string("blend") == "on"
let maxEpochs = chapter.int("epochs")
let patience = chapter.int("patience")
let hidden = chapter.int("hidden")
let batchSize = chapter.int("batch")
let seedCount = chapter.int("seeds")
/// Seed k of the run: chapter.seed, chapter.seed + 1, …
let seeds = (0..<seedCount).map { chapter.seed &+ UInt64($0) }
/// "3 seeds", "1 seed".
let seedsText = "\(seedCount) seed\(seedCount == 1 ? "" : "s")"

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Yeast: 14 labels from 1.4 % to 75 %")
let yeast: (train: MultiLabelData, test: MultiLabelData)
do { yeast = try Yeast.loadSplit() } catch {
    chapter.require(false, "\(error)")
    fatalError("unreachable: require(false) exits")
}
let labelCount = Yeast.labelCount
let testCount = chapter.quick ? 400 : yeast.test.count
let trainData = yeast.train
let testData = yeast.test.rows(0..<testCount)
chapter.check(
    "the common split: 1500 train rows, 917 test rows",
    yeast.train.count == 1500 && yeast.test.count == 917,
    "\(yeast.train.count) + \(yeast.test.count)")
let trainPrevalence = trainData.prevalences
let testPrevalence = testData.prevalences
let byPrevalence = (0..<labelCount).sorted { trainPrevalence[$0] < trainPrevalence[$1] }
chapter.table(
    ["label", "train %", "train positives", "test %", "test positives"],
    byPrevalence.map { c in
        [
            trainData.labelNames[c], (100 * trainPrevalence[c]).fixed(1), "\(trainData.labelCounts[c])",
            (100 * testPrevalence[c]).fixed(1), "\(testData.labelCounts[c])",
        ]
    })
let rarest = trainPrevalence.min()!
let commonest = trainPrevalence.max()!
let rarestCount = trainData.labelCounts.min()!
chapter.check(
    "prevalences span 1.4 % to 75 % on the training rows",
    abs(rarest - 0.014) < 0.005 && abs(commonest - 0.75) < 0.01,
    "\((100 * rarest).fixed(1)) % to \((100 * commonest).fixed(1)) %")

/// Rows 1–1500 cut into fit rows and one third for validation, stratified on each row's rarest label: the rows
/// are shuffled (seeded), sorted stably by the training prevalence of their rarest positive label, and every
/// third row goes to validation. So each label, the rarest first, has about a third of its positives there.
func stratifiedSplit(seed: UInt64) -> (fit: [Int], validation: [Int]) {
    var order = Array(0..<trainData.count)
    var generator = SplitMix64(seed: seed &+ 7919)
    seededShuffle(&order, using: &generator)
    let key = trainData.labels.map { row in
        row.indices.filter { row[$0] }.map { trainPrevalence[$0] }.min() ?? 1
    }
    let sorted = order.enumerated().sorted { (key[$0.element], $0.offset) < (key[$1.element], $1.offset) }
        .map(\.element)
    let validation = sorted.indices.filter { $0 % 3 == 2 }.map { sorted[$0] }.sorted()
    let fit = sorted.indices.filter { $0 % 3 != 2 }.map { sorted[$0] }.sorted()
    return (fit, validation)
}
/// One seed's data: its fit and validation rows, standardised with the fit rows' statistics.
struct SeedData {
    let seed: UInt64
    let xFit: Matrix
    let yFit: [[Bool]]
    let xValidation: Matrix
    let yValidation: [[Bool]]
    let validationCounts: [Int]
    let fitScaler: Standardizer
}
let fitLimit = chapter.quick ? 320 : 1000
let seedData = seeds.map { seed -> SeedData in
    let split = stratifiedSplit(seed: seed)
    let fitRows = Array(split.fit.prefix(fitLimit))
    let fitFeatures = Matrix(fitRows.map { trainData.features[$0] })
    let scaler = Standardizer(fitting: fitFeatures)
    let yValidation = split.validation.map { trainData.labels[$0] }
    return SeedData(
        seed: seed, xFit: scaler.apply(fitFeatures), yFit: fitRows.map { trainData.labels[$0] },
        xValidation: scaler.apply(Matrix(split.validation.map { trainData.features[$0] })),
        yValidation: yValidation,
        validationCounts: (0..<labelCount).map { c in yValidation.filter { $0[c] }.count }, fitScaler: scaler)
}
let fitCount = seedData[0].yFit.count
chapter.require(batchSize * 2 <= fitCount, "--batch \(batchSize) is more than half the \(fitCount) fit rows")
let validationCount = seedData[0].yValidation.count
let fewestValidation = seedData.map { $0.validationCounts.min()! }.min()!
/// The rarest label's positives in rows 1201–1500, the validation rows of a plain last-300-rows split.
let lastRowsCount = trainData.rows(1200..<1500).labelCounts[byPrevalence[0]]
chapter.say(
    """

    Split: rows 1–1500 train, 1501–2417 test (the common split; \(testCount) test rows\
    \(chapter.quick ? ", quick: a subset" : "")). For each seed the 1500 training rows are cut into \
    \(fitCount) fit rows\(chapter.quick ? " (quick: a subset of 1000)" : "") and \(validationCount) validation \
    rows, stratified on each row's rarest label, so the rarest label (\(rarestCount) training positives) has \
    \(fewestValidation) or more validation positives, not the \(lastRowsCount) that the last 300 rows hold. Every \
    method chooses \
    its settings and its epoch on this split; the chosen models are then refitted on all 1500 rows and scored \
    once on the test rows. Seeds: \(seeds.map(String.init).joined(separator: ", ")).
    """)
chapter.check(
    "every seed's validation rows hold a third of the rarest label's positives, more than the last 300 rows",
    fewestValidation >= rarestCount / 3 && fewestValidation > lastRowsCount
        && testData.labelCounts.allSatisfy { $0 > 0 },
    "fewest: \(fewestValidation) of \(rarestCount) in validation (last 300 rows: \(lastRowsCount)), "
        + "\(testData.labelCounts.min()!) in test")

let refitScaler = Standardizer(fitting: Matrix(trainData.features))
let xTrain = refitScaler.apply(Matrix(trainData.features))
let yTrain = trainData.labels
let xTest = refitScaler.apply(Matrix(testData.features))
let yTest = testData.labels
let yFit = seedData[0].yFit
func columnMoments(_ rows: [[Double]]) -> (mean: [Double], sd: [Double]) {
    let n = Double(rows.count)
    let d = rows[0].count
    let mean = (0..<d).map { j in rows.reduce(0) { $0 + $1[j] } / n }
    let sd = (0..<d).map { j in (rows.reduce(0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / n).squareRoot() }
    return (mean, sd)
}
let fitMoments = columnMoments(seedData[0].xFit.doubleRows)
let testMoments = columnMoments(xTest.doubleRows)
chapter.say(
    """

    The file's features come pre-scaled: centred, with σ ≈ 0.1 each. The initial weights (He, Glorot) and the
    learning rates assume inputs of σ ≈ 1, so each feature is standardised, z = (x − μ)/σ, with μ and σ measured
    on the rows the model is fitted on (Learning.Standardizer); validation and test rows reuse those statistics.
    """)
chapter.check(
    "raw features: |μ| < 0.02 and σ within 0.08…0.12 on the 1500 training rows",
    refitScaler.mean.allSatisfy { abs($0) < 0.02 } && refitScaler.scale.allSatisfy { (0.08...0.12).contains($0) },
    "max |μ| \(Double(refitScaler.mean.map(abs).max()!).fixed(4)), "
        + "σ \(Double(refitScaler.scale.min()!).fixed(3))…\(Double(refitScaler.scale.max()!).fixed(3))")
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
      Its usual knobs for rare labels: a positive weight p_c (the positives' terms count p_c times; PyTorch's
      pos_weight), and weight decay.

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

/// A number in at most 4 significant digits: 256, 0.5, 1280.
func short(_ x: Double) -> String { String(format: "%.4g", x) }

chapter.say(
    """

    λ's units (chapter 04). The course's λ is in paper units: integer ranks 1…n, y_λ = y + λ·dL/drk. The
    authors' code ranks on normalised ranks rk/n, so its λ_code = λ/n, and their default λ_code = 0.5 is the
    course's rule λ = n/2 (Rambo.defaultLambda). The two terms rank lists of different lengths, so the rule gives
    each list its own λ (--lambda 0, the default); a positive --lambda fixes λ for both lists.
    """)
/// RaMBO's settings for one run.
struct RankSettings: Hashable {
    /// λ in paper units for every list; 0: `ruleMultiple` · n/2 on a list of n items (the rule).
    var lambda: Double
    var ruleMultiple: Double = 1
    /// α.
    var margin: Double
    /// β.
    var beta: Double
    /// τ.
    var memory: Int
    var lambdaName: String {
        lambda > 0 ? "λ \(short(lambda))" : ruleMultiple == 1 ? "λ n/2" : "λ \(short(ruleMultiple))·n/2"
    }
    var text: String { "\(lambdaName), α \(margin), β \(beta.fixed(2)), τ \(memory)" }
}
/// The length of L_mAP's per-label lists (batch and memory) and of L_APC's flattened batch.
func classLength(_ s: RankSettings) -> Int { batchSize * (1 + s.memory) }
let flatLength = batchSize * labelCount
/// λ in paper units on a list of `n` items.
func lambda(_ s: RankSettings, length n: Int) -> Double {
    s.lambda > 0 ? s.lambda : s.ruleMultiple * defaultLambda(length: n)
}
let flagSettings = RankSettings(lambda: lambdaFlag, margin: marginFlag, beta: betaFlag, memory: memoryFlag)
let authorsSettings = RankSettings(lambda: 0, margin: 0.15, beta: 1.0 / 3, memory: 7)
chapter.table(
    ["term", "list length n", "λ (flags)"],
    [
        [
            "L_mAP", "B·(1+τ) = \(batchSize)·\(1 + flagSettings.memory) = \(classLength(flagSettings))",
            lambdaText(lambda(flagSettings, length: classLength(flagSettings)), length: classLength(flagSettings)),
        ],
        [
            "L_APC", "B·14 = \(flatLength)",
            lambdaText(lambda(flagSettings, length: flatLength), length: flatLength),
        ],
    ])
if lambdaFlag == 0 {
    chapter.check(
        "the rule λ = n/2 is the authors' λ_code = 0.5 on both lists",
        codeLambda(
            fromPaper: lambda(flagSettings, length: classLength(flagSettings)),
            length: classLength(flagSettings)) == 0.5
            && codeLambda(fromPaper: lambda(flagSettings, length: flatLength), length: flatLength) == 0.5)
}

/// BCE's settings for one run.
struct BCESettings: Hashable {
    /// The learning rate as a multiple of the model's base rate.
    var rateFactor: Float
    /// Decoupled weight decay (AdamW): after every Adam step each parameter is multiplied by 1 − lr·decay.
    var decay: Float
    /// p_c = √(negatives/positives) of label c on the rows trained on; false: p_c = 1 (plain BCE).
    var positiveWeights: Bool
    var text: String {
        "lr ×\(short(Double(rateFactor))), decay \(short(Double(decay))), p_c \(positiveWeights ? "√(N−/N+)" : "1")"
    }
}
/// BCE with a weight p_c on the positives' terms of label c (PyTorch's pos_weight), mean over the B·C entries:
///     ℓ = p_c·t·log(1 + e^{−z}) + (1 − t)·log(1 + e^{z}),   dℓ/dz = (1 − t)·σ(z) − p_c·t·(1 − σ(z)).
/// With every p_c = 1 it is BCE. O(B·C).
struct WeightedBCELoss: ScoreLoss {
    let positiveWeights: [Double]
    mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix) {
        let count = Double(scores.storage.count)
        var gradient = scores
        var loss = 0.0
        for b in 0..<scores.rows {
            for c in 0..<scores.cols {
                let k = b * scores.cols + c
                let z = Double(scores.storage[k])
                let softplus = max(z, 0) + log1p(exp(-abs(z)))  // log(1 + e^z)
                let sigmoid = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
                if targets[b][c] {
                    loss += positiveWeights[c] * (softplus - z)
                    gradient.storage[k] = Float(-positiveWeights[c] * (1 - sigmoid) / count)
                } else {
                    loss += softplus
                    gradient.storage[k] = Float(sigmoid / count)
                }
            }
        }
        return (loss / count, gradient)
    }
}
/// p_c = √(N−/N+) for each label on `targets` (1 for a label without positives).
func positiveWeights(_ targets: [[Bool]]) -> [Double] {
    (0..<labelCount).map { c in
        let positives = targets.filter { $0[c] }.count
        return positives == 0 ? 1 : (Double(targets.count - positives) / Double(positives)).squareRoot()
    }
}
var plainBCE = BCEScoreLoss()
var unitWeights = WeightedBCELoss(positiveWeights: Array(repeating: 1, count: labelCount))
let plain = plainBCE.evaluate(scores: probe, targets: probeTargets)
let weighted = unitWeights.evaluate(scores: probe, targets: probeTargets)
chapter.check(
    "weighted BCE with every p_c = 1 is BCE (loss and gradient)",
    abs(plain.loss - weighted.loss) < 1e-12 && plain.gradient.storage == weighted.gradient.storage,
    "\(plain.loss.fixed(6)) vs \(weighted.loss.fixed(6))")
let fitWeights = positiveWeights(yFit)
chapter.say(
    "p_c = √(N−/N+) on seed \(seeds[0])'s fit rows: \(byPrevalence.first.map { fitWeights[$0] }!.fixed(1)) for the "
        + "rarest label … \(byPrevalence.last.map { fitWeights[$0] }!.fixed(2)) for the commonest.")

/// The loss a run trains with.
enum Method: Hashable {
    case bce(BCESettings)
    case rambo(RankSettings)
    /// (1 − w)·BCE + w·RaMBO.
    case blend(RankSettings, weight: Double)
    var text: String {
        switch self {
        case .bce(let b): return b.text
        case .rambo(let s): return s.text
        case .blend(let s, let w): return "w \(w); " + s.text
        }
    }
}
func rankLoss(_ s: RankSettings) -> any ScoreLoss {
    let perLabel = MAPScoreLoss(
        loss: MAPLoss(lambda: lambda(s, length: classLength(s)), margin: s.margin), memorySize: s.memory)
    let flat = MAPScoreLoss(loss: MAPLoss(lambda: lambda(s, length: flatLength), margin: s.margin, interclass: 1))
    if s.beta == 0 { return perLabel }
    if s.beta == 1 { return flat }
    return CombinedScoreLoss(perLabel, flat, weight: s.beta)
}
/// The loss of `method` for a run on `targets` (BCE's positive weights come from them).
func makeLoss(_ method: Method, targets: [[Bool]]) -> any ScoreLoss {
    switch method {
    case .bce(let b):
        return b.positiveWeights ? WeightedBCELoss(positiveWeights: positiveWeights(targets)) : BCEScoreLoss()
    case .rambo(let s): return rankLoss(s)
    case .blend(let s, let w): return CombinedScoreLoss(BCEScoreLoss(), AnyScoreLoss(rankLoss(s)), weight: w)
    }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("One budget for every method: the same settings count on the same split")
struct Model: Sendable {
    let name: String
    let sizes: [Int]
    let learningRate: Float
}
let linear = Model(name: "linear", sizes: [Yeast.featureCount, labelCount], learningRate: 3e-3)
let mlp = Model(name: "mlp", sizes: [Yeast.featureCount, hidden, labelCount], learningRate: 1e-3)
let models = [linear, mlp]
/// One training run: mAP on the evaluation rows after every epoch, and the last epoch's AP per label.
struct Run: Sendable {
    let curve: [Double]
    let labelAPs: [Double]
}
/// Trains `model` with `method` on (x, y) for `epochs` epochs, weights drawn from `seed`, batches from
/// `seed + 1000` (so seed i of every method shares initialisation and batches), and scores (xEval, yEval) after
/// every epoch. O(epochs · (rows/B) · the cost of a step).
/// With `patience`, the run stops once its best epoch is `patience` epochs behind (early stopping).
func run(
    _ model: Model, _ method: Method, x: Matrix, y: [[Bool]], xEval: Matrix, yEval: [[Bool]], epochs: Int,
    patience: Int? = nil, seed: UInt64
) -> Run {
    var rate = model.learningRate
    var decay: Float = 0
    if case .bce(let b) = method { (rate, decay) = (rate * b.rateFactor, b.decay) }
    let trainer = ScoreTrainer(sizes: model.sizes, learningRate: rate, seed: seed)
    var loss = AnyScoreLoss(makeLoss(method, targets: y))
    var sampler = MinibatchSampler(count: x.rows, batchSize: batchSize, dropLast: true, seed: seed &+ 1000)
    let shrink = 1 - rate * decay
    var curve = [Double]()
    var best = 0
    var last = Matrix(rows: 0, cols: 0)
    for _ in 0..<epochs {
        for batch in sampler.epoch() {
            trainer.step(inputs: x.rows(batch), targets: batch.map { y[$0] }, loss: &loss)
            guard decay > 0 else { continue }
            trainer.model.updateParameters { _, value, _ in
                for k in value.storage.indices { value.storage[k] *= shrink }
            }
        }
        last = trainer.scores(xEval)
        curve.append(macroMAP(last, yEval))
        if curve.last! > curve[best] { best = curve.count - 1 }
        if let patience, curve.count - 1 - best >= patience { break }
    }
    return Run(curve: curve, labelAPs: labelAPs(last, yEval).map { $0 ?? .nan })
}
/// A selection run's score: the peak of its validation curve smoothed over 5 epochs, and that epoch (1-based).
struct Candidate {
    let method: Method
    let curve: [Double]
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
func candidate(_ method: Method, _ run: Run) -> Candidate {
    let smooth = smoothed(run.curve)
    let best = smooth.indices.max { smooth[$0] < smooth[$1] }!
    return Candidate(method: method, curve: run.curve, score: smooth[best], epoch: best + 1)
}

let defaultBCE = BCESettings(rateFactor: 1, decay: 0, positiveWeights: false)
let decayGrid: [Float] = [0, 1]
let bceGrid: [Method]
let ramboGrid: [Method]
let blendGrid: [Method]
if !search {
    bceGrid = [.bce(defaultBCE)]
    ramboGrid = [.rambo(flagSettings)]
    blendGrid = blend ? [.blend(flagSettings, weight: weightFlag)] : []
} else if chapter.quick {
    bceGrid = [1, 3].map { .bce(BCESettings(rateFactor: $0, decay: 0, positiveWeights: false)) }
    ramboGrid = [0.15, 1].map { .rambo(RankSettings(lambda: 0, margin: $0, beta: 1.0 / 3, memory: memoryFlag)) }
    blendGrid =
        !blend
        ? []
        : [0.25, 0.75].map {
            .blend(RankSettings(lambda: 0, margin: 1, beta: betaFlag, memory: memoryFlag), weight: $0)
        }
} else {
    bceGrid = [1, 3].flatMap { rate in
        decayGrid.flatMap { decay in
            [false, true].map { .bce(BCESettings(rateFactor: rate, decay: decay, positiveWeights: $0)) }
        }
    }
    ramboGrid = [1, 5].flatMap { multiple in
        [0.15, 1].flatMap { margin in
            [1.0 / 3, 2.0 / 3].map {
                .rambo(RankSettings(lambda: 0, ruleMultiple: multiple, margin: margin, beta: $0, memory: memoryFlag))
            }
        }
    }
    blendGrid =
        !blend
        ? []
        : [0.25, 0.75].flatMap { w in
            [1, 5].flatMap { multiple in
                [0.15, 1].map {
                    .blend(
                        RankSettings(lambda: 0, ruleMultiple: multiple, margin: $0, beta: betaFlag, memory: memoryFlag),
                        weight: w)
                }
            }
        }
}
/// A method family and the settings it chooses from.
struct Family {
    let key: String
    let label: String
    /// The first letter of its settings' ids (B1, B2, …) in the tables and figure.
    let tag: String
    let grid: [Method]
}
let families =
    [
        Family(key: "bce", label: "BCE", tag: "B", grid: bceGrid),
        Family(key: "rambo-ap", label: search ? "RaMBO, tuned" : "RaMBO", tag: "R", grid: ramboGrid),
    ] + (blend ? [Family(key: "bce+ap", label: "BCE + AP", tag: "C", grid: blendGrid)] : [])
let flagsMethod = Method.rambo(flagSettings)
let flagsAreAuthors = flagSettings == authorsSettings
let flagsKey = flagsAreAuthors ? "rambo-ap-paper" : "rambo-ap-flags"
let flagsLabel = flagsAreAuthors ? "RaMBO, authors' settings" : "RaMBO, flags"
let budget = bceGrid.count
chapter.say(
    """
    Models: linear 103→14 (Adam 3e-3) and MLP 103→\(hidden)→14 with ReLU (Adam 1e-3); batches of \(batchSize) rows,
    shuffled each epoch (the last partial batch dropped, so every list has the same length).

    The rule every method follows, on every seed: each of its \(budget) setting\(budget == 1 ? "" : "s") trains on \
    the seed's \(fitCount) fit rows for up to \(maxEpochs) epochs and records validation mAP after each; a \
    setting's score is the peak of that curve smoothed over 5 epochs, and the setting with the best score wins, \
    with its epoch. A run stops early once its best epoch is \(patience) epochs behind (the same for every \
    method). \(search ? "The grids:" : "--search off: one setting per method:")
    """)
chapter.table(
    ["method", "settings"],
    families.map { f in [f.label, f.grid.map(\.text).joined(separator: " | ")] })
if search {
    chapter.say(
        """
        BCE's knobs are the ones a practitioner tunes for rare labels: learning rate, weight decay (decoupled,
        AdamW: each step multiplies the weights by 1 − lr·decay) and the positive weight. RaMBO's are λ (the rule
        and 5× it: the paper's Table 8 keeps λ within a factor 5), α (the authors' 0.15 and 1) and β (their 1/3,
        and 2/3); τ = \(memoryFlag) (--memory) throughout. BCE + AP searches w with λ and α (β \(betaFlag.fixed(2)), \
        τ \(memoryFlag), with --blend on). \(flagsLabel) (\(flagSettings.text)) is \
        \(ramboGrid.contains(flagsMethod) ? "one of RaMBO's settings" : "run beside the grid, not a candidate"); \
        it shows what the search adds.
        """)
}
let methodsRun = bceGrid + ramboGrid + blendGrid + (ramboGrid.contains(flagsMethod) ? [] : [flagsMethod])
/// A selection run: seed index, model index, method.
struct RunKey: Hashable {
    let seed: Int
    let model: Int
    let method: Method
}
var selectionKeys = [RunKey]()
for m in models.indices.reversed() {  // the MLP's longer runs first, so both cores finish together
    for i in seedData.indices {
        for method in methodsRun { selectionKeys.append(RunKey(seed: i, model: m, method: method)) }
    }
}
let selectionRuns = runIndependently(
    selectionKeys.map { key in
        { @Sendable () -> Run in
            let d = seedData[key.seed]
            return run(
                models[key.model], key.method, x: d.xFit, y: d.yFit, xEval: d.xValidation, yEval: d.yValidation,
                epochs: maxEpochs, patience: patience, seed: d.seed)
        }
    })
var candidates = [RunKey: Candidate]()
for (key, result) in zip(selectionKeys, selectionRuns) { candidates[key] = candidate(key.method, result) }
/// The winner of a family's grid on seed i for model m (the first of equal scores).
func chosen(_ family: Family, seed i: Int, model m: Int) -> Candidate {
    family.grid.map { candidates[RunKey(seed: i, model: m, method: $0)]! }.enumerated()
        .max { ($0.element.score, -$0.offset) < ($1.element.score, -$1.offset) }!.element
}
func flagsCandidate(seed i: Int, model m: Int) -> Candidate {
    candidates[RunKey(seed: i, model: m, method: flagsMethod)]!
}
var untrainedValidation = [[Double]]()  // model → seed
for model in models {
    untrainedValidation.append(
        seedData.map { d in
            macroMAP(ScoreTrainer(sizes: model.sizes, seed: d.seed).scores(d.xValidation), d.yValidation)
        })
}
for (m, model) in models.enumerated() {
    chapter.say(
        "\n\(model.name): validation mAP of every setting over \(seedsText)")
    var rows = [[String]]()
    for family in families {
        for method in family.grid {
            let scores = seedData.indices.map { candidates[RunKey(seed: $0, model: m, method: method)]!.score }
            let epochs = seedData.indices.map { candidates[RunKey(seed: $0, model: m, method: method)]!.epoch }
            let wins = seedData.indices.filter { chosen(family, seed: $0, model: m).method == method }.count
            rows.append([
                family.label, "\(family.tag)\(family.grid.firstIndex(of: method)! + 1)", method.text,
                meanAndSD(scores, digits: 4),
                epochs.map(String.init).joined(separator: ", "),
                wins == 0 ? "" : "\(wins)",
            ])
        }
    }
    if !ramboGrid.contains(flagsMethod) {
        let scores = seedData.indices.map { flagsCandidate(seed: $0, model: m).score }
        rows.append([flagsLabel, "", flagsMethod.text, meanAndSD(scores, digits: 4), "", "—"])
    }
    chapter.table(["method", "id", "setting", "validation mAP", "epoch per seed", "chosen (seeds)"], rows)
    let picks = families.flatMap { f in seedData.indices.map { chosen(f, seed: $0, model: m) } }
    let atCap = picks.filter { $0.epoch > maxEpochs - 3 }.count
    chapter.say(
        "untrained: \(meanAndSD(untrainedValidation[m], digits: 4)); \(atCap) of the \(picks.count) chosen runs "
            + "peaked in the last 3 of the \(maxEpochs) epochs (more epochs might have helped them).")
    for family in families {
        let picks = seedData.indices.map { chosen(family, seed: $0, model: m) }
        let learnt = zip(picks, untrainedValidation[m]).allSatisfy { $0.score > $1 + 0.02 }
        if family.key == "bce" || search {
            chapter.check(
                "\(model.name), \(family.label): the chosen setting lifts validation mAP above the untrained model",
                learnt,
                "untrained \(meanAndSD(untrainedValidation[m], digits: 4)) → "
                    + meanAndSD(picks.map(\.score), digits: 4)
            )
        }
    }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Test mAP: refit on rows 1–1500, \(seedsText)")
chapter.say(
    """
    Each seed's chosen models train on all 1500 training rows (standardised with their own μ, σ) for the epochs
    their selection run chose, with the seed's initial weights and batches, and score the \(testCount) test genes
    once. Seed i of every method shares the split, the initial weights and the batch order, so the methods are
    compared seed by seed (Support.compareOverSeeds: the 95 % interval of the paired differences; "level" when it
    holds 0). The spread includes the selection's own: every seed chooses again on its own split.
    """)
/// A method in the test table.
struct Final {
    let key: String
    let label: String
    let pick: (_ seed: Int, _ model: Int) -> Candidate
}
var finals = [Final(key: "bce", label: "BCE") { chosen(families[0], seed: $0, model: $1) }]
finals.append(Final(key: flagsKey, label: flagsLabel) { flagsCandidate(seed: $0, model: $1) })
if search { finals.append(Final(key: "rambo-ap", label: "RaMBO, tuned") { chosen(families[1], seed: $0, model: $1) }) }
if blend { finals.append(Final(key: "bce+ap", label: "BCE + AP") { chosen(families[2], seed: $0, model: $1) }) }
/// A refit: seed index, model index, method and epochs (equal keys are run once).
struct RefitKey: Hashable {
    let seed: Int
    let model: Int
    let method: Method
    let epochs: Int
}
var refitKeys = [RefitKey]()
for m in models.indices.reversed() {
    for i in seedData.indices {
        for f in finals {
            let c = f.pick(i, m)
            let key = RefitKey(seed: i, model: m, method: c.method, epochs: c.epoch)
            if !refitKeys.contains(key) { refitKeys.append(key) }
        }
    }
}
let refitRuns = runIndependently(
    refitKeys.map { key in
        { @Sendable () -> Run in
            run(
                models[key.model], key.method, x: xTrain, y: yTrain, xEval: xTest, yEval: yTest, epochs: key.epochs,
                seed: seedData[key.seed].seed)
        }
    })
var refits = [RefitKey: Run]()
for (key, result) in zip(refitKeys, refitRuns) { refits[key] = result }
func refit(_ f: Final, seed i: Int, model m: Int) -> Run {
    let c = f.pick(i, m)
    return refits[RefitKey(seed: i, model: m, method: c.method, epochs: c.epoch)]!
}
/// Test mAP per seed of final `f` on model `m`.
func testMAPs(_ f: Final, _ m: Int) -> [Double] { seedData.indices.map { refit(f, seed: $0, model: m).curve.last! } }
var untrainedTest = [[Double]]()
for model in models {
    untrainedTest.append(
        seedData.map { macroMAP(ScoreTrainer(sizes: model.sizes, seed: $0.seed).scores(xTest), yTest) })
}
var testRows = [[String]]()
for (m, model) in models.enumerated() {
    for f in finals {
        let maps = testMAPs(f, m)
        testRows.append([
            model.name, f.label, "\(f.key)-\(model.name)", f.pick(0, m).method.text,
            seedData.indices.map { "\(f.pick($0, m).epoch)" }.joined(separator: ", "), meanAndSD(maps, digits: 4),
            maps.fixed(3),
        ])
        chapter.metric("yeast", "\(f.key)-\(model.name)", "mAP", mean(maps))
        if seeds.count > 1 { chapter.metric("yeast", "\(f.key)-\(model.name)", "mAP-sd", standardDeviation(maps)) }
    }
    chapter.metric("yeast", "untrained-\(model.name)", "mAP", mean(untrainedTest[m]))
}
chapter.table(
    ["model", "method", "summary key", "settings (seed \(seeds[0]))", "epochs", "test mAP (mean ± sd)", "per seed"],
    testRows)
chapter.say(
    "untrained: linear \(meanAndSD(untrainedTest[0], digits: 4)), MLP \(meanAndSD(untrainedTest[1], digits: 4)); "
        + "chance \(chanceMAP.fixed(4))")
for (m, model) in models.enumerated() {
    for f in finals where f.key == "bce" || (f.key == flagsKey ? flagsAreAuthors : search) {
        chapter.check(
            "\(f.key)-\(model.name): test mAP above the untrained model's",
            mean(testMAPs(f, m)) > mean(untrainedTest[m]) + 0.02,
            "\(mean(untrainedTest[m]).fixed(4)) → \(mean(testMAPs(f, m)).fixed(4))")
    }
}
let bceFinal = finals[0]
let flagsFinal = finals[1]
let tunedFinal = finals.first { $0.key == "rambo-ap" } ?? flagsFinal
/// The comparisons the chapter reads out: (first, second).
var comparisons = [(tunedFinal, bceFinal)]
if search { comparisons.append((tunedFinal, flagsFinal)) }
if let blendFinal = finals.first(where: { $0.key == "bce+ap" }) { comparisons.append((blendFinal, bceFinal)) }
chapter.say("")
var verdicts = [String: SeedVerdict]()  // "first|second|model"
for (m, model) in models.enumerated() {
    for (a, b) in comparisons {
        let (x, y) = (testMAPs(a, m), testMAPs(b, m))
        verdicts["\(a.key)|\(b.key)|\(model.name)"] = compareOverSeeds(x, y).verdict
        chapter.say("\(model.name): " + seedVerdictText(a.label, b.label, x, y, digits: 4))
    }
}
/// "BCE ahead", "level", … for a verdict of `first` against `second`.
func verdictWords(_ verdict: SeedVerdict, _ first: String, _ second: String) -> String {
    switch verdict {
    case .firstAhead: return "\(first) ahead"
    case .secondAhead: return "\(second) ahead"
    case .level: return "level"
    }
}
if search && !chapter.quick {
    for model in models {
        let versusBCE = verdicts["\(tunedFinal.key)|\(bceFinal.key)|\(model.name)"]!
        chapter.check(
            "\(model.name): with the same budget, the tuned RaMBO loss is not ahead of BCE", versusBCE != .firstAhead,
            verdictWords(versusBCE, tunedFinal.label, bceFinal.label))
        if flagsAreAuthors {
            let versusAuthors = verdicts["\(tunedFinal.key)|\(flagsFinal.key)|\(model.name)"]!
            chapter.check(
                "\(model.name): tuning does not leave RaMBO behind the authors' settings",
                versusAuthors != .secondAhead, verdictWords(versusAuthors, tunedFinal.label, flagsFinal.label))
        }
    }
}
/// The bars' x positions: one group per model, one bar per final.
let barWidth = 0.8 / Double(finals.count)
func barX(_ f: Int, _ m: Int) -> Double { Double(m) + 1 + (Double(f) - Double(finals.count - 1) / 2) * barWidth }
func ink(_ key: String) -> Ink { .method(key == "rambo-ap-flags" ? "rambo-ap-paper" : key) }
let allMAPs = models.indices.flatMap { m in finals.flatMap { testMAPs($0, m) } }
let differencePanelFinals = Array(finals.dropFirst())
let mapSpread = max(0.01, allMAPs.max()! - allMAPs.min()!)
chapter.plot(
    Figure(
        name: "test-map",
        caption: """
            Left: each final's test mAP after refitting, mean ± 1 sd over \(seedsText) (dots; grey circles are the \
            seeds), on an axis zoomed to the methods' range. Right: each final minus BCE, paired by seed, with its \
            95 % interval: an interval that holds 0 (BCE's line) means level.
            """,
        title: "Yeast test mAP after refitting, \(seedsText) (each seed selects again)",
        width: 1000, height: 500, columns: 2,
        panels: [
            Panel(
                title: "test mAP (axis not from 0)", xLabel: "model", yLabel: "test mAP",
                xRange: 0.4...2.6,
                yRange: (allMAPs.min()! - 0.15 * mapSpread)...min(1, allMAPs.max()! + 0.15 * mapSpread),
                probability: .y, key: .below,
                xTicks: models.enumerated().map { (label: $0.element.name, at: Double($0.offset) + 1) },
                series: finals.enumerated().map { j, f in
                    let values = models.indices.map { testMAPs(f, $0) }
                    return .errorBars(
                        x: models.indices.map { barX(j, $0) }, y: values.map { mean($0) },
                        err: values.map { $0.count > 1 ? standardDeviation($0) : 0 }, title: f.label, ink: ink(f.key),
                        pointSize: 1.2)
                } + [
                    .points(
                        x: finals.indices.flatMap { j in
                            models.indices.flatMap { m in testMAPs(finals[j], m).map { _ in barX(j, m) + 0.06 } }
                        },
                        y: finals.flatMap { f in models.indices.flatMap { testMAPs(f, $0) } }, title: "one seed",
                        ink: .role(.oneSeed), pointSize: 0.7)
                ]),
            Panel(
                title: "paired difference to BCE, 95 % interval", xLabel: "model",
                yLabel: "test mAP − BCE's", xRange: 0.4...2.6, key: .below,
                xTicks: models.enumerated().map { (label: $0.element.name, at: Double($0.offset) + 1) },
                series: [.constant(0, title: "BCE (level)", ink: .method("bce"), lineWidth: 1)]
                    + differencePanelFinals.enumerated().map { j, f in
                        let intervals = models.indices.map {
                            compareOverSeeds(testMAPs(f, $0), testMAPs(bceFinal, $0)).difference
                        }
                        return .errorBars(
                            x: models.indices.map { barX(j + 1, $0) }, y: intervals.map(\.mean),
                            err: intervals.map(\.halfWidth), title: f.label, ink: ink(f.key), pointSize: 1.2)
                    }),
        ]), key: true)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Per-label AP against prevalence")
/// AP per label of final `f` on model `m`: seed → label.
func labelAPsBySeed(_ f: Final, _ m: Int) -> [[Double]] {
    seedData.indices.map { refit(f, seed: $0, model: m).labelAPs }
}
let bceMLPBySeed = labelAPsBySeed(bceFinal, 1)
let ramboMLPBySeed = labelAPsBySeed(tunedFinal, 1)
let bceMLP = (0..<labelCount).map { c in mean(bceMLPBySeed.map { $0[c] }) }
let ramboMLP = (0..<labelCount).map { c in mean(ramboMLPBySeed.map { $0[c] }) }
chapter.table(
    ["label", "test %", "chance AP", "BCE MLP", "\(tunedFinal.label) MLP", "difference"],
    byPrevalence.map { c in
        [
            trainData.labelNames[c], (100 * testPrevalence[c]).fixed(1), chancePerLabel[c].fixed(3),
            meanAndSD(bceMLPBySeed.map { $0[c] }), meanAndSD(ramboMLPBySeed.map { $0[c] }),
            (ramboMLP[c] - bceMLP[c]).fixed(3),
        ]
    })
let rareHalf = Array(byPrevalence.prefix(labelCount / 2))
let commonHalf = Array(byPrevalence.suffix(labelCount / 2))
func meanGain(_ labels: [Int]) -> Double { labels.reduce(0) { $0 + ramboMLP[$1] - bceMLP[$1] } / Double(labels.count) }
let ramboAhead = (0..<labelCount).filter { ramboMLP[$0] > bceMLP[$0] }.count
chapter.say(
    """
    \(tunedFinal.label) − BCE (MLP, mean over seeds): \(meanGain(rareHalf).fixed(4)) on the 7 rarest labels, \
    \(meanGain(commonHalf).fixed(4)) on the 7 commonest; RaMBO's AP is higher on \(ramboAhead) of the \
    \(labelCount) labels. The rarest label has \(testData.labelCounts[byPrevalence[0]]) test positives: its AP \
    moves by a few hundredths from one seed to the next.
    """)
let aboveChance = (0..<labelCount).filter { bceMLP[$0] > chancePerLabel[$0] }.count
chapter.check(
    "BCE's MLP beats chance AP on most labels (at least 10 of 14)", aboveChance >= 10,
    "\(aboveChance) of \(labelCount)")
let prevalenceAxis = byPrevalence.map { testPrevalence[$0] }
chapter.plot(
    Figure(
        name: "per-label-ap",
        caption: """
            Test AP of every yeast label for BCE and the tuned RaMBO mAP loss (MLP, mean over \(seedsText)), \
            against the label's prevalence (left, with chance as the dashed line) and label by label, rarest first, \
            with ±1 sd over seeds (right): look for the labels where the two bars differ.
            """,
        title: "Yeast test AP per label, MLP (mean over \(seedsText))",
        width: 1000, height: 480, columns: 2,
        panels: [
            Panel(
                title: "AP vs label prevalence", xLabel: "test prevalence (log)", yLabel: "AP", logX: true,
                probability: .y,
                series: [
                    .lines(
                        x: prevalenceAxis, y: byPrevalence.map { chancePerLabel[$0] }, title: "chance",
                        ink: .role(.chance)),
                    .points(
                        x: prevalenceAxis, y: byPrevalence.map { bceMLP[$0] }, title: "BCE", ink: .method("bce"),
                        pointSize: 1),
                    .points(
                        x: prevalenceAxis, y: byPrevalence.map { ramboMLP[$0] }, title: tunedFinal.label,
                        ink: ink(tunedFinal.key), pointSize: 1),
                ]),
            // Bars: mean over the seeds, error bars ±1 sd (none with one seed); each label named by its prevalence.
            Panel(
                title: "each label, rarest first", xLabel: "label, by its test prevalence", yLabel: "AP",
                xRange: 0.3...(Double(labelCount) + 0.7), probability: .y, key: .topLeft, boxWidth: 0.26,
                xTicks: byPrevalence.enumerated().map { i, c in
                    (label: "\((100 * testPrevalence[c]).fixed(0))%", at: Double(i + 1))
                },
                series: [
                    .bars(
                        x: (0..<labelCount).map { Double($0) + 1 - 0.13 },
                        seeds: byPrevalence.map { c in bceMLPBySeed.map { $0[c] } }, title: "BCE",
                        ink: .method("bce"), opacity: 0.85),
                    .bars(
                        x: (0..<labelCount).map { Double($0) + 1 + 0.13 },
                        seeds: byPrevalence.map { c in ramboMLPBySeed.map { $0[c] } }, title: tunedFinal.label,
                        ink: ink(tunedFinal.key), opacity: 0.85),
                    .points(
                        x: (0..<labelCount).map { Double($0) + 1 }, y: byPrevalence.map { chancePerLabel[$0] },
                        title: "chance", ink: .role(.chance), pointSize: 1.2),
                ]),
        ]))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Learning curves of the final runs, and the selection")
let curveValues = models.indices.flatMap { m in
    finals.flatMap { [untrainedTest[m][0]] + refit($0, seed: 0, model: m).curve }
}
chapter.plot(
    Figure(
        name: "learning-curves",
        caption: """
            The refitted final runs of seed \(seeds[0]): test mAP after each epoch, up to the epoch the selection \
            chose on the validation rows; shown only, never used to choose. The linear model (left) and the MLP \
            (right) share one axis.
            """,
        title: "Final runs (rows 1–1500, seed \(seeds[0])): test mAP per epoch, shown only, never used to choose",
        width: 1000, height: 520, columns: 2, shared: .y,
        panels: models.enumerated().map { m, model in
            Panel(
                title: model.name, xLabel: "epoch", yLabel: "test mAP",
                yRange: max(0, curveValues.min()! - 0.02)...min(1, curveValues.max()! + 0.02), probability: .y,
                key: .below,
                series: finals.map { f in
                    let curve = refit(f, seed: 0, model: m).curve
                    return .linesPoints(
                        x: (0...curve.count).map(Double.init), y: [untrainedTest[m][0]] + curve,
                        title: "\(f.label) (stops at \(curve.count))", ink: ink(f.key))
                })
        }))
chapter.say(
    """
    The curves above are the refitted models, each stopped at the epoch its selection chose on the validation
    rows. The selection itself is in the tables of §4 and in figure validation-grid: every setting's smoothed
    validation peak, mean ± sd over the seeds' splits.
    """)
// A horizontal dot plot: one row per setting, named in full (id and knobs), so the figure reads without the log.
let gridRows = families.flatMap { f in f.grid.indices.map { (family: f, index: $0) } }
let gridScores = candidates.map(\.value.score) + models.indices.map { mean(untrainedValidation[$0]) }
let gridSpread = max(0.01, gridScores.max()! - gridScores.min()!)
chapter.plot(
    Figure(
        name: "validation-grid",
        caption: """
            Every setting's validation mAP (the smoothed peak of its curve), mean ± 1 sd over the seeds' splits, \
            one row per setting with its knobs: B are BCE's settings, R RaMBO's\(blend ? ", C the blend's" : ""). The \
            selection picks each method's rightmost row; the dashed line is the untrained model.
            """,
        title: "Every setting's validation mAP (smoothed peak), mean ± 1 sd over \(seedsText)",
        width: 1000, height: 260 + 2 * 26 * gridRows.count, columns: 1, shared: .x,
        panels: models.enumerated().map { m, model in
            Panel(
                title: "\(model.name)", xLabel: "validation mAP (axis not from 0)",
                xRange: max(0, gridScores.min()! - 0.1 * gridSpread)...min(1, gridScores.max()! + 0.1 * gridSpread),
                yRange: -Double(gridRows.count)...0, probability: .x, key: .none,
                yTicks: gridRows.enumerated().map { r, row in
                    (
                        label: "\(row.family.tag)\(row.index + 1)  \(row.family.grid[row.index].text)",
                        at: -Double(r) - 0.5
                    )
                },
                series: families.map { f in
                    let rows = gridRows.indices.filter { gridRows[$0].family.tag == f.tag }
                    let scores = rows.map { r in
                        seedData.indices.map {
                            candidates[RunKey(seed: $0, model: m, method: f.grid[gridRows[r].index])]!.score
                        }
                    }
                    return .xErrorBars(
                        x: scores.map { mean($0) }, y: rows.map { -Double($0) - 0.5 },
                        err: scores.map { $0.count > 1 ? standardDeviation($0) : 0 }, title: f.label, ink: ink(f.key),
                        pointSize: 1.1)
                } + [
                    .lines(
                        x: [mean(untrainedValidation[m]), mean(untrainedValidation[m])],
                        y: [-Double(gridRows.count), 0], title: "untrained", ink: .role(.chance), lineWidth: 1.5)
                ])
        }))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("At the paper's scale")
let mlpGain = compareOverSeeds(testMAPs(tunedFinal, 1), testMAPs(bceFinal, 1)).difference
let linearGain = compareOverSeeds(testMAPs(tunedFinal, 0), testMAPs(bceFinal, 0)).difference
let commonLabels = trainPrevalence.filter { $0 > 0.25 }.count
let seedSpread = models.indices.flatMap { m in finals.map { standardDeviation(testMAPs($0, m)) } }.max()!
chapter.say(
    """
    The paper's detection results (Table 5, VOC07 test AP^50, Faster R-CNN, one run per cell): replacing the
    classifier's cross-entropy with the mAP loss gains 1.5 points with ResNet50 on VOC07, 1.0 on VOC07+12, 0.5
    with ResNet101 and 0.4 with ResNeXt101: 0.015 down to 0.004 in this chapter's units, smaller as the backbone
    gets stronger. Here, \(tunedFinal.label) − BCE on test mAP: MLP \(mlpGain.mean.fixed(4)) (95 % interval \
    \(mlpGain.lower.fixed(4))…\(mlpGain.upper.fixed(4))), linear \(linearGain.mean.fixed(4)) \
    (\(linearGain.lower.fixed(4))…\(linearGain.upper.fixed(4))), against a seed sd of up to \(seedSpread.fixed(4)).
    What differs at the paper's scale:
      • The lists. A detector's classifier ranks about 320,000 anchor scores per batch (§5.3), nearly all
        background; cross-entropy spends most of its gradient on easy negatives, the mismatch an AP loss removes.
        Here RaMBO ranks lists of \(classLength(flagSettings)) and \(flatLength) scores, \(commonLabels) of the 14
        labels are over 25 % positive, and BCE's per-entry loss is already close to what mAP rewards.
      • Model and data. \(trainData.count) genes × \(Yeast.featureCount) features, a linear model or one hidden
        layer; test mAP ends near \(mean(testMAPs(bceFinal, 1)).fixed(2)) whatever the loss: the features run out of
        information. A loss can only steer what the model can represent; a ResNet on 5,000 to 16,500 VOC images has far
        more to steer, and 12 epochs of a long-tuned schedule to do it.
      • Tuning. There, cross-entropy is mmdetection's tuned default and RaMBO's λ, α, τ come from its own
        ablation (Table 8). Here both get \(budget) settings on the same split, and BCE's positive weights and
        decay take over part of what an AP loss does for rare labels.
      • Noise. The paper reports one run per cell. A gain of 0.004–0.015 is of the order of this chapter's seed
        spread; one seed would read it as a win or a loss by chance; here, with \(seeds.count) seed\
    \(seeds.count == 1 ? "" : "s"), it reads "level" unless the paired interval excludes 0.
    """)

chapter.finish()
