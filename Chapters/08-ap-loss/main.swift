// Chapter 08 · The AP and mAP losses
//
// Paper §4.5–4.6, Eqs. 21–23: 1 − AP differentiated through the blackbox ranking, averaged over classes (mAP), and
// the interclass term β that ranks the whole batch × classes score matrix as one list. First by hand on a list of
// five, then on a toy multi-label task whose labels range from 2 % to 50 % prevalence, against binary
// cross-entropy (BCE).
import Datasets
import Foundation
import Gnuplot
import Learning
import Rambo
import RamboOfficial
import Support
import Walkthrough

let chapter = Chapter(
    "ch08",
    flags: [
        .double("lambda", default: 256, in: 1e-3...1e6, help: "blackbox interpolation strength λ (paper units)"),
        .double("margin", default: 0.1, in: 0...100, help: "score margin α of Eq. 14"),
        .double("beta", default: 1.0 / 3, in: 0...1, help: "weight β of the interclass term L_APC"),
        .int("memory", default: 7, in: 0...100, help: "score memory τ: stored batches lengthening each class list"),
        .int("epochs", default: 10, quick: 8, in: 1...10_000, help: "training epochs per method"),
        .int(
            "seeds", default: 3, quick: 1, in: 1...100,
            help: "training runs per method (different data and initialisations)"),
    ])
let lambda = chapter.double("lambda")
let margin = chapter.double("margin")
let beta = chapter.double("beta")
let memory = chapter.int("memory")
let epochs = chapter.int("epochs")
let seeds = chapter.int("seeds")

/// Fixed-point text without a minus sign on zero.
func signed(_ v: Double, _ digits: Int = 3) -> String { (v + 0.0 == 0 ? 0.0 : v).fixed(digits) }

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The AP loss on one list, by hand (Eqs. 21–22)")
let scores = [0.9, 0.8, 0.7, 0.6, 0.5]
let relevant = [true, false, true, false, false]
chapter.say(
    """
    Chapter 05 stated this loss's rank gradient and trained with it; here it is derived.
    scores = \(scores), relevant = \(relevant.map { $0 ? 1 : 0 })   (in rank order: ranks 1…5)

    Prec(i) = rk(y⁺)_i / rk(y)_i at each positive: 1/1 at rank 1, 2/3 at rank 3.
    AP = (1 + 2/3)/2 = 5/6,   L_AP = 1 − AP = 1/6.

    rk(y⁺) is a constant, so dL/drk_i = rk⁺_i / (rk_i² · |rel|) on positives, 0 on negatives:
      rank 1: 1/(1·2) = 0.5        rank 3: 2/(9·2) = 1/9 ≈ 0.111
    Blackbox backward (Algorithm 1): y_λ = y + λ·dL/drk, rank again, dL/dy = −(rk(y) − rk(y_λ))/λ.
    With λ = 1: y_λ = [1.4, 0.8, 0.811, 0.6, 0.5], so the positive at rank 3 overtakes the negative at rank 2:
      rk(y) = [1, 2, 3, 4, 5],  rk(y_λ) = [1, 3, 2, 4, 5],  dL/dy = [0, +1, −1, 0, 0].
    """)
let byHandLoss = APLoss(lambda: 1)
let one = byHandLoss.valueAndGradient(scores: scores, relevance: relevant)
chapter.check(
    "L_AP = 1/6 = 1 − averagePrecision",
    isClose(one.loss, 1.0 / 6)
        && isClose(one.loss, 1 - averagePrecision(scores: scores, relevance: relevant)!), "got \(one.loss.fixed(6))")
chapter.check(
    "λ = 1: dL/dy = [0, 1, −1, 0, 0]", zip(one.gradient, [0.0, 1, -1, 0, 0]).allSatisfy { isClose($0, $1) },
    "got \(one.gradient.map { signed($0) })")
