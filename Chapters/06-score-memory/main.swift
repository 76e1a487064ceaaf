// Chapter 06 · Score memory
//
// Problem (P1) of paper §4.3: a rank metric is a property of the whole dataset, but training sees a mini-batch,
// and the AP of a short list is a biased estimate of the AP of the long one (chapter 02, paper Fig. 2). The fix
// is cheap: keep the detached scores of the last τ batches and rank the current batch together with them.
// Memory lengthens every ranked list without lengthening the backward pass: gradients reach the current batch
// only. This chapter measures the bias as a function of τ for a fixed scorer, checks the two rules of the memory
// (a ring of exactly τ batches; no gradient to stored entries), then trains with τ = 0, 1, 3, 7 over
// seeds and compares them seed by seed (paired differences with 95 % intervals; "level" where they hold 0).
import Datasets
import Foundation
import Gnuplot
import Learning
import Rambo
import Support
import Walkthrough

let chapter = Chapter(
    "ch06",
    flags: [
        .int("batch", default: 8, in: 2...250, help: "mini-batch size (small on purpose)"),
        .double(
            "lambda", default: 128, in: 0...1e6,
            help: "λ of the training runs, paper units (integer ranks); 0 = the rule n/2 for each list length"),
        .double("alpha", default: 0.1, in: 0...100, help: "margin α of the training runs"),
        .int("steps", default: 6000, quick: 2000, in: 200...1_000_000, help: "training steps per run"),
        .int(
            "runs", default: 5, quick: 2, in: 1...100, help: "training runs (seeds) per setting, paired across settings"
        ),
        .int(
            "draws", default: 4000, quick: 600, in: 50...1_000_000,
            help: "batches drawn per memory size to estimate the bias"),
    ])
let batchSize = chapter.int("batch")
let trainLambda = chapter.double("lambda")
let alpha = chapter.double("alpha")
let steps = chapter.int("steps")
let runs = chapter.int("runs")
let draws = chapter.int("draws")
var rng = SplitMix64(seed: chapter.seed)

/// Label prevalences of the toy task, from rare to common (the same in §1 and §3).
let prevalences = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]
let classes = prevalences.count
let taus = [0, 1, 3, 7]

/// Column c of a row-major [items][classes] table.
func column<T>(_ rows: [[T]], _ c: Int) -> [T] { rows.map { $0[c] } }

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The bias of a short list, and what memory does to it")
let items = 2000
chapter.say(
    """
    A fixed scorer on \(items) items and \(classes) labels with prevalences \(prevalences.map { "\(Int(100 * $0)) %" }.joined(separator: ", ")):
    positive scores ~ N(1, 1), negative scores ~ N(0, 1). Its dataset mAP is a single number. Training sees
    batches of \(batchSize), and the mAP loss ranks each label's column of the batch: a list of \(batchSize) items.
    With memory τ the list is the batch followed by the last τ batches' scores, \(batchSize)·(1 + τ) items
    (`MAPLoss.forward(…, memory:)` with a `ScoreMemory` ring). The estimate is 1 − L_mAP (no margin); labels with
    no positive in the list are skipped, as the loss skips them.
    """)
var targets = [[Bool]]()
var scores = [[Double]]()
for _ in 0..<items {
    let row = prevalences.map { rng.nextUnit() < $0 }
    targets.append(row)
    scores.append(row.map { ($0 ? 1.0 : 0.0) + rng.nextGaussian() })
}
let datasetMAP = meanAveragePrecision(
    scores: (0..<classes).map { column(scores, $0) },
    relevance: (0..<classes).map { column(targets, $0) })!
chapter.say("dataset mAP = \(datasetMAP.fixed(4))")

