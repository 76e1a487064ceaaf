// Chapter 06 · Score memory
//
// Problem (P1) of paper §4.3: a rank metric is a property of the whole dataset, but training sees a mini-batch,
// and the AP of a short list is a biased estimate of the AP of the long one (chapter 02, paper Fig. 2). The fix
// is cheap: keep the detached scores of the last τ batches and rank the current batch together with them.
// Memory lengthens every ranked list without lengthening the backward pass: gradients reach the current batch
// only. This chapter measures the bias as a function of τ for a fixed scorer, checks the two rules of the memory
// (a ring of exactly τ batches; no gradient to stored entries), then trains with τ = 0, 1, 3, 7.
import Datasets
import Foundation
import Gnuplot
import Learning
import Rambo
import Support
import Walkthrough

let chapter = Chapter(
    "ch06", title: "Score memory",
    flags: [
        .int("batch", default: 8, in: 2...250, help: "mini-batch size (small on purpose)"),
        .double("lambda", default: 128, in: 1...1e6, help: "λ of the training runs, paper units (integer ranks)"),
        .double("alpha", default: 0.1, in: 0...100, help: "margin α of the training runs"),
        .int("steps", default: 6000, quick: 2000, in: 200...1_000_000, help: "training steps per run"),
        .int("runs", default: 3, in: 1...100, help: "training runs (seeds) per setting"),
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
        panel: Panel(
            title: "Estimate of mAP seen by the loss: batch of \(batchSize) + τ stored batches",
            xLabel: "list length \(batchSize)·(1 + τ)",
            yLabel: "mAP", logX: true, xRange: (lengths.first! / 1.3)...(lengths.last! * 1.3),
            series: [
                .band(
                    x: lengths, low: zip(memoryMeans, memorySDs).map { $0 - $1 },
                    high: zip(memoryMeans, memorySDs).map { $0 + $1 }, title: "estimate ± 1 sd"),
                .linesPoints(
                    x: lengths, y: memoryMeans,
                    title: "E[estimate], memory τ = \(biasTaus.map(String.init).joined(separator: ", "))"),
                .points(
                    x: lengths, y: plainMeans, title: "E[estimate], one plain batch of that length",
                    color: OkabeIto.vermillion,
                    pointType: 6, pointSize: 1.5),
                .constant(datasetMAP, title: "dataset mAP", color: "black"),
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
chapter.section("Training with τ = 0, 1, 3, 7")
chapter.say(
    """
    `Toy.imbalancedMultiLabel`: 20 features, the same \(classes) labels (prevalences \(prevalences.map { "\(Int(100 * $0)) %" }.joined(separator: ", "))), 2000 training and 2000
    held-out rows. A linear scorer (one score per label) trained with Adam (learning rate 0.003) on the mAP loss
    (`MAPScoreLoss`, margin α = \(alpha), λ = \(Int(trainLambda)) in integer-rank units) over batches of \(batchSize), \(steps) steps, \(runs) seeds.
    For reference: τ = 0 with batches of \(8 * batchSize) (the list length of τ = 7, at eight times the backward work).
    """)

struct Task {
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
struct Run {
    var steps: [Double] = [], testMAP: [Double] = [], perLabel: [[Double]] = [], memoryCount = 0
    var finalPerLabel: [Double] {
        let tail = perLabel.suffix(max(1, perLabel.count / 5))
        return (0..<classes).map { c in mean(tail.map { $0[c] }) }
    }
    var final: Double { mean(finalPerLabel) }
}
let every = max(1, steps / 30)
func train(_ t: Task, tau: Int, batch: Int, lambda: Double, seed: UInt64, steps: Int) -> Run {
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
    return run
}

let seeds = (0..<runs).map { chapter.seed &+ UInt64($0) }
let tasks = seeds.map { task(seed: $0) }
let started = Date()
var byTau = [Int: [Run]]()
for tau in taus {
    byTau[tau] = seeds.indices.map { k in
        train(tasks[k], tau: tau, batch: batchSize, lambda: trainLambda, seed: seeds[k], steps: steps)
    }
}
let bigBatch = seeds.indices.map { k in
    train(tasks[k], tau: 0, batch: 8 * batchSize, lambda: trainLambda, seed: seeds[k], steps: steps)
}
chapter.say(
    "\(4 * runs + runs) runs in \(Date().timeIntervalSince(started).fixed(1)) s. Held-out mAP, averaged over the last fifth of training:"
)
func final(_ r: [Run]) -> [Double] { r.map(\.final) }
chapter.table(
    ["setting"] + seeds.map { "seed \($0)" } + ["mean"],
    taus.map { tau in
        ["τ = \(tau), batch \(batchSize)"] + final(byTau[tau, default: []]).map { $0.fixed(4) } + [
            mean(final(byTau[tau, default: []])).fixed(4)
        ]
    }
        + [["τ = 0, batch \(8 * batchSize)"] + final(bigBatch).map { $0.fixed(4) } + [mean(final(bigBatch)).fixed(4)]])
let gain = mean(final(byTau[7, default: []])) - mean(final(byTau[0, default: []]))
let gains = zip(final(byTau[7, default: []]), final(byTau[0, default: []])).map { $0 - $1 }
chapter.check(
    "τ = 7 beats τ = 0 in held-out mAP, on average over the runs", gain > 0,
    "+\(gain.fixed(4)); per run \(gains.fixed(4))")
chapter.check(
    "the memory of every run ends holding exactly τ batches",
    taus.allSatisfy { tau in byTau[tau, default: []].allSatisfy { $0.memoryCount == tau } })
for tau in taus { chapter.metric("toy-multilabel", "rambo-map-tau\(tau)", "mAP", mean(final(byTau[tau, default: []]))) }
chapter.metric("toy-multilabel", "rambo-map-tau0-batch\(8 * batchSize)", "mAP", mean(final(bigBatch)))

// Which labels gain: per-label AP, mean over runs.
let perLabel = taus.map { tau in (0..<classes).map { c in mean(byTau[tau, default: []].map { $0.finalPerLabel[c] }) } }
chapter.say(
    "\nHeld-out AP per label (mean over runs; the rare labels are measured on 20–40 held-out positives, so noisily):")
chapter.table(
    ["label prevalence"] + taus.map { "τ = \($0)" } + ["gain τ = 7"],
    (0..<classes).map { c in
        ["\(prevalences[c])"] + perLabel.map { $0[c].fixed(3) } + [(perLabel[3][c] - perLabel[0][c]).fixed(3)]
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
chapter.say(
    """
    The rarest label (\(Int(100 * prevalences[0])) %) has a positive in its ranked list in \((100 * share0).fixed(1)) % of the steps with τ = 0, and in \((100 * share7).fixed(1)) % with
    τ = 7 (seed \(seeds[0])'s batches). A list without a positive gives that label no gradient at all.
    """)
chapter.check(
    "with τ = 7 the rarest label's list holds a positive at least 4 times as often",
    share7 >= 4 * share0, "\((100 * share0).fixed(1)) % → \((100 * share7).fixed(1)) %")

// λ must grow with the list: the AP upstream dL/drk_i = rk⁺_i/(|rel|·rk_i²) shrinks along a longer list.
let sweepLambdas: [Double] = chapter.quick ? [4, 256, 1024] : [4, 16, 64, 256, 1024]
let sweepSteps = chapter.quick ? steps : steps / 2  // quick runs are short already
var sweep = [Int: [Double]]()
for tau in [0, 7] {
    sweep[tau] = sweepLambdas.map { lam in
        mean(
            seeds.indices.map { k in
                train(tasks[k], tau: tau, batch: batchSize, lambda: lam, seed: seeds[k], steps: sweepSteps).final
            })
    }
}
chapter.say(
    """

    λ is in integer-rank units, and the AP upstream per rank shrinks like 1/rk² along a longer list: with memory the
    same λ perturbs the scores less. A sweep (\(sweepSteps) steps, mean held-out mAP over \(runs) runs):
    """)
chapter.table(
    ["λ"] + sweepLambdas.map { "\(Int($0))" },
    [["τ = 0"] + sweep[0, default: []].map { $0.fixed(4) }, ["τ = 7"] + sweep[7, default: []].map { $0.fixed(4) }])
chapter.check(
    "at λ = 4 the memory hurts", (sweep[7]?.first ?? .nan) < (sweep[0]?.first ?? .nan),
    "\((sweep[0]?.first ?? .nan).fixed(4)) without, \((sweep[7]?.first ?? .nan).fixed(4)) with τ = 7")
chapter.check(
    "at λ = 256 and 1024 the memory helps",
    sweepLambdas.indices.filter { sweepLambdas[$0] >= 256 }.allSatisfy {
        sweep[7, default: []][$0] > sweep[0, default: []][$0]
    })
chapter.say(
    """
    The official code measures λ on ranks normalised by the list length (λ_paper = λ_code·n), which grows λ with
    the memory automatically.
    """)

let colours = [OkabeIto.vermillion, OkabeIto.orange, OkabeIto.bluishGreen, OkabeIto.blue]
func meanCurve(_ r: [Run]) -> [Double] { r[0].steps.indices.map { i in mean(r.map { $0.testMAP[i] }) } }
chapter.plot(
    Figure(
        name: "memory-training", width: 1600, height: 480, columns: 3,
        panels: [
            Panel(
                title: "Held-out mAP while training (mean of \(runs) runs, batch \(batchSize))", xLabel: "step",
                yLabel: "mAP",
                series: taus.enumerated().map { k, tau in
                    .lines(
                        x: byTau[tau]?.first?.steps ?? [], y: meanCurve(byTau[tau, default: []]), title: "τ = \(tau)",
                        color: colours[k])
                } + [
                    .lines(
                        x: bigBatch[0].steps, y: meanCurve(bigBatch), title: "τ = 0, batch \(8 * batchSize)",
                        color: "black", dash: 2)
                ]),
            Panel(
                title: "Held-out AP per label (mean of \(runs) runs)", xLabel: "label prevalence", yLabel: "AP",
                logX: true,
                series: taus.enumerated().map { k, tau in
                    .linesPoints(x: prevalences, y: perLabel[k], title: "τ = \(tau)", color: colours[k])
                }),
            Panel(
                title: "Held-out mAP vs λ (\(sweepSteps) steps)", xLabel: "λ (integer-rank units)", yLabel: "mAP",
                logX: true,
                xRange: 2...2048,
                series: [
                    .linesPoints(x: sweepLambdas, y: sweep[0, default: []], title: "τ = 0", color: colours[0]),
                    .linesPoints(x: sweepLambdas, y: sweep[7, default: []], title: "τ = 7", color: colours[3]),
                ]),
        ]), key: true)

chapter.finish()