var lambdaRows = [[String]]()
for l in [0.5, 1, 3, 10] {
    let g = APLoss(lambda: l).valueAndGradient(scores: scores, relevance: relevant).gradient
    let perturbed = zip(scores, [0.5, 0, 1.0 / 9, 0, 0]).map { $0 + l * $1 }
    lambdaRows.append([
        l.fixed(1), perturbed.fixed(3), rank(perturbed).listed,
        "[" + g.map { signed($0) }.joined(separator: ", ") + "]",
    ])
}
chapter.table(["λ", "y_λ", "rk(y_λ)", "dL/dy"], lambdaRows)
chapter.say(
    """
    λ = 0.5 is too small: the positive at rank 3 moves by 0.056 and overtakes nothing, so the gradient is zero.
    From λ ≈ 0.9 on it overtakes the negative, and larger λ only scales the same step by 1/λ, because here no
    further swap helps.
    """)
let small = APLoss(lambda: 0.5).valueAndGradient(scores: scores, relevance: relevant).gradient
let large = APLoss(lambda: 3).valueAndGradient(scores: scores, relevance: relevant).gradient
chapter.check("λ = 0.5 gives a zero gradient", small.allSatisfy { $0 == 0 })
chapter.check(
    "λ = 3 gives the λ = 1 gradient divided by 3", zip(large, one.gradient).allSatisfy { isClose($0, $1 / 3) })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("mAP and the interclass term β (Eq. 23)")
chapter.say(
    """
    For a batch of B items × C classes, L_mAP = 1 − mean over classes of the AP of each column. Each class is
    ranked on its own, so nothing makes a score of class 1 comparable with a score of class 0. The interclass
    term L_APC ranks the whole B × C matrix as one list, and the detection loss is
        L = (1 − β) · L_mAP + β · L_APC,      β = 1/3 for the paper's 2 : 1 ratio.
    Three items, two classes, each column perfectly ranked but class 0 scored on a higher scale:
    """)
let batchScores = [[0.9, 0.2], [0.8, 0.3], [0.7, 0.1]]
let batchTargets = [[true, false], [false, true], [false, false]]
chapter.table(
    ["item", "class 0 score (target)", "class 1 score (target)"],
    batchScores.indices.map { b in
        [
            "\(b)", "\(batchScores[b][0]) (\(batchTargets[b][0] ? 1 : 0))",
            "\(batchScores[b][1]) (\(batchTargets[b][1] ? 1 : 0))",
        ]
    })
let flatAP = averagePrecision(scores: batchScores.flatMap { $0 }, relevance: batchTargets.flatMap { $0 })!
chapter.say(
    """
    Each column: its positive is on top, so AP = 1 for both classes and L_mAP = 0.
    Flattened: 0.9(+) 0.8 0.7 0.3(+) 0.2 0.1 → AP = (1/1 + 2/4)/2 = 0.75, L_APC = 0.25.
    """)
var betaRows = [[String]]()
var betaGradients = [Double: [[Double]]]()
for b in [0.0, 1.0 / 3, 1.0] {
    let loss = MAPLoss(lambda: 30, interclass: b)
    let result = loss.valueAndGradient(scores: batchScores, targets: batchTargets)
    betaGradients[b] = result.gradient
    betaRows.append([
        b.fixed(3), result.loss.fixed(4),
        result.gradient.map { "[" + $0.map { signed($0, 2) }.joined(separator: ", ") + "]" }.joined(separator: " "),
    ])
}
chapter.table(["β", "L", "dL/dY by row (λ = 30)"], betaRows)
chapter.check("flattened AP = 0.75", isClose(flatAP, 0.75))
chapter.check(
    "L = (1 − β)·0 + β·0.25 for β = 0, 1/3, 1",
    [0.0, 1.0 / 3, 1.0].allSatisfy {
        isClose(MAPLoss(lambda: 1, interclass: $0).forward(scores: batchScores, targets: batchTargets), $0 * 0.25)
    })
chapter.check(
    "β = 0: zero gradient (every class is already perfectly ranked)",
    betaGradients[0, default: []].joined().allSatisfy { $0 == 0 })
chapter.check(
    "β = 1/3: the class-1 positive is pushed up, class-0 negatives above it are pushed down",
    betaGradients[1.0 / 3, default: []][1][1] < 0 && betaGradients[1.0 / 3, default: []][1][0] > 0
        && betaGradients[1.0 / 3, default: []][2][0] > 0)