let estimator = MAPLoss(lambda: 1)  // λ plays no part in the forward pass
var sameAsConcatenation = true
/// Mean and sd of the batch estimate of mAP with memory τ, over `draws` consecutive batches of a shuffled stream.
func memoryEstimate(tau: Int, seed: UInt64) -> [Double] {
    var sampler = MinibatchSampler(count: items, batchSize: batchSize, dropLast: true, seed: seed)
    var memory = ScoreMemory(capacity: tau)
    var estimates = [Double]()
    var warmup = tau  // start once the ring is full
    while estimates.count < draws {
        for batch in sampler.epoch() where estimates.count < draws {
            let s = batch.map { scores[$0] }
            let t = batch.map { targets[$0] }
            if warmup > 0 {
                warmup -= 1
            } else if t.contains(where: { $0.contains(true) })
                || memory.batches.contains(where: { b in
                    b.relevance.contains { $0.contains(true) }
                })
            {
                let estimate = 1 - estimator.forward(scores: s, targets: t, memory: memory.batches)
                estimates.append(estimate)
                if estimates.count <= 20 {  // the loss's list is the batch followed by the stored batches
                    let rows = s + memory.batches.flatMap(\.scores)
                    let rowTargets = t + memory.batches.flatMap(\.relevance)
                    let direct = meanAveragePrecision(
                        scores: (0..<classes).map { column(rows, $0) },
                        relevance: (0..<classes).map { column(rowTargets, $0) })!
                    sameAsConcatenation = sameAsConcatenation && abs(direct - estimate) < 1e-12
                }
            }
            memory.append(scores: s, relevance: t)
        }
    }
    return estimates
}
/// The same estimate from one plain batch of `size` items (no memory).
func plainEstimate(size: Int, seed: UInt64) -> [Double] {
    var sampler = MinibatchSampler(count: items, batchSize: size, dropLast: true, seed: seed)
    var estimates = [Double]()
    while estimates.count < draws {
        for batch in sampler.epoch() where estimates.count < draws {
            let t = batch.map { targets[$0] }
            guard t.contains(where: { $0.contains(true) }) else { continue }
            estimates.append(1 - estimator.forward(scores: batch.map { scores[$0] }, targets: t))
        }
    }
    return estimates
}

let biasTaus = [0, 1, 3, 7, 15, 31].filter { batchSize * (1 + $0) <= items / 2 }
var memoryMeans = [Double]()
var memorySDs = [Double]()
var plainMeans = [Double]()
var biasRows = [[String]]()
var agree = true
for tau in biasTaus {
    let withMemory = memoryEstimate(tau: tau, seed: chapter.seed &+ UInt64(tau))
    let oneBatch = plainEstimate(size: batchSize * (1 + tau), seed: chapter.seed &+ 1000 &+ UInt64(tau))
    memoryMeans.append(mean(withMemory))
    memorySDs.append(standardDeviation(withMemory))
    plainMeans.append(mean(oneBatch))
    // Consecutive memory estimates share batches, so allow a generous 6 standard errors of the plain estimate.
    let tolerance =
        6 * (standardDeviation(withMemory) + standardDeviation(oneBatch)) / Double(draws).squareRoot()
        * Double(1 + tau).squareRoot()
    agree = agree && abs(mean(withMemory) - mean(oneBatch)) < tolerance
    biasRows.append([
        "\(tau)", "\(batchSize * (1 + tau))", mean(withMemory).fixed(4),
        standardDeviation(withMemory).fixed(4),
        (mean(withMemory) - datasetMAP).fixed(4), mean(oneBatch).fixed(4),
    ])
}
chapter.table(["τ", "list length", "E[estimate]", "sd", "bias", "one batch of that length"], biasRows)
let biases = memoryMeans.map { $0 - datasetMAP }
let zeroTau = biasTaus.firstIndex(of: 0)!
let sevenTau = biasTaus.firstIndex(of: 7) ?? biasTaus.count - 1
chapter.check(
    "the estimate is the mAP of the batch followed by the stored batches (checked on 20 batches per τ)",
    sameAsConcatenation)
chapter.check(
    "without memory a batch of \(batchSize) over-estimates mAP",
    biases[zeroTau] > 4 * memorySDs[zeroTau] / Double(draws).squareRoot(), "bias \(biases[zeroTau].fixed(4))")
chapter.check(
    "the bias shrinks at every step τ = \(biasTaus.map(String.init).joined(separator: " → "))",
    zip(biases, biases.dropFirst()).allSatisfy { $1 < $0 }, "\(biases.fixed(4))")
chapter.check(
    "τ = \(biasTaus[sevenTau]) removes more than half of the bias",
    biases[sevenTau] < biases[zeroTau] / 2, "\(biases[zeroTau].fixed(4)) → \(biases[sevenTau].fixed(4))")
chapter.check("for a fixed scorer, memory τ estimates like one batch of \(batchSize)·(1 + τ)", agree)
chapter.say(
    """
    For a fixed scorer memory is simply a longer list. In training the stored scores come from the parameters of
    up to τ steps ago, and the backward pass still costs one batch (§2).
    """)