// Why β = 1/3 and β = 1 print the same gradient: β enters the perturbation, not the result.
let flatScores = batchScores.flatMap { $0 }
let flatRelevant = batchTargets.flatMap { $0 }
let flatUpstream = APLoss(lambda: 30).rankUpstream(scores: flatScores, relevance: flatRelevant)
let risingPositive = 3  // row-major index b·C + c of item 1, class 1 (score 0.3, rank 4 in the flat list)
let passThresholds = [0.7, 0.8].map { ($0 - flatScores[risingPositive]) / (30 * flatUpstream[risingPositive]) }
chapter.say(
    """

    Why do β = 1/3 and β = 1 give the same gradient, when β = 1 weighs L_APC three times as much? The blackbox
    gradient is not linear in a weight on the loss. Autodiff hands the backward the upstream β·dL_APC/drk, so the
    perturbation is y + λ·β·dL_APC/drk (β scales how far the blackbox looks), and the result −(rk − rk_λ)/λ is
    divided by λ, not by λβ. The gradient changes only when λβ moves an item past one more neighbour.
    Here only the class-1 positive (score 0.3, rank 4 of the flat list) can rise past a negative: its
    dL_APC/drk = rk⁺/(rk²·|rel|) = 2/(16·2) = \(flatUpstream[risingPositive].fixed(4)), so at λ = 30 it passes 0.7 once
    β > (0.7 − 0.3)/(30/16) = \(passThresholds[0].fixed(3)) and 0.8 once β > \(passThresholds[1].fixed(3)); above that nothing
    more can change. A sweep of β at λ = 30:
    """)
let betaSweep = [0.1, 0.2, 0.22, 0.25, 0.3, 1.0 / 3, 0.5, 1]
var sweepGradients = [[Double]]()
var sweepRows = [[String]]()
var sweepMatchesHand = true
for b in betaSweep {
    let g = MAPLoss(lambda: 30, interclass: b).valueAndGradient(scores: batchScores, targets: batchTargets)
        .gradient.flatMap { $0 }
    // By hand: the L_mAP term is flat (both columns ranked perfectly), so only β·L_APC on the flat list counts.
    let byHand = rankBackward(scores: flatScores, upstream: flatUpstream.map { b * $0 }, lambda: 30)
    sweepMatchesHand = sweepMatchesHand && zip(g, byHand).allSatisfy { isClose($0, $1) }
    let perturbed = zip(flatScores, flatUpstream).map { $0 + 30 * b * $1 }
    sweepGradients.append(g)
    sweepRows.append([
        b.fixed(3), (30 * b).fixed(2), perturbed[risingPositive].fixed(3),
        "\(rank(perturbed)[risingPositive])", "\(g.filter { $0 != 0 }.count)",
        "[" + g.map { signed($0, 3) }.joined(separator: ", ") + "]",
    ])
}
chapter.table(
    ["β", "λβ", "class-1 positive at y + λβ·g", "its rank", "entries ≠ 0", "dL/dY, row-major (λ = 30)"], sweepRows)
let third = betaSweep.firstIndex(of: 1.0 / 3)!
chapter.check(
    "MAPLoss's gradient is −(rk − rk(y + λβ·g))/λ on the flat list, for every β of the sweep", sweepMatchesHand)
chapter.check(
    "the gradient is a step function of β: zero at β = 0.1 and 0.2, one swap at 0.22 and 0.25, then the same for β = 0.3 … 1",
    sweepGradients[0].allSatisfy { $0 == 0 } && sweepGradients[1].allSatisfy { $0 == 0 }
        && sweepGradients[2] == sweepGradients[3] && sweepGradients[3] != sweepGradients[third]
        && sweepGradients[3].contains { $0 != 0 }
        && sweepGradients[4...].allSatisfy { $0 == sweepGradients[third] })
chapter.say(
    """
    So β sets a threshold on what the blackbox sees, not a factor on its answer. With many items (the training
    below) the pairs' thresholds lie at many different λβ, and the gradient changes with β in many small steps;
    on this tiny case every swap that can help is made once β > \(passThresholds[1].fixed(3)).
    """)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("A toy imbalanced multi-label task")
let prevalences = [0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5]
let samples = chapter.size(quick: 4500, full: 9000)
let features = 16
let trainCount = samples * 2 / 3
let classes = prevalences.count
let batchSize = 64
chapter.say(
    """
    Toy.imbalancedMultiLabel: \(samples) samples, \(features) Gaussian features, \(classes) labels with prevalences
    \(prevalences.map { "\(Int(($0 * 100).rounded())) %" }.joined(separator: ", ")). Label c marks the rows with
    the highest w_c·x/√d + 0.5·tanh(x_a·x_b) + 0.5·noise, a mostly linear rule that a linear scorer fits well but not
    perfectly. The first \(trainCount) rows train, the rest test. Scorer: linear, \(features) → \(classes) (Adam, lr 1e-2,
    batches of \(batchSize), \(epochs) epochs).
    """)

struct Task { let trainX: Matrix, trainT: [[Bool]], testX: Matrix, testT: [[Bool]] }
func makeTask(seed: UInt64) -> Task {
    let data = Toy.imbalancedMultiLabel(samples: samples, features: features, prevalences: prevalences, seed: seed)
    let x = Matrix(data.features)
    return Task(
        trainX: x.rows(Array(0..<trainCount)), trainT: Array(data.labels[0..<trainCount]),
        testX: x.rows(Array(trainCount..<samples)), testT: Array(data.labels[trainCount..<samples]))
}
let task1 = makeTask(seed: chapter.seed)
let testPositives = (0..<classes).map { c in task1.testT.filter { $0[c] }.count }
chapter.table(
    ["label", "prevalence", "test positives"],
    (0..<classes).map { c in
        ["\(c)", "\((100 * prevalences[c]).fixed(0)) %", "\(testPositives[c])"]
    })
chapter.check(
    "prevalences as asked (train + test, to rounding)",
    (0..<classes).allSatisfy { c in
        let count = (task1.trainT + task1.testT).filter { $0[c] }.count
        return abs(Double(count) - prevalences[c] * Double(samples)) <= 1
    })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("λ for the AP loss")
let listLength = batchSize * (memory + 1)
let defaultListLength = batchSize * 8  // τ = 7
let ruleHere = defaultLambda(length: listLength)
let deepUpstream = 5.0 / (250.0 * 250.0 * 10.0 * Double(classes))
chapter.say(
    """
    dL/drk_i = rk⁺_i/(rk_i²·|rel|·C) decays like 1/rk²: a positive of a rare label deep in a class list gets
    almost nothing. With the memory, each class list has n = \(batchSize)·(τ + 1) = \(listLength) items; the 5th of
    10 positives at rank 250 gets 5/(250²·10·\(classes)) = \(deepUpstream.sci). For λ·dL/drk to move it past
    neighbours that are ~1e-3 apart, λ must be in the hundreds or more.
    The course's rule λ = n/2 (the authors' λ_code = 0.5, chapter 04) gives \(compactNumber(defaultLambda(length: defaultListLength))) at the default τ = 7 for both
    lists of this loss: the class lists of 64·8 = 512 items and the flat L_APC list of B·C = 64·8 = 512. The
    default --lambda is that 256, kept fixed when --memory changes so that --memory changes only the memory\(memory == 7 ? "." : "\n(the rule for τ = \(memory), n = \(listLength), would give \(compactNumber(ruleHere)); §6 shows what a small λ costs).")
    This run: \(lambdaText(lambda, length: listLength)).
    """)
chapter.check(
    "the default λ = 256 is the rule n/2 at τ = 7: λ_code = 0.5 on lists of 512",
    isClose(codeLambda(fromPaper: 256, length: defaultListLength), 0.5)
        && isClose(defaultLambda(length: batchSize * classes), 256))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Training: RaMBO mAP loss vs BCE")