let lengths = biasTaus.map { Double(batchSize * (1 + $0)) }
chapter.plot(
    Figure(
        name: "memory-bias",
        caption: """
            Memory lengthens the ranked list: with τ stored batches the estimate of mAP (line, band ±1 sd) falls \
            towards the dataset's mAP (black) exactly as one plain batch of that length does (open circles), so \
            the bias of a short list shrinks as τ grows.
            """,
        panel: Panel(
            title: "Estimate of mAP seen by the loss: batch of \(batchSize) + τ stored batches",
            xLabel: "list length \(batchSize)·(1 + τ)",
            yLabel: "mAP", logX: true, xRange: (lengths.first! / 1.3)...(lengths.last! * 1.3), probability: .y,
            series: [
                .band(
                    x: lengths, low: zip(memoryMeans, memorySDs).map { max(0, $0 - $1) },
                    high: zip(memoryMeans, memorySDs).map { min(1, $0 + $1) }, title: "estimate ± 1 sd",
                    ink: .category(0)),
                .linesPoints(
                    x: lengths, y: memoryMeans,
                    title: "E[estimate], memory τ = \(biasTaus.map(String.init).joined(separator: ", "))",
                    ink: .category(0)),
                .points(
                    x: lengths, y: plainMeans, title: "E[estimate], one plain batch of that length",
                    ink: .category(1), pointType: 6, pointSize: 1.8),
                .constant(datasetMAP, title: "dataset mAP", ink: .role(.reference)),
            ])))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The two rules of the memory")
chapter.say(
    """
    (1) `ScoreMemory(capacity: τ)` is a ring: after k appends it holds the last min(k, τ) batches, oldest first.
    (2) Stored scores are constants. They take part in both rankings of the backward pass, but the loss returns a
    gradient for the current batch only. Treat the stored rows as current instead, and the gradient of the
    current rows does not change: the memory rows would get gradient that the memory version simply drops.
    """)
var ringHolds = true
for tau in taus {
    var memory = ScoreMemory(capacity: tau)
    for k in 1...10 { memory.append(scores: [[Double(k)]], relevance: [[true]]) }
    let held = memory.batches.map { Int($0.scores[0][0]) }
    ringHolds = ringHolds && memory.count == min(10, tau) && held == Array(stride(from: 11 - tau, through: 10, by: 1))
    chapter.say("  τ = \(tau): after 10 appends it holds batches \(held.listed)")
}
chapter.check("the ring holds exactly the last τ batches, oldest first, for τ = 0, 1, 3, 7", ringHolds)

let lossForRules = MAPLoss(lambda: 64, margin: alpha)
let current = (0..<batchSize).map { _ in (0..<classes).map { _ in rng.nextGaussian() } }
let currentTargets = (0..<batchSize).map { b in (0..<classes).map { c in (b + c) % 3 == 0 } }
var stored = ScoreMemory(capacity: 3)
for _ in 0..<3 {
    stored.append(
        scores: (0..<batchSize).map { _ in (0..<classes).map { _ in rng.nextGaussian() } },
        relevance: (0..<batchSize).map { _ in (0..<classes).map { _ in rng.nextUnit() < 0.3 } })
}
let withMemory = lossForRules.valueAndGradient(scores: current, targets: currentTargets, memory: stored.batches)
let asCurrent = lossForRules.valueAndGradient(
    scores: current + stored.batches.flatMap(\.scores),
    targets: currentTargets + stored.batches.flatMap(\.relevance))
let withoutMemory = lossForRules.valueAndGradient(scores: current, targets: currentTargets)
let droppedRows = asCurrent.gradient[batchSize...].filter { $0.contains { $0 != 0 } }.count
chapter.say(
    """

    mAP loss, a batch of \(batchSize) × \(classes) with τ = 3 stored batches: the gradient has \(withMemory.gradient.count) rows; ranked as one batch of
    \(asCurrent.gradient.count) rows, \(droppedRows) of the \(asCurrent.gradient.count - batchSize) stored rows would get a non-zero gradient.
    """)
chapter.check(
    "mAP loss: same loss, and the current rows' gradient is identical to ranking the memory as current rows",
    withMemory.loss == asCurrent.loss && withMemory.gradient == Array(asCurrent.gradient[0..<batchSize]))
chapter.check(
    "mAP loss: only the current batch gets a gradient (\(batchSize) rows, none for the stored ones)",
    withMemory.gradient.count == batchSize && droppedRows > 0)
chapter.check("mAP loss: the memory changes the current gradient", withMemory.gradient != withoutMemory.gradient)

// The recall loss keeps its memory as extra columns of each query's list (paper convention).
let recallLoss = RecallLoss(lambda: 16, margin: alpha)
let queries = 4
let gallery = 6
let extra = 10
let recallScores = (0..<queries).map { _ in (0..<gallery).map { _ in rng.nextGaussian() } }
let recallRelevance = (0..<queries).map { q in (0..<gallery).map { ($0 + q) % 3 == 0 } }
let recallMemory = ScoreBatch(
    scores: (0..<queries).map { _ in (0..<extra).map { _ in rng.nextGaussian() } },
    relevance: (0..<queries).map { _ in (0..<extra).map { _ in rng.nextUnit() < 0.3 } })
let recallWith = recallLoss.valueAndGradient(scores: recallScores, relevance: recallRelevance, memory: [recallMemory])
let recallAsCurrent = recallLoss.valueAndGradient(
    scores: zip(recallScores, recallMemory.scores).map { $0 + $1 },
    relevance: zip(recallRelevance, recallMemory.relevance).map { $0 + $1 })