/// The methods compared; the raw value is the name in tables and summary.json.
enum Method: String, CaseIterable, CustomStringConvertible {
    case bce
    case ramboAP = "rambo-ap"
    case ramboAPBeta0 = "rambo-ap-beta0"
    case bceAndRamboAP = "bce+rambo-ap"
    var description: String { rawValue }
}
let methods = Method.allCases
let titles = ["BCE", "RaMBO mAP, β = \(beta.fixed(2))", "RaMBO mAP, β = 0", "BCE + RaMBO mAP (½ each)"]
chapter.say(
    """
    Same initial weights and batches for every method, \(seeds) run\(seeds > 1 ? "s" : "") (seed = data, weights and batches).
    RaMBO: λ = \(lambda.fixed(0)), margin α = \(margin.fixed(2)), memory τ = \(memory) batches, β as named. "BCE + RaMBO" is
    ½·BCE + ½·RaMBO (β = \(beta.fixed(2))). Test metrics: mAP over the \(classes) labels, and the flat AP of the whole
    test score matrix as one list, which is what L_APC trains.
    """)

struct Result {
    var perLabel: [Double]
    var mAP: Double
    var flat: Double
    var scores: Matrix
}
func evaluate(_ scores: Matrix, _ targets: [[Bool]]) -> Result {
    let perLabel = (0..<classes).map { c in
        averagePrecision(scores: (0..<scores.rows).map { Double(scores[$0, c]) }, relevance: targets.map { $0[c] })!
    }
    let flat = averagePrecision(scores: scores.storage.map(Double.init), relevance: targets.flatMap { $0 })!
    return Result(perLabel: perLabel, mAP: perLabel.reduce(0, +) / Double(classes), flat: flat, scores: scores)
}

func train(method: Method, task: Task, seed: UInt64, lambda: Double = lambda, epochs: Int = epochs) -> Result {
    let trainer = ScoreTrainer(sizes: [features, classes], learningRate: 1e-2, seed: seed &+ 3)
    var sampler = MinibatchSampler(count: task.trainX.rows, batchSize: batchSize, dropLast: true, seed: seed &+ 5)
    // Every epoch deals trainCount / batchSize full batches (the partial last one is dropped).
    let steps = epochs * (task.trainX.rows / batchSize)
    func fit<L: ScoreLoss>(_ loss: L) {
        var loss = loss
        trainer.fit(inputs: task.trainX, targets: task.trainT, loss: &loss, sampler: &sampler, steps: steps)
    }
    func ap(interclass: Double) -> MAPScoreLoss {
        MAPScoreLoss(loss: MAPLoss(lambda: lambda, margin: margin, interclass: interclass), memorySize: memory)
    }
    switch method {
    case .bce: fit(BCEScoreLoss())
    case .ramboAP: fit(ap(interclass: beta))
    case .ramboAPBeta0: fit(ap(interclass: 0))
    case .bceAndRamboAP: fit(CombinedScoreLoss(BCEScoreLoss(), ap(interclass: beta), weight: 0.5))
    }
    return evaluate(trainer.scores(task.testX), task.testT)
}

var results = [Method: [Result]]()
for s in 0..<seeds {
    let seed = chapter.seed &+ UInt64(s) &* 7919
    let task = s == 0 ? task1 : makeTask(seed: seed)
    for method in methods { results[method, default: []].append(train(method: method, task: task, seed: seed)) }
}
let untrained = evaluate(
    ScoreTrainer(sizes: [features, classes], learningRate: 1e-2, seed: chapter.seed &+ 3).scores(task1.testX),
    task1.testT)

/// Mean ± sd over the seeds (the mean alone for one seed).
func cell(_ v: [Double]) -> String { meanAndSD(v) }
func maps(_ m: Method) -> [Double] { results[m, default: []].map(\.mAP) }
func flats(_ m: Method) -> [Double] { results[m, default: []].map(\.flat) }
var rows = [["untrained", untrained.mAP.fixed(3), untrained.flat.fixed(3), untrained.perLabel[0].fixed(3)]]
for method in methods {
    rows.append([
        method.rawValue, cell(maps(method)), cell(flats(method)),
        cell(results[method, default: []].map { $0.perLabel[0] }),
    ])
    chapter.metric("toy-multilabel", method.rawValue, "mAP", mean(maps(method)))
    chapter.metric("toy-multilabel", method.rawValue, "flat-AP", mean(flats(method)))
}
chapter.say("Test set, \(seeds > 1 ? "mean ± sd over \(seeds) runs" : "one run"):")
chapter.table(["method", "mAP", "flat AP (one list)", "AP of the 2 % label"], rows)
/// From λ = 256 (the rule at τ = 7) up, §6 finds RaMBO level with BCE; below, rare positives lose their gradient.
let inBand = lambda >= 256
/// The claims about where training ends (β = 0 catching up with β, both reaching BCE) need the full run's 10
/// epochs on 6000 rows; --quick trains 8 epochs on 3000 rows and checks only what already holds there.
let fullTraining = !chapter.quick && epochs >= 10
for method in methods {
    // Below the band β = 0 leaves the rare labels' deep positives without gradient (§6): it trains, but less.
    let needed = inBand || method != .ramboAPBeta0 ? 0.2 : 0.1
    chapter.check(
        "\(method) trains: mAP above the untrained scorer's by > \(needed) in every run",
        maps(method).allSatisfy { $0 > untrained.mAP + needed }, "\(maps(method).fixed(3))")
}
let apGap = zip(maps(.ramboAP), maps(.bce)).map { $0 - $1 }
chapter.say(
    "rambo-ap − bce, mAP per run: \(apGap.map { signed($0) }); "
        + seedVerdictText("rambo-ap", "bce", maps(.ramboAP), maps(.bce)) + ".")
chapter.check(
    "rambo-ap (β = \(beta.fixed(2))) is not ahead of BCE beyond the seed spread",
    compareOverSeeds(maps(.ramboAP), maps(.bce)).verdict != .firstAhead,
    seedVerdictText("rambo-ap", "bce", maps(.ramboAP), maps(.bce)))
if inBand && fullTraining {
    chapter.check(
        "at λ = \(compactNumber(lambda)) ≥ 256, after \(epochs) epochs, rambo-ap's mean mAP is within 0.03 of BCE's",
        abs(mean(apGap)) <= 0.03,
        "mean rambo-ap − bce = \(signed(mean(apGap)))")
    chapter.say(
        """
        For a linear scorer on labels that are nearly linear, BCE already ranks each label about as well as the
        scorer can, and optimising AP directly finds no better ranking here.
        """)
} else if !inBand {
    chapter.say(
        """
        At λ = \(compactNumber(lambda)), below 256, the deep positives of the rare labels get too little gradient and RaMBO
        falls behind: §6 shows mAP against λ.
        """)
}
let betaGap = zip(flats(.ramboAP), flats(.ramboAPBeta0)).map { $0 - $1 }
if beta >= 0.1 {
    chapter.check(
        "β = \(beta.fixed(2)) raises the flat AP over β = 0 by > 0.1 in every run", betaGap.allSatisfy { $0 > 0.1 },
        "gain \(betaGap.map { signed($0) })")
    chapter.check(
        "β = 0 leaves the flat AP below BCE's in every run (its scores are not comparable across labels)",
        zip(flats(.ramboAPBeta0), flats(.bce)).allSatisfy { $0 < $1 }, "\(flats(.ramboAPBeta0).fixed(3))")
    let perLabelShift = zip(maps(.ramboAP), maps(.ramboAPBeta0)).map { $0 - $1 }
    chapter.check(
        "β never costs per-label mAP: mAP(β) ≥ mAP(0) − 0.03 in every run",
        perLabelShift.allSatisfy { $0 > -0.03 }, "mAP(β) − mAP(0): \(perLabelShift.map { signed($0) })")
    if inBand && fullTraining {
        chapter.check(
            "at λ = \(compactNumber(lambda)) ≥ 256, after \(epochs) epochs, β moves the per-label mAP by less than 0.03 in every run",
            perLabelShift.allSatisfy { abs($0) < 0.03 }, "mAP(β) − mAP(0): \(perLabelShift.map { signed($0) })")
    }
    chapter.say(
        """
        \(inBand ? "At this λ β changes little in the per-label mAP" : "At this small λ β raises the per-label mAP (the flat list still gives the rare positives a signal, §6)") but a lot in the flat AP. With β = 0 nothing ties the scales of the labels
        together: each column is ranked correctly, but a 2 % label's best score can sit below a 50 % label's
        negatives. BCE calibrates every label to a probability, and L_APC ranks all labels in one list.
        """)
}