chapter.check(
    "recall loss: memory columns are ranked, but only the \(gallery) current columns get a gradient",
    recallWith.loss == recallAsCurrent.loss && recallWith.gradient.allSatisfy { $0.count == gallery }
        && recallWith.gradient == recallAsCurrent.gradient.map { Array($0[0..<gallery]) }
        && recallAsCurrent.gradient.contains { $0[gallery...].contains { $0 != 0 } })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Training with τ = 0, 1, 3, 7, paired over seeds")
/// λ of a training run: the flag, or the course's rule n/2 for the run's list length n = batch·(1 + τ).
func lambdaFor(tau: Int, batch: Int) -> Double {
    trainLambda > 0 ? trainLambda : defaultLambda(length: batch * (1 + tau))
}
let ruleText = taus.map { "\(defaultLambda(length: batchSize * (1 + $0)).fixed(0))" }.joined(separator: ", ")
chapter.say(
    """
    `Toy.imbalancedMultiLabel`: 20 features, the same \(classes) labels (prevalences \(prevalences.map { "\(Int(100 * $0)) %" }.joined(separator: ", "))), 2000 training and 2000
    held-out rows. A linear scorer (one score per label) trained with Adam (learning rate 0.003) on the mAP loss
    (`MAPScoreLoss`, margin α = \(alpha)) over batches of \(batchSize), \(steps) steps, \(runs) seed\(runs == 1 ? "" : "s").
    For reference: τ = 0 with batches of \(8 * batchSize) (the list length of τ = 7, at eight times the backward work).
    Seed i is shared by every setting: the same data, initial weights and batch order. So the settings are compared
    seed by seed: the paired difference of each setting against τ = 0, with its 95 % Student-t interval over the
    seeds (`compareOverSeeds`). One is ahead only when that interval excludes 0; otherwise they are level.
    """)
if trainLambda > 0 {
    chapter.say(
        """
        λ = \(trainLambda.fixed(0)) in paper units for every τ (--lambda). The course's rule, λ = n/2 (the authors'
        λ_code = 0.5, chapter 04), would give λ = \(ruleText) for τ = \(taus.map(String.init).joined(separator: ", ")) (n = \(batchSize)·(1 + τ)). This chapter
        departs from it for two reasons: a fixed λ changes one thing at a time (only the list length differs
        between settings), and on lists this short the rule's λ is too small for this scorer (the sweep at the
        end of this section runs the rule beside the fixed values; --lambda 0 trains every setting with it).
        """)
} else {
    chapter.say(
        """
        --lambda 0: the course's rule λ = n/2 for each setting (the authors' λ_code = 0.5, chapter 04):
        \(taus.map { "  τ = \($0): " + lambdaText(lambdaFor(tau: $0, batch: batchSize), length: batchSize * (1 + $0)) }.joined(separator: "\n"))
        so memory changes both the list and λ here.
        """)
}

struct Task: @unchecked Sendable {
    var train: Matrix, trainTargets: [[Bool]], test: Matrix, testTargets: [[Bool]]
}
func task(seed: UInt64) -> Task {
    let data = Toy.imbalancedMultiLabel(samples: 4000, features: 20, prevalences: prevalences, noise: 0.5, seed: seed)
    return Task(
        train: Matrix(Array(data.features[0..<2000])), trainTargets: Array(data.labels[0..<2000]),
        test: Matrix(Array(data.features[2000...])), testTargets: Array(data.labels[2000...]))
}
/// Held-out AP per label.
func perLabelAP(_ trainer: ScoreTrainer, _ t: Task) -> [Double] {
    let s = trainer.scores(t.test)
    return (0..<classes).map { c in
        averagePrecision(scores: (0..<t.test.rows).map { Double(s[$0, c]) }, relevance: column(t.testTargets, c))!
    }
}
/// A training run: held-out mAP at checkpoints, and the per-label AP averaged over the checkpoints of the last fifth
/// of training (the final iterate of Adam on batches of 8 is noisy; the average is the run's result).
struct Run: @unchecked Sendable {
    var steps: [Double] = [], testMAP: [Double] = [], perLabel: [[Double]] = [], memoryCount = 0
    var trainer: ScoreTrainer? = nil
    var finalPerLabel: [Double] {
        let tail = perLabel.suffix(max(1, perLabel.count / 5))
        return (0..<classes).map { c in mean(tail.map { $0[c] }) }
    }
    var final: Double { mean(finalPerLabel) }
}
func train(_ t: Task, tau: Int, batch: Int, lambda: Double, seed: UInt64, steps: Int) -> Run {
    let every = max(1, steps / 30)
    let trainer = ScoreTrainer(sizes: [20, classes], learningRate: 3e-3, seed: seed)
    var loss = MAPScoreLoss(loss: MAPLoss(lambda: lambda, margin: alpha), memorySize: tau)
    var sampler = MinibatchSampler(count: t.train.rows, batchSize: batch, dropLast: true, seed: seed &+ 7)
    var run = Run()
    func record(_ step: Int) {
        let ap = perLabelAP(trainer, t)
        run.steps.append(Double(step))
        run.testMAP.append(mean(ap))
        run.perLabel.append(ap)
    }
    if steps > 0 { record(0) }
    trainer.fit(
        inputs: t.train, targets: t.trainTargets, loss: &loss, sampler: &sampler, steps: steps,
        afterStep: { step in if step % every == 0 && step < steps { record(step) } })
    record(steps)
    run.memoryCount = loss.memory.count
    run.trainer = trainer
    return run
}