// Figures: per-label AP against prevalence, PR curves of the rarest label.
let inks = methods.map { Ink.method($0.rawValue) }
let prevalenceAxis = prevalences
chapter.plot(
    Figure(
        name: "ap-vs-prevalence",
        caption: """
            Test AP of each label against how common it is, mean over seeds: every method stays above chance \
            (dashed grey, AP = prevalence); compare RaMBO (vermillion; β = 0 light and dashed) with BCE (green) \
            on the rare labels on the left, where a ranking loss has the most to gain.
            """,
        panel: Panel(
            title: "Test AP per label (\(seeds > 1 ? "mean of \(seeds) runs" : "one run"))", xLabel: "label prevalence",
            yLabel: "AP", logX: true, probability: .y,
            series: methods.indices.map { m in
                .linesPoints(
                    x: prevalenceAxis,
                    y: (0..<classes).map { c in mean(results[methods[m], default: []].map { $0.perLabel[c] }) },
                    title: titles[m], ink: inks[m])
            } + [
                .lines(
                    x: prevalenceAxis, y: prevalenceAxis, title: "chance (AP = prevalence)", ink: .role(.chance),
                    lineWidth: 1.5)
            ])),
    key: true)
// Below the band, β = 0 can leave a rare label at chance (§6); every other method stays above it.
let chanceMethods = inBand ? methods : methods.filter { $0 != .ramboAPBeta0 }
let belowChance = chanceMethods.flatMap { m in
    results[m, default: []].enumerated().flatMap { run, r in
        (0..<classes).filter { r.perLabel[$0] <= prevalences[$0] }.map { "\(m) run \(run + 1) label \($0)" }
    }
}
chapter.check(
    "every label's AP is above chance (its prevalence) for \(inBand ? "every method" : "every method but β = 0") and run",
    belowChance.isEmpty, belowChance.isEmpty ? "" : "at chance: \(belowChance.joined(separator: ", "))")

let rare = 0
func prSeries(_ curve: (Result) -> [(recall: Double, precision: Double)], ap: (Result) -> Double) -> [Series] {
    methods.indices.compactMap { m in
        guard let r = results[methods[m]]?.first else { return nil }
        let points = curve(r)
        return .lines(
            x: points.map(\.recall), y: points.map(\.precision),
            title: "\(titles[m]) (AP \(ap(r).fixed(2)))", ink: inks[m])
    }
}
let rarePanel = Panel(
    title: "label \(rare) (\((100 * prevalences[rare]).fixed(0)) %)", xLabel: "recall", yLabel: "precision",
    probability: .both, key: .below,
    series: prSeries(
        { r in
            precisionRecallCurve(
                scores: (0..<r.scores.rows).map { Double(r.scores[$0, rare]) }, relevance: task1.testT.map { $0[rare] })
        }, ap: { $0.perLabel[rare] }) + [.constant(prevalences[rare], title: "chance", ink: .role(.chance))])
let flatPanel = Panel(
    title: "all labels ranked as one list (what L_{APC} trains)", xLabel: "recall", yLabel: "precision",
    probability: .both, key: .below,
    series: prSeries(
        { r in
            precisionRecallCurve(scores: r.scores.storage.map(Double.init), relevance: task1.testT.flatMap { $0 })
        }, ap: { $0.flat }))
chapter.plot(
    Figure(
        name: "pr-curves",
        caption: """
            Precision against recall on the test set, run 1: for the rarest label alone (left) and for all labels \
            ranked as one list (right), the list the interclass term L_APC trains; the higher and further right a \
            curve, the better, and the key gives each curve's AP.
            """,
        title: "Test precision–recall, run 1", width: 1000, height: 620, columns: 2,
        panels: [rarePanel, flatPanel]))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("λ and β together")
let sweep = chapter.quick ? [10.0, 30, 256, 3000] : [10.0, 30, 100, 256, 1000, 3000]
chapter.say(
    """
    Run 1, mAP against λ for β = 0 and β = \(beta.fixed(2)). A small λ leaves the deep positives of rare labels without
    gradient (their lists are mostly negatives). The flat list of L_APC mixes every label, so the rare positives are
    compared with the common labels' scores too, and they still get a signal.
    """)