/// One training setting of the comparison.
struct Setting: Sendable {
    let name: String, tau: Int, batch: Int, lambda: Double, steps: Int
}
let seeds = (0..<runs).map { chapter.seed &+ UInt64($0) }
let tasks = seeds.map { task(seed: $0) }
/// Trains every setting on every seed, two runs at a time on two cores (`runIndependently`: each run has its own
/// scorer, optimiser and sampler, so the results do not depend on the thread count). Result [setting][seed].
func trainAll(_ settings: [Setting]) -> [[Run]] {
    let jobs: [@Sendable () -> Run] = settings.flatMap { s in
        seeds.indices.map { k in
            { @Sendable in train(tasks[k], tau: s.tau, batch: s.batch, lambda: s.lambda, seed: seeds[k], steps: s.steps)
            }
        }
    }
    let all = runIndependently(jobs, threads: 2)
    return settings.indices.map { i in Array(all[(i * runs)..<((i + 1) * runs)]) }
}
let settings =
    taus.map {
        Setting(
            name: "τ = \($0), batch \(batchSize)", tau: $0, batch: batchSize,
            lambda: lambdaFor(tau: $0, batch: batchSize), steps: steps)
    } + [
        Setting(
            name: "τ = 0, batch \(8 * batchSize)", tau: 0, batch: 8 * batchSize,
            lambda: lambdaFor(tau: 0, batch: 8 * batchSize), steps: steps)
    ]
let started = Date()
let trained = trainAll(settings)
func final(_ r: [Run]) -> [Double] { r.map(\.final) }
let finals = trained.map(final)
let base = finals[0]
chapter.say(
    """
    \(settings.count * runs) runs in \(Date().timeIntervalSince(started).fixed(1)) s, two at a time. Held-out mAP averaged over the last fifth of training,
    and each setting's paired difference from τ = 0 (Δ = setting − τ = 0, seed by seed):
    """)
func verdictWord(_ v: SeedVerdict) -> String {
    switch v {
    case .firstAhead: return "ahead"
    case .secondAhead: return "behind"
    case .level: return "level"
    }
}
chapter.table(
    ["setting", "λ", "held-out mAP, mean ± sd", "Δ vs τ = 0", "95 % CI of Δ", "vs τ = 0"],
    settings.indices.map { i in
        let (d, v) = compareOverSeeds(finals[i], base)
        return [settings[i].name, settings[i].lambda.fixed(0), meanAndSD(finals[i], digits: 4)]
            + (i == 0
                ? ["–", "–", "–"]
                : [
                    (d.mean >= 0 ? "+" : "") + d.mean.fixed(4), "[\(d.lower.fixed(4)), \(d.upper.fixed(4))]",
                    verdictWord(v),
                ])
    })
chapter.say("Per seed (held-out mAP):")
chapter.table(
    ["setting"] + seeds.map { "seed \($0)" },
    settings.indices.map { i in [settings[i].name] + finals[i].map { $0.fixed(4) } })
let bigIndex = settings.count - 1
chapter.say(
    """
      \(seedVerdictText("τ = 7", "τ = 0", finals[3], base, digits: 4))
      \(seedVerdictText("τ = 0 at batch \(8 * batchSize)", "τ = 7 at batch \(batchSize)", finals[bigIndex], finals[3], digits: 4))
    The spread across seeds (the sd column) is as large as the memory's effect: a comparison of means would drown
    it. Paired by seed it shows: τ = 7 is above τ = 0 in \(zip(finals[3], base).filter { $0 > $1 }.count) of \(runs) seeds.
    """)
let memoryVerdict = compareOverSeeds(finals[3], base)
chapter.check(
    "τ = 7 is not behind τ = 0 (the paired 95 % interval does not lie below 0)",
    memoryVerdict.verdict != .secondAhead, seedVerdictText("τ = 7", "τ = 0", finals[3], base, digits: 4))