func trainBeta(_ b: Double, lambda l: Double, task: Task, seed: UInt64) -> Result {
    train(method: b == 0 ? .ramboAPBeta0 : .ramboAP, task: task, seed: seed, lambda: l)
}
let bceFirstMAP = results[.bce]?.first?.mAP ?? .nan  // seed 1
var sweepMaps = [Double: [Double]]()
for b in [0.0, beta] {
    sweepMaps[b] = sweep.map { l -> Double in
        if l == lambda, let first = results[b == 0 ? .ramboAPBeta0 : .ramboAP]?.first { return first.mAP }
        return trainBeta(b, lambda: l, task: task1, seed: chapter.seed).mAP
    }
}
chapter.table(
    ["λ", "mAP β = 0", "mAP β = \(beta.fixed(2))"],
    sweep.indices.map { i in
        [sweep[i].fixed(0), sweepMaps[0, default: []][i].fixed(3), sweepMaps[beta, default: []][i].fixed(3)]
    })
chapter.plot(
    Figure(
        name: "lambda-beta",
        caption: """
            Test mAP of RaMBO's AP loss against λ, for β = 0 and the chapter's β, with BCE's mAP as the line to \
            reach: at small λ the interclass term keeps the rare labels learning, and from λ ≈ 256 up both reach \
            BCE.
            """,
        panel: Panel(
            title: "Test mAP against λ (run 1)", xLabel: "λ (paper units)", yLabel: "mAP", logX: true,
            probability: .y,
            series: [
                .linesPoints(x: sweep, y: sweepMaps[0, default: []], title: "β = 0", ink: .method("rambo-ap-beta0")),
                .linesPoints(x: sweep, y: sweepMaps[beta, default: []], title: "β = \(beta.fixed(2))", ink: inks[1]),
                .constant(bceFirstMAP, title: "BCE", ink: inks[0]),
            ])))
let smallLambda = 10.0
if beta >= 0.1 {
    var smallGap = [Double]()
    for s in 0..<seeds {
        let seed = chapter.seed &+ UInt64(s) &* 7919
        let task = s == 0 ? task1 : makeTask(seed: seed)
        let with =
            s == 0
            ? sweepMaps[beta, default: []][sweep.firstIndex(of: smallLambda)!]
            : trainBeta(beta, lambda: smallLambda, task: task, seed: seed).mAP
        let without =
            s == 0
            ? sweepMaps[0, default: []][sweep.firstIndex(of: smallLambda)!]
            : trainBeta(0, lambda: smallLambda, task: task, seed: seed).mAP
        smallGap.append(with - without)
    }
    // The long class lists of τ ≥ 7 (512 items) bury the rare positives deepest; with short lists β matters less.
    let longLists = memory >= 7
    chapter.check(
        "at λ = \(Int(smallLambda)), β = \(beta.fixed(2)) \(longLists ? "beats β = 0 on mAP by > 0.05" : "is not behind β = 0 (gain > −0.03)") in every run",
        smallGap.allSatisfy { $0 > (longLists ? 0.05 : -0.03) },
        "gain \(smallGap.map { signed($0) }), class lists of \(listLength)")
}
let top = sweep.indices.filter { sweep[$0] >= 256 }
if fullTraining {
    chapter.check(
        "from λ = 256 up, after \(epochs) epochs, both β reach within 0.03 of BCE's mAP (run 1)",
        top.allSatisfy {
            abs(sweepMaps[0, default: []][$0] - bceFirstMAP) <= 0.03
                && abs(sweepMaps[beta, default: []][$0] - bceFirstMAP) <= 0.03
        },
        "BCE \(bceFirstMAP.fixed(3)); β = 0: \(top.map { sweepMaps[0, default: []][$0] }.fixed(3)), β = \(beta.fixed(2)): \(top.map { sweepMaps[beta, default: []][$0] }.fixed(3))"
    )
} else {
    chapter.say(
        "(--quick trains too briefly for β = 0 to catch up at every λ; the full run checks that both reach BCE.)")
}

chapter.finish()