chapter.check(
    "the memory of every run ends holding exactly τ batches",
    settings.indices.allSatisfy { i in trained[i].allSatisfy { $0.memoryCount == settings[i].tau } })
for (i, tau) in taus.enumerated() { chapter.metric("toy-multilabel", "rambo-map-tau\(tau)", "mAP", mean(finals[i])) }
chapter.metric("toy-multilabel", "rambo-map-tau7-gain", "mAP", memoryVerdict.difference.mean)
chapter.metric("toy-multilabel", "rambo-map-tau7-gain-ci95", "mAP", memoryVerdict.difference.halfWidth)
chapter.metric("toy-multilabel", "rambo-map-tau0-batch\(8 * batchSize)", "mAP", mean(finals[bigIndex]))

// Which labels gain: per-label AP, paired τ = 7 − τ = 0.
let labelGains = (0..<classes).map { c in
    compareOverSeeds(trained[3].map { $0.finalPerLabel[c] }, trained[0].map { $0.finalPerLabel[c] })
}
chapter.say(
    "\nHeld-out AP per label (mean over seeds; the rare labels are measured on 20–40 held-out positives, so noisily):")
chapter.table(
    ["label prevalence", "τ = 0", "τ = 7", "Δ τ = 7 − τ = 0", "95 % CI", "τ = 7 vs τ = 0"],
    (0..<classes).map { c in
        let g = labelGains[c]
        return [
            "\(prevalences[c])", mean(trained[0].map { $0.finalPerLabel[c] }).fixed(3),
            mean(trained[3].map { $0.finalPerLabel[c] }).fixed(3),
            (g.difference.mean >= 0 ? "+" : "")
                + g.difference.mean.fixed(3), "[\(g.difference.lower.fixed(3)), \(g.difference.upper.fixed(3))]",
            verdictWord(g.verdict),
        ]
    })

// Why rare labels need the memory: how often does the rarest label's list contain a positive at all?
var streamSampler = MinibatchSampler(
    count: tasks[0].train.rows, batchSize: batchSize, dropLast: true, seed: seeds[0] &+ 7)
var recent = [Bool]()
var listsWithPositive = [0: 0, 7: 0]
var counted = 0
while counted < steps {
    for b in streamSampler.epoch() where counted < steps {
        recent.append(b.contains { tasks[0].trainTargets[$0][0] })
        if recent.last! { listsWithPositive[0, default: 0] += 1 }
        if recent.suffix(8).contains(true) { listsWithPositive[7, default: 0] += 1 }
        counted += 1
    }
}
let share0 = Double(listsWithPositive[0, default: 0]) / Double(steps)
let share7 = Double(listsWithPositive[7, default: 0]) / Double(steps)
let rarest = Double(tasks[0].trainTargets.filter { $0[0] }.count) / Double(tasks[0].train.rows)
let predicted0 = 1 - pow(1 - rarest, Double(batchSize))
let predicted7 = 1 - pow(1 - rarest, Double(8 * batchSize))
chapter.say(
    """
    The rarest label (\(Int(100 * prevalences[0])) %; \((100 * rarest).fixed(2)) % of seed \(seeds[0])'s training rows) has a positive in its ranked list in
    \((100 * share0).fixed(1)) % of the steps with τ = 0 and in \((100 * share7).fixed(1)) % with τ = 7 (seed \(seeds[0])'s batches); 1 − (1 − p)ⁿ predicts \((100 * predicted0).fixed(1)) % and
    \((100 * predicted7).fixed(1)) % for n = \(batchSize) and \(8 * batchSize). A list without a positive gives that label no gradient at all.
    """)
chapter.check(
    "with τ = 7 the rarest label's list holds a positive more often, as 1 − (1 − p)ⁿ predicts (within 0.1)",
    share7 > share0 && abs(share0 - predicted0) < 0.1 && abs(share7 - predicted7) < 0.1,
    "\((100 * share0).fixed(1)) % → \((100 * share7).fixed(1)) %")

// λ must grow with the list: the AP upstream dL/drk_i = rk⁺_i/(|rel|·rk_i²) shrinks along a longer list.
let sweepLambdas: [Double] = chapter.quick ? [4, 256] : [4, 16, 64, 256, 1024]
let sweepSteps = chapter.quick ? steps : steps / 2  // quick runs are short already
let sweepTaus = [0, 7]
let sweepSettings = sweepTaus.flatMap { tau in
    (sweepLambdas + [defaultLambda(length: batchSize * (1 + tau))]).map { lam in
        Setting(name: "τ = \(tau), λ = \(lam)", tau: tau, batch: batchSize, lambda: lam, steps: sweepSteps)
    }
}
let sweepRuns = trainAll(sweepSettings).map(final)
let columns = sweepLambdas.count + 1
let sweep0 = Array(sweepRuns[0..<columns])
let sweep7 = Array(sweepRuns[columns..<(2 * columns)])
let sweepGains = zip(sweep7, sweep0).map { compareOverSeeds($0, $1) }
// The rule's λ on short lists: how often is the blackbox gradient of a label's list exactly zero?
let scorer = trained[0][0].trainer!
var zeroLists = [0, 0]
var listsSeen = 0
let probeLambdas = [defaultLambda(length: batchSize), trainLambda > 0 ? trainLambda : 128]
var probeSampler = MinibatchSampler(count: tasks[0].test.rows, batchSize: batchSize, dropLast: true, seed: 99)
for b in probeSampler.epoch().prefix(200) {
    let s = scorer.scores(tasks[0].test.rows(b))
    let rows = (0..<b.count).map { i in (0..<classes).map { Double(s[i, $0]) } }
    let t = b.map { tasks[0].testTargets[$0] }
    let gradients = probeLambdas.map { MAPLoss(lambda: $0, margin: alpha).valueAndGradient(scores: rows, targets: t) }
    for c in 0..<classes where t.contains(where: { $0[c] }) {
        listsSeen += 1
        for (j, g) in gradients.enumerated() where g.gradient.allSatisfy({ $0[c] == 0 }) { zeroLists[j] += 1 }
    }
}
let zeroShares = zeroLists.map { Double($0) / Double(max(1, listsSeen)) }
chapter.say(
    """

    λ is in paper units (integer ranks), and the AP upstream per rank shrinks like 1/rk² along a longer list: with
    memory the same λ perturbs the scores less. A sweep (\(sweepSteps) steps, held-out mAP, mean over \(runs) seed\(runs == 1 ? "" : "s");
    "rule" is λ = n/2 of each τ's lists: \(lambdaText(defaultLambda(length: batchSize), length: batchSize)) and \(lambdaText(defaultLambda(length: 8 * batchSize), length: 8 * batchSize))):
    """)
let sweepHeaders = ["λ"] + sweepLambdas.map { "\(Int($0))" } + ["rule n/2"]
chapter.table(
    sweepHeaders,
    [
        ["τ = 0"] + sweep0.map { mean($0).fixed(4) }, ["τ = 7"] + sweep7.map { mean($0).fixed(4) },
        ["Δ τ = 7 − τ = 0"] + sweepGains.map { ($0.difference.mean >= 0 ? "+" : "") + $0.difference.mean.fixed(4) },
        ["τ = 7 vs τ = 0"] + sweepGains.map { verdictWord($0.verdict) },
    ])
chapter.say(
    """
    Why the rule's λ is too small at τ = 0 here: on 200 held-out batches of \(batchSize) scored by the trained τ = 0 scorer (seed \(seeds[0])),
    the blackbox gradient of a label's list (with a positive) is exactly zero in \((100 * zeroShares[0]).fixed(0)) % of the lists at
    λ = \(probeLambdas[0].fixed(0)) and in \((100 * zeroShares[1]).fixed(0)) % at λ = \(probeLambdas[1].fixed(0)): a perturbation λ·dL/drk smaller than the gaps between this scorer's scores
    leaves the ranking unchanged, and an unchanged ranking has no gradient.
    """)
chapter.check(
    "at λ = 4 the memory hurts (mean over seeds)", mean(sweep7[0]) < mean(sweep0[0]),
    "\(mean(sweep0[0]).fixed(4)) without, \(mean(sweep7[0]).fixed(4)) with τ = 7")
chapter.check(
    "the memory's paired gain grows from λ = 4 to λ = 256",
    sweepGains[sweepLambdas.firstIndex(of: 256)!].difference.mean > sweepGains[0].difference.mean,
    sweepGains.map { $0.difference.mean.fixed(4) }.joined(separator: ", "))
chapter.check(
    "at λ ≥ 256 the memory is not behind (paired 95 % intervals not below 0)",
    sweepLambdas.indices.filter { sweepLambdas[$0] >= 256 }.allSatisfy { sweepGains[$0].verdict != .secondAhead },
    sweepLambdas.indices.filter { sweepLambdas[$0] >= 256 }.map {
        "λ = \(Int(sweepLambdas[$0])): \(verdictWord(sweepGains[$0].verdict))"
    }.joined(separator: ", "))
chapter.check(
    "the rule's λ leaves more label lists without a gradient than λ = \(probeLambdas[1].fixed(0))",
    probeLambdas[0] >= probeLambdas[1] || zeroShares[0] > zeroShares[1],
    "\((100 * zeroShares[0]).fixed(0)) % vs \((100 * zeroShares[1]).fixed(0)) %")
chapter.say(
    """
    The official code measures λ on ranks normalised by the list length (λ_paper = λ_code·n), which grows λ with
    the memory automatically: the "rule" column.
    """)

// The figure shows differences, not overlapping curves: paired Δ with its 95 % interval, each seed as a dot.
let comparisons = settings.indices.dropFirst().map { compareOverSeeds(finals[$0], base) }
let seedDeltas = settings.indices.dropFirst().map { i in zip(finals[i], base).map { $0 - $1 } }
let deltaValues = seedDeltas.flatMap { $0 } + comparisons.flatMap { [$0.difference.lower, $0.difference.upper] }
let deltaLow = min(0, deltaValues.min() ?? 0)
let deltaHigh = max(0, deltaValues.max() ?? 0)
let pad = max(0.004, 0.15 * (deltaHigh - deltaLow))
let settingLabels = settings.dropFirst().map { $0.tau > 0 ? "τ = \($0.tau)" : "batch \($0.batch)" }
let labelGainValues = labelGains.flatMap { [$0.difference.lower, $0.difference.upper] }
let sweepX = sweepLambdas + [defaultLambda(length: batchSize * 8)]
chapter.plot(
    Figure(
        name: "memory-training",
        caption: """
            Paired differences, not curves. Left: each setting's held-out mAP minus that of τ = 0 (same seed), \
            each seed a grey circle, the mean with its 95 % interval in black; an interval that holds 0 (the line) \
            means level. Right: the same difference per label for τ = 7, against the label's prevalence.
            """,
        width: 1000, height: 470, columns: 2,
        panels: [
            Panel(
                title: "mAP minus τ = 0's, paired (batch \(batchSize), \(runs) seeds)",
                xLabel: "setting (against τ = 0, batch \(batchSize))", yLabel: "Δ mAP",
                xRange: -0.6...Double(settingLabels.count) - 0.4,
                yRange: (deltaLow - pad)...(deltaHigh + pad),
                xTicks: settingLabels.indices.map { (label: settingLabels[$0], at: Double($0)) },
                series: [
                    .points(
                        x: seedDeltas.indices.flatMap { i in seedDeltas[i].map { _ in Double(i) + 0.15 } },
                        y: seedDeltas.flatMap { $0 }, title: "one seed", ink: .role(.oneSeed), pointSize: 0.8),
                    .errorBars(
                        x: comparisons.indices.map(Double.init), y: comparisons.map(\.difference.mean),
                        err: comparisons.map(\.difference.halfWidth), title: "mean Δ, 95 % CI",
                        ink: .role(.meanDifference)),
                    .constant(0, title: "level with τ = 0", ink: .role(.level), lineWidth: 1),
                ]),
            Panel(
                title: "Per-label AP, τ = 7 minus τ = 0 (95 % CI)", xLabel: "label prevalence",
                yLabel: "Δ AP", logX: true, xRange: 0.007...0.45,
                yRange: (min(0, labelGainValues.min() ?? 0) - 0.01)...(max(0, labelGainValues.max() ?? 0) + 0.01),
                series: [
                    .errorBars(
                        x: prevalences, y: labelGains.map(\.difference.mean),
                        err: labelGains.map(\.difference.halfWidth), title: "mean Δ, 95 % CI",
                        ink: .role(.meanDifference)),
                    .constant(0, title: "level", ink: .role(.level), lineWidth: 1),
                ]),
        ]), key: true)
chapter.plot(
    Figure(
        name: "memory-lambda",
        caption: """
            The memory's gain depends on λ: at small λ (paper units, the same for both) τ = 7 is behind τ = 0, \
            from λ ≈ 256 up it is level or ahead; the blue point is the rule n/2, which gives each τ its own λ. Each \
            point is the mean paired difference with its 95 % interval.
            """,
        width: 800, height: 460,
        panel: Panel(
            title: "Memory's gain vs λ (τ = 7 minus τ = 0, \(sweepSteps) steps)", xLabel: "λ (paper units)",
            yLabel: "Δ mAP", logX: true, xRange: 2...2048,
            series: [
                .errorBars(
                    x: sweepLambdas, y: sweepGains.prefix(sweepLambdas.count).map(\.difference.mean),
                    err: sweepGains.prefix(sweepLambdas.count).map(\.difference.halfWidth),
                    title: "mean Δ, 95 % CI, same λ for both", ink: .role(.meanDifference)),
                .errorBars(
                    x: [sweepX.last!], y: [sweepGains.last!.difference.mean],
                    err: [sweepGains.last!.difference.halfWidth],
                    title:
                        "rule n/2 (λ = \(defaultLambda(length: batchSize).fixed(0)) vs \(defaultLambda(length: 8 * batchSize).fixed(0))), 95 % CI",
                    ink: .category(0), pointSize: 1.2),
                .constant(0, title: "level", ink: .role(.level), lineWidth: 1),
            ])))

chapter.finish()
