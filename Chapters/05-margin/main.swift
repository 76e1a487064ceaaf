// Chapter 05 · The score margin
//
// Problem (P2) of paper §4.4: a loss of ranks cannot tell a wide gap from a hair's breadth, nor large scores from
// small ones. The blackbox gradient can: its interpolation f_λ sees the scale of the scores through λ, and it is
// lowest when every score is squeezed together. This chapter shows the invariance, shows which way the blackbox
// gradient leans (always inward), then trains a linear scorer with and without the margin of Eq. 14: without it
// the scores collapse (overlapping classes) or stop the moment the positives are barely ahead (separable
// classes); with it a gap of about α opens and the scale holds (paper Fig. 3). Last, the official mAP code's
// noisy margin, measured.
import Foundation
import Gnuplot
import Learning
import Rambo
import RamboOfficial
import RamboTeaching
import Support
import Walkthrough

let chapter = Chapter(
    "ch05",
    flags: [
        .double("alpha", default: 0.5, in: 1e-3...100, help: "margin α of Eq. 14 in the training runs"),
        .double(
            "lambda", default: defaultLambda(length: 64), in: 1...1e6,
            help: "λ of the training runs, paper units (integer ranks); default the rule n/2 for lists of 64"),
        .int("steps", default: 3000, quick: 1500, in: 100...1_000_000, help: "training steps per run"),
        .int("runs", default: 3, quick: 2, in: 1...100, help: "training runs (seeds) per setting"),
    ])
let alpha = chapter.double("alpha")
let trainLambda = chapter.double("lambda")
let steps = chapter.int("steps")
let runs = chapter.int("runs")
var rng = SplitMix64(seed: chapter.seed)

// Okabe–Ito blue and orange: apart in hue and in lightness, so they read for every kind of colour vision (the
// paper's Fig. 3 uses green and red).
/// The two runs of the training figures: RaMBO's AP loss without the margin (an ablation, a lighter dashed shade)
/// and with it (RaMBO's own vermillion).
let noMarginInk = Ink.method("rambo-ap-no-margin")
let marginInk = Ink.method("rambo-ap")

/// Powers of two, so that c·y, λ/c and their products are exact in floating point.
let scales = [-10, -4, 0, 4, 10].map { pow(2.0, Double($0)) }
func scaleName(_ c: Double) -> String { c >= 1 ? "\(Int(c))" : "1/\(Int(1 / c))" }

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The AP loss and its gradient in ranks (derived in chapter 08)")
let apScores = [0.9, 0.8, 0.7, 0.6, 0.5]
let apRelevant = [true, false, true, false, false]
let apLambda = defaultLambda(length: apScores.count)
let apUpstream = APLoss(lambda: apLambda).rankUpstream(scores: apScores, relevance: apRelevant)
let apPerturbed = zip(apScores, apUpstream).map { $0 + apLambda * $1 }
let apGradient = APLoss(lambda: apLambda).valueAndGradient(scores: apScores, relevance: apRelevant).gradient
chapter.say(
    """
    This chapter trains with the AP loss, so here it is up front; chapter 08 derives it. For one ranked list,
    with rk_i the rank of item i among all items and rk⁺_i its rank among the positives only,
        L_AP = 1 − AP = 1 − (1/|rel|) Σ_{i relevant} rk⁺_i / rk_i      (Prec(i) = rk⁺_i / rk_i, paper Eqs. 21–22).
    rk⁺ is held constant (passing a negative does not change it), so the rank gradient the blackbox perturbs with
    (chapter 03) is
        dL/drk_i = rk⁺_i / (|rel| · rk_i²)  on positives,   0 on negatives:
    always ≥ 0, largest for positives near the top, and falling like 1/rk² down the list.
    The list \(apScores) with positives at ranks 1 and 3 (APLoss.rankUpstream):
      1 − AP = 1 − (1/1 + 2/3)/2 = \(APLoss(lambda: apLambda).forward(scores: apScores, relevance: apRelevant).fixed(4)),   dL/drk = \(apUpstream.fixed(4))   (1/(2·1²) and 2/(2·3²))
    With \(lambdaText(apLambda, length: apScores.count)), the course's rule (chapter 04):
      y_λ = y + λ·dL/drk = \(apPerturbed.fixed(3)),  rk(y_λ) = \(rank(apPerturbed).listed)
      dL/dy = −(rk(y) − rk(y_λ))/λ = \(apGradient.map { $0 + 0 }.fixed(3)): raise the lower positive, lower the negative it passed.
    """)
chapter.check(
    "APLoss.rankUpstream = [1/2, 0, 1/9, 0, 0], the formula by hand",
    zip(apUpstream, [0.5, 0, 1.0 / 9, 0, 0]).allSatisfy { isClose($0, $1) }, "got \(apUpstream.fixed(4))")
chapter.check(
    "the blackbox gradient at λ = n/2 = 2.5 swaps the lower positive with the negative above it",
    isClose(apGradient, [0, 0.4, -0.4, 0, 0]), "got \(apGradient.map { $0 + 0 }.fixed(3))")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Ranks, and every loss of ranks, ignore the scale")
chapter.say(
    """
    Multiply every score by c > 0: the order does not change, so neither do the ranks, 1 − AP or the recall
    loss. A list of 20 scores with 5 positives (positive scores ~ N(0.5, 1), negatives ~ N(0, 1)):
    """)
let relevant = (0..<20).map { $0 % 4 == 0 }
let y = relevant.map { ($0 ? 0.5 : 0) + rng.nextGaussian() }
let ap = APLoss(lambda: 8)
let recall = RecallLoss(lambda: 8)
var invariantRows = [[String]]()
var invariant = true
for c in scales {
    let scaled = y.map { c * $0 }
    let sameRanks = rank(scaled) == rank(y)
    let apLoss = ap.forward(scores: scaled, relevance: relevant)
    let recallLoss = recall.forward(scores: [scaled], relevance: [relevant])
    invariant =
        invariant && sameRanks && apLoss == ap.forward(scores: y, relevance: relevant)
        && recallLoss == recall.forward(scores: [y], relevance: [relevant])
    invariantRows.append([scaleName(c), sameRanks ? "yes" : "no", apLoss.fixed(6), recallLoss.fixed(6)])
}
chapter.table(["c", "rk(c·y) = rk(y)", "1 − AP", "recall loss (log)"], invariantRows)
chapter.check("ranks, 1 − AP and the recall loss are identical for c = 1/1024 … 1024", invariant)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The blackbox gradient sees the scale through λ")
let lambda = 8.0
chapter.say(
    """
    Algorithm 1 perturbs the scores by λ·dL/drk, a quantity in score units. At c·y the ranks and dL/drk are those
    of y, so y_λ = c·y + λ·dL/drk = c·(y + (λ/c)·dL/drk), and

        ∇L(c·y; λ) = −(rk(y) − rk(y + (λ/c)·dL/drk))/λ = (1/c) · ∇L(y; λ/c).

    Shrinking the scores by c is the same as multiplying λ by 1/c: small scores see a strong interpolation (many
    rank swaps), large scores a weak one (none). 1 − AP on the list above, λ = \(Int(lambda)): a power of two, so
    that λ/c is exact (the course's rule would give n/2 = \(compactNumber(defaultLambda(length: y.count))) for this list of \(y.count)).
    """)
var gradientRows = [[String]]()
var identityHolds = true
var nonzeroAt = [Double: Int]()
for c in scales {
    let scaled = y.map { c * $0 }
    let g = ap.valueAndGradient(scores: scaled, relevance: relevant).gradient
    let reference = APLoss(lambda: lambda / c).valueAndGradient(scores: y, relevance: relevant).gradient.map { $0 / c }
    identityHolds = identityHolds && g == reference
    nonzeroAt[c] = g.filter { $0 != 0 }.count
    gradientRows.append([scaleName(c), "\(nonzeroAt[c, default: 0])", g.map(abs).reduce(0, +).sci, dot(g, scaled).sci])
}
chapter.table(["c", "entries ≠ 0", "‖∇‖₁", "⟨∇, c·y⟩"], gradientRows)
chapter.check("∇L(c·y; λ) = (1/c)·∇L(y; λ/c) exactly, for every c", identityHolds)
chapter.check(
    "at c = 1024 the gradient is exactly zero: no perturbation flips a rank",
    nonzeroAt[scales.last!] == 0)
chapter.check(
    "at c = 1/1024 more entries move than at c = 1",
    nonzeroAt[scales.first!, default: 0] > nonzeroAt[1, default: 0],
    "\(nonzeroAt[scales.first!, default: 0]) vs \(nonzeroAt[1, default: 0])")

chapter.say(
    """

    Where does f_λ want the scale to go? Take a loss that is linear in the ranks, so that f_λ is exact: the mean
    rank of the positives, L = (1/|rel|)·Σ_{i∈rel} rk_i (dL/drk = 1/|rel| on positives). Along the ray c·y (figure `scale-invariance`, left):
    """)
let meanRankGradient = relevant.map { $0 ? 1.0 / 5 : 0 }
let meanRankLoss = LinearLoss(gradient: meanRankGradient)
let interpolation = try! Interpolation(solver: RankingSolver(), loss: meanRankLoss, lambda: lambda)
let rayScales = stride(from: -12.0, through: 8.0, by: 0.25).map { pow(2.0, $0) }
let onRay = rayScales.map { c in interpolation.evaluate(at: y.map { c * $0 }) }
let fOnRay = onRay.map(\.lossAtSolution)
let fLambdaOnRay = onRay.map(\.value)
let bestPossible = Double(1 + 5) / 2  // positives at ranks 1…5
chapter.table(
    ["c", "f(c·y)", "f_λ(c·y)"],
    [0, 16, 32, 48, 64, 80].map {
        [scaleName(rayScales[$0]), fOnRay[$0].fixed(3), fLambdaOnRay[$0].fixed(3)]
    })
chapter.check(
    "f_λ(c·y) never decreases as c grows (it is lowest for the smallest scores)",
    zip(fLambdaOnRay, fLambdaOnRay.dropFirst()).allSatisfy { $0 <= $1 + 1e-12 })
// f_λ = f as soon as the largest perturbation λ·max|dL/drk|/c is below the closest pair of scores of y.
let sortedY = y.sorted()
let closestPair = zip(sortedY, sortedY.dropFirst()).map { $1 - $0 }.min()!
let faithfulScale = pow(2, log2(2 * lambda * meanRankGradient.max()! / closestPair).rounded(.up))
let faithful = interpolation.evaluate(at: y.map { faithfulScale * $0 })
chapter.check(
    "at c = 1/4096 f_λ ≈ \(bestPossible.fixed(1)), the loss of a perfect ranking",
    abs(fLambdaOnRay.first! - bestPossible) < 0.01, "f_λ = \(fLambdaOnRay.first!.fixed(4))")
chapter.check(
    "once λ·max|dL/drk|/c is below the closest pair of y (\(closestPair.sci)), f_λ = f",
    faithful.value == faithful.lossAtSolution, "c = \(faithfulScale.sci): \(faithful.value.fixed(4))")
chapter.say(
    """
    The interpolation promises a perfect ranking at the dataset-wide tie c → 0. Its gradient always leans that
    way: rk(y) minimises ⟨y, π⟩ over permutations (Prop. 1), so ⟨y, rk(y_λ)⟩ ≥ ⟨y, rk(y)⟩ and

        ⟨∇f_λ(y), y⟩ = (⟨y, rk(y_λ)⟩ − ⟨y, rk(y)⟩)/λ ≥ 0,        Σ_i ∇f_λ(y)_i = 0.

    A gradient step y − η∇ keeps the mean and changes the spread ‖y − ȳ‖² by −2η⟨∇, y⟩ + η²‖∇‖²: to first
    order it never widens the scores. On 2000 random lists (AP and recall losses, random λ):
    """)
var inward = true
var balanced = true
for t in 0..<2000 {
    let n = Int.random(in: 4...60, using: &rng)
    let rel = (0..<n).map { $0 == 0 || rng.nextUnit() < 0.3 }
    let scores = rel.map { ($0 ? 0.3 : 0) + rng.nextGaussian() }
    let lam = pow(10, Double.random(in: -1...3, using: &rng))
    let g =
        t % 2 == 0
        ? APLoss(lambda: lam).valueAndGradient(scores: scores, relevance: rel).gradient
        : RecallLoss(lambda: lam).valueAndGradient(scores: [scores], relevance: [rel]).gradient[0]
    inward = inward && dot(g, scores) >= -1e-12
    balanced = balanced && abs(g.reduce(0, +)) < 1e-9
}
chapter.check("⟨∇, y⟩ ≥ 0 on every list: the blackbox gradient never points outward", inward)
chapter.check("Σ ∇ = 0 on every list: a step keeps the mean score", balanced)
var perfectIsFlat = true
for t in 0..<1000 {
    // Positives first, every gap as thin as 1e-9 of the spread; λ up to 1e6.
    let n = Int.random(in: 2...40, using: &rng)
    let p = Int.random(in: 1..<n, using: &rng)
    let scores = (0..<n).map { -Double($0) * 1e-9 }
    let rel = (0..<n).map { $0 < p }
    let lam = pow(10, Double.random(in: 0...6, using: &rng))
    let g =
        t % 2 == 0
        ? APLoss(lambda: lam).valueAndGradient(scores: scores, relevance: rel).gradient
        : RecallLoss(lambda: lam).valueAndGradient(scores: [scores], relevance: [rel]).gradient[0]
    perfectIsFlat = perfectIsFlat && g.allSatisfy { $0 == 0 }
}
chapter.say(
    """
    A model that can shrink its scores (any network with a linear last layer) is therefore pulled toward a tie.
    And a perfect ranking gets a zero gradient however thin its gap: the perturbation only lifts positives, the
    higher ones at least as much, so no rank changes.
    """)
chapter.check(
    "1000 perfectly ranked lists with gaps of 1e-9, λ up to 1e6: the AP and recall gradients are exactly 0",
    perfectIsFlat)
chapter.say("Those are the two faces of P2.")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The margin (Eq. 14) breaks the invariance")
chapter.say(
    """
    Rank shifted scores instead: ỹ_i = y_i + α/2 for negatives, y_i − α/2 for positives (Eq. 14, rk_α = rk(ỹ)).
    A positive now counts as ahead of a negative only if it beats it by more than α. The shift is additive, so
    dL/dy = dL/dỹ.
    """)
let demoAlpha = 0.5
let shifted = marginShifted([0.9, 0.8, 0.1], relevance: [true, false, false], alpha: demoAlpha)
chapter.say("marginShifted([0.9, 0.8, 0.1], relevance [1, 0, 0], α = \(demoAlpha)) = \(shifted.fixed(2))")
chapter.check("positives move down by α/2, negatives up by α/2", shifted == [0.65, 1.05, 0.35])

let barely = [1.02, 1.01, 1.0, 0.0, -0.5]  // both positives ahead, by 0.01 and more
let barelyRelevant = [true, true, false, false, false]
let plain = APLoss(lambda: lambda).valueAndGradient(scores: barely, relevance: barelyRelevant)
let withMargin = APLoss(lambda: lambda, margin: demoAlpha).valueAndGradient(scores: barely, relevance: barelyRelevant)
chapter.say(
    """

    Positives barely ahead: y = \(barely), relevance [1, 1, 0, 0, 0].
      no margin:  1 − AP = \(plain.loss.fixed(4)),  ∇ = \(plain.gradient.map { $0 + 0 }.fixed(3))
      α = \(demoAlpha):    1 − AP = \(withMargin.loss.fixed(4)),  ∇ = \(withMargin.gradient.map { $0 + 0 }.fixed(3))
    """)
chapter.check(
    "without a margin the loss and the gradient are exactly zero",
    plain.loss == 0
        && plain.gradient.allSatisfy { $0 == 0 })
chapter.check(
    "with α = \(demoAlpha) the gradient pushes the positives up and the close negative down",
    withMargin.loss > 0 && withMargin.gradient[0] < 0 && withMargin.gradient[1] < 0
        && withMargin.gradient[2] > 0)

let marginLoss = APLoss(lambda: lambda, margin: demoAlpha)
let marginOnRay = rayScales.map { c in marginLoss.forward(scores: y.map { c * $0 }, relevance: relevant) }
let plainOnRay = rayScales.map { c in ap.forward(scores: y.map { c * $0 }, relevance: relevant) }
// As c → 0 the margin wins: every negative ranks above every positive.
let worstAP = averagePrecision(scores: relevant.map { $0 ? 0.0 : 1.0 }, relevance: relevant)!
chapter.say(
    """

    The margin is a fixed length in score units, so the loss now depends on the scale: at c·y it is the margin α/c
    at y. Large c: the margin is negligible and L_α → L (figure `scale-invariance`, right). Small c: the margin dominates and every negative ranks
    above every positive (1 − AP = \((1 - worstAP).fixed(4)) for this list).
    """)
// The margin stops mattering once α/c is below the closest positive–negative pair of y.
var closest = Double.infinity
for i in y.indices where relevant[i] {
    for j in y.indices where !relevant[j] { closest = min(closest, abs(y[i] - y[j])) }
}
let negligible = pow(2, (log2(2 * demoAlpha / closest)).rounded(.up))
let atNegligible = marginLoss.forward(scores: y.map { negligible * $0 }, relevance: relevant)
chapter.check(
    "1 − AP with the margin never increases with c",
    zip(marginOnRay, marginOnRay.dropFirst()).allSatisfy { $0 >= $1 - 1e-12 },
    "\(marginOnRay.first!.fixed(4)) at c = 1/4096 … \(marginOnRay.last!.fixed(4)) at c = 256")
chapter.check(
    "once α/c is below the closest positive–negative gap of y (\(closest.sci)) it equals the marginless loss",
    atNegligible == plainOnRay[0], "c = \(negligible.sci): \(atNegligible.fixed(4))")
chapter.check("at c = 1/4096 all negatives rank above all positives", abs(marginOnRay.first! - (1 - worstAP)) < 1e-12)
chapter.plot(
    Figure(
        name: "scale-invariance",
        caption: """
            Left: along the ray c·y the loss of ranks f is flat, but f_λ falls as the scores shrink towards a tie \
            (c → 0), so a gradient step on f_λ pulls the scores together. Right: with the margin, 1 − AP depends \
            on the scale and is worst at small c, which pushes the scores apart instead.
            """,
        width: 1000, height: 450, columns: 2,
        panels: [
            Panel(
                title: "Mean rank of the positives along the ray c·y (λ = \(Int(lambda)))", xLabel: "scale c",
                yLabel: "loss", logX: true, yRange: (bestPossible - 0.5)...(fOnRay[0] + 2.2),
                series: [
                    .lines(x: rayScales, y: fOnRay, title: "f(c·y): the loss of ranks", ink: .role(.reference)),
                    .lines(
                        x: rayScales, y: fLambdaOnRay, title: "f_λ(c·y): the interpolation", ink: .category(0),
                        dash: 2),
                    .constant(bestPossible, title: "perfect ranking", ink: .role(.theory)),
                ]),
            Panel(
                title: "1 − AP along the ray c·y", xLabel: "scale c", yLabel: "1 − AP", logX: true,
                yRange: ((plainOnRay + marginOnRay).min()! - 0.04)...((plainOnRay + marginOnRay).max()! + 0.04),
                series: [
                    .lines(x: rayScales, y: plainOnRay, title: "no margin", ink: noMarginInk),
                    .lines(x: rayScales, y: marginOnRay, title: "margin α = \(demoAlpha)", ink: marginInk),
                ]),
        ]))

var outward = 0
var shiftedInward = true
for _ in 0..<2000 {
    let n = Int.random(in: 4...60, using: &rng)
    let rel = (0..<n).map { $0 == 0 || rng.nextUnit() < 0.3 }
    let scores = rel.map { ($0 ? 0.3 : 0) + rng.nextGaussian() }
    let g = APLoss(lambda: 100, margin: demoAlpha).valueAndGradient(scores: scores, relevance: rel).gradient
    if dot(g, scores) < 0 { outward += 1 }
    shiftedInward = shiftedInward && dot(g, marginShifted(scores, relevance: rel, alpha: demoAlpha)) >= -1e-12
}
chapter.say(
    """

    With the margin, the inward lean acts on the shifted scores ỹ, not on y: ⟨∇, ỹ⟩ ≥ 0 still, but ⟨∇, y⟩ =
    ⟨∇, ỹ⟩ − α·Σ_{i∈rel}(−∇_i) can turn negative, a push outward. On 2000 random lists (λ = 100, α = \(demoAlpha)):
    ⟨∇, y⟩ < 0 on \(outward).
    """)
chapter.check("⟨∇, ỹ⟩ ≥ 0 on every list", shiftedInward)
chapter.check("⟨∇, y⟩ < 0 on some lists: the margin can push the scores apart", outward > 0, "\(outward) of 2000")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Training without and with the margin (paper Fig. 3)")

/// A toy ranking task: `count` points in 10 dimensions, 10 % positive.
/// - overlapping: x ~ N(0, I), positives shifted by 2 along x₀: no linear scorer separates them;
/// - separable: positives have x₀ = 0.5 + |ξ|, negatives x₀ = −|ξ| (ξ ~ N(0, 1)): a band of width 0.5 along x₀.
func toyTask(count: Int, separable: Bool, seed: UInt64) -> (x: Matrix, relevant: [Bool]) {
    var g = SplitMix64(seed: seed)
    var rows = [[Double]]()
    var rel = [Bool]()
    for _ in 0..<count {
        let positive = g.nextUnit() < 0.1
        var x = (0..<10).map { _ in g.nextGaussian() }
        if separable { x[0] = positive ? 0.5 + abs(x[0]) : -abs(x[0]) } else if positive { x[0] += 2 }
        rows.append(x)
        rel.append(positive)
    }
    return (Matrix(rows), rel)
}

/// The rank loss of the run, recording whether each batch's gradient was exactly zero.
struct Watched: ScoreLoss {
    var inner: MAPScoreLoss
    var zeroGradient: [Bool] = []
    mutating func evaluate(scores: Matrix, targets: [[Bool]]) -> (loss: Double, gradient: Matrix) {
        let result = inner.evaluate(scores: scores, targets: targets)
        zeroGradient.append(result.gradient.storage.allSatisfy { $0 == 0 })
        return result
    }
}

struct Run {
    var checkpoints: [Double] = [], scale: [Double] = [], gap: [Double] = [], testAP: [Double] = []
    var snapshots: [(step: Int, positives: [Double], negatives: [Double])] = []
    var zeroGradient: [Bool] = []
}

let batchSize = 64
let trainCount = 2000
let snapshotSteps = [0, steps / 10, steps / 3, steps]
let every = max(1, steps / 60)

/// Trains a linear scorer s = w·x + b with Adam on 1 − AP of each batch (one ranked list of 64), margin α.
func train(separable: Bool, margin: Double, seed: UInt64, lambda: Double = trainLambda) -> Run {
    let data = toyTask(count: trainCount, separable: separable, seed: seed)
    let test = toyTask(count: trainCount, separable: separable, seed: seed &+ 1000)
    let trainer = ScoreTrainer(sizes: [10, 1], learningRate: 1e-2, seed: seed)
    var loss = Watched(inner: MAPScoreLoss(loss: MAPLoss(lambda: lambda, margin: margin)))
    var sampler = MinibatchSampler(count: trainCount, batchSize: batchSize, dropLast: true, seed: seed)
    var run = Run()
    func record(_ step: Int) {
        let s = trainer.scores(data.x).storage.map(Double.init)
        let positives = s.indices.filter { data.relevant[$0] }.map { s[$0] }
        let negatives = s.indices.filter { !data.relevant[$0] }.map { s[$0] }
        let mean = s.reduce(0, +) / Double(s.count)
        run.checkpoints.append(Double(step))
        run.scale.append((s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s.count)).squareRoot())
        run.gap.append(positives.min()! - negatives.max()!)
        run.testAP.append(
            averagePrecision(
                scores: trainer.scores(test.x).storage.map(Double.init),
                relevance: test.relevant)!)
        if snapshotSteps.contains(step) { run.snapshots.append((step, positives, negatives)) }
    }
    record(0)
    trainer.fit(
        inputs: data.x, targets: data.relevant.map { [$0] }, loss: &loss, sampler: &sampler, steps: steps,
        afterStep: { step in if step % every == 0 || snapshotSteps.contains(step) { record(step) } })
    run.zeroGradient = loss.zeroGradient
    return run
}

// The ICLR scale rule λ ≈ mean|y − ȳ| / mean|dL/drk| on batches of the untrained scorer (centred: only score
// differences matter to a ranking).
let ruleData = toyTask(count: trainCount, separable: false, seed: chapter.seed)
let ruleScores = ScoreTrainer(sizes: [10, 1], learningRate: 1e-2, seed: chapter.seed).scores(ruleData.x).storage
    .map(Double.init)
var ruleSampler = MinibatchSampler(count: trainCount, batchSize: batchSize, dropLast: true, seed: chapter.seed)
let ruleLambdas = ruleSampler.epoch().compactMap { batch -> Double? in
    let s = batch.map { ruleScores[$0] }
    let rel = batch.map { ruleData.relevant[$0] }
    guard rel.contains(true) else { return nil }
    let mean = s.reduce(0, +) / Double(s.count)
    return try? scaleRuleLambda(
        weights: s.map { $0 - mean }, upstream: APLoss(lambda: 1).rankUpstream(scores: s, relevance: rel))
}.sorted()
let ruleLambda = ruleLambdas[ruleLambdas.count / 2]

let seeds = (0..<runs).map { chapter.seed &+ UInt64(100 * $0) }
let started = Date()
let overlapPlain = seeds.map { train(separable: false, margin: 0, seed: $0) }
let overlapMargin = seeds.map { train(separable: false, margin: alpha, seed: $0) }
let separablePlain = seeds.map { train(separable: true, margin: 0, seed: $0) }
let separableMargin = seeds.map { train(separable: true, margin: alpha, seed: $0) }
let trainSeconds = Date().timeIntervalSince(started)

chapter.say(
    """
    A linear scorer s = w·x + b on points in 10 dimensions, 10 % positive; Adam (learning rate 0.01), batches of
    \(batchSize) ranked as one list by 1 − AP (`MAPScoreLoss` with one class), \(steps) steps, \(runs) seeds, \(4 * runs) runs in \(trainSeconds.fixed(1)) s.
    \(lambdaText(trainLambda, length: batchSize))\(chapter.given("lambda") ? ", from --lambda" : ": the course's rule n/2 (chapter 04)").
    In a list of 64 the AP upstream dL/drk_i = rk⁺_i/(|rel|·rk_i²) (§1) is small, so λ·dL/drk moves a score by a few
    hundredths: enough to swap near neighbours. The ICLR scale rule λ ≈ mean|y − ȳ|/mean|dL/drk|
    (`scaleRuleLambda`) asks for more, a median of \(ruleLambda.fixed(0)) over the batches of the untrained scorer; the end of
    this section reruns the first seed with it. Adam rescales each step, so λ mostly decides which swaps the
    perturbation sees, not how large the step is.

    Overlapping classes (positives shifted by 2 along x₀): misranked pairs never run out, so the inward lean of
    the gradient never stops. Score scale = standard deviation of the training scores:
    """)
func ratio(_ r: Run) -> Double { r.scale.last! / r.scale.first! }
chapter.table(
    ["seed", "scale at start", "end, no margin", "end, α = \(alpha)", "test AP, no margin", "test AP, α = \(alpha)"],
    seeds.indices.map { k in
        [
            "\(seeds[k])", overlapPlain[k].scale.first!.fixed(3), overlapPlain[k].scale.last!.fixed(3),
            overlapMargin[k].scale.last!.fixed(3), overlapPlain[k].testAP.last!.fixed(4),
            overlapMargin[k].testAP.last!.fixed(4),
        ]
    })
let plainTestAP = overlapPlain.map { $0.testAP.last! }.reduce(0, +) / Double(runs)
let marginTestAP = overlapMargin.map { $0.testAP.last! }.reduce(0, +) / Double(runs)
chapter.check(
    "without the margin the scores collapse: the scale ends below 1/5 of its start in every run",
    overlapPlain.allSatisfy { ratio($0) < 0.2 },
    "end/start = \(overlapPlain.map(ratio).fixed(3))")
chapter.check(
    "with the margin the scale holds: in every run it ends at least 5× the no-margin run's end/start",
    zip(overlapMargin, overlapPlain).allSatisfy { ratio($0) >= 5 * ratio($1) },
    "end/start = \(overlapMargin.map(ratio).fixed(3)) vs \(overlapPlain.map(ratio).fixed(3)) without")
chapter.say(
    """
    Where the scale settles with the margin depends on λ: the inward lean grows with λ (more swaps seen), the
    margin's push does not. At λ = \(compactNumber(trainLambda)) it ends at \(overlapMargin.map(ratio).fixed(2))× its start; try --lambda 1000.
    """)
let marginAPs = overlapMargin.map { $0.testAP.last! }
let plainAPs = overlapPlain.map { $0.testAP.last! }
chapter.say("Test AP, paired by seed: " + seedVerdictText("margin", "no margin", marginAPs, plainAPs, digits: 4) + ".")
chapter.check(
    "the collapsed scorer ranks held-out points worse: mean test AP lower without the margin, and never ahead",
    marginTestAP > plainTestAP && compareOverSeeds(marginAPs, plainAPs).verdict != .secondAhead,
    "\(plainTestAP.fixed(4)) without, \(marginTestAP.fixed(4)) with the margin")
// The same pair of runs at the scale rule's λ (first seed): does the picture depend on which rule picks λ?
let ruleOverlapPlain = train(separable: false, margin: 0, seed: seeds[0], lambda: ruleLambda)
let ruleOverlapMargin = train(separable: false, margin: alpha, seed: seeds[0], lambda: ruleLambda)
chapter.say(
    """
    The first seed again at the scale rule's λ = \(ruleLambda.fixed(0)) (≈ \((ruleLambda / trainLambda).fixed(0))× this run's λ):
      end/start scale: no margin \(ratio(ruleOverlapPlain).fixed(3)), α = \(alpha): \(ratio(ruleOverlapMargin).fixed(3))   (λ = \(compactNumber(trainLambda)): \(ratio(overlapPlain[0]).fixed(3)) and \(ratio(overlapMargin[0]).fixed(3)))
      test AP:         no margin \(ruleOverlapPlain.testAP.last!.fixed(4)), α = \(alpha): \(ruleOverlapMargin.testAP.last!.fixed(4))   (λ = \(compactNumber(trainLambda)): \(overlapPlain[0].testAP.last!.fixed(4)) and \(overlapMargin[0].testAP.last!.fixed(4)))
    """)
chapter.check(
    "at the scale rule's λ too, the scores collapse without the margin (below 1/5) and not with it (≥ 5× that)",
    ratio(ruleOverlapPlain) < 0.2 && ratio(ruleOverlapMargin) >= 5 * ratio(ruleOverlapPlain),
    "end/start \(ratio(ruleOverlapPlain).fixed(3)) and \(ratio(ruleOverlapMargin).fixed(3))")
chapter.metric("toy-overlapping", "rambo-ap", "mAP", plainTestAP)
chapter.metric("toy-overlapping", "rambo-ap-margin", "mAP", marginTestAP)

// Figure 3: histograms at four steps, one row per step, no margin left and margin right (first seed). Every panel
// shares one score axis, so the collapse shows as it happens: the no-margin scores shrink into a spike at 0
// while the margin keeps them spread. Each panel's bins span all of its own scores, so no score falls outside.
func histogramPanel(_ snap: (step: Int, positives: [Double], negatives: [Double]), label: String, first: Bool) -> Panel
{
    let all = snap.positives + snap.negatives
    let m = all.reduce(0, +) / Double(all.count)
    let sd = (all.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(all.count)).squareRoot()
    return Panel(
        title: "\(label) · step \(snap.step) · sd \(sd.fixed(sd < 0.1 ? 3 : 2))", xLabel: "score",
        yLabel: "density", key: first ? .auto : .none,
        series: Series.histograms(
            [
                (values: snap.negatives, title: "negatives", ink: .role(.negatives)),
                (values: snap.positives, title: "positives", ink: .role(.positives)),
            ],
            bins: 60, normalised: true, opacity: 0.55))
}
let collapsePanels = zip(overlapPlain[0].snapshots, overlapMargin[0].snapshots).enumerated().flatMap { k, pair in
    [
        histogramPanel(pair.0, label: "no margin", first: k == 0),
        histogramPanel(pair.1, label: "margin α = \(alpha)", first: false),
    ]
}
chapter.plot(
    Figure(
        name: "margin-collapse",
        caption: """
            Scores of positives (blue) and negatives (orange) while training on overlapping classes, on one score \
            axis for every panel. Without the margin (left) the scores shrink into a spike at 0: the classes \
            collapse onto each other; with the margin (right) they stay spread and apart (paper Fig. 3).
            """,
        title: "Scores while training, overlapping classes: no margin (left), margin (right)",
        width: 1000, height: 1100, columns: 2, shared: .x, panels: collapsePanels), key: true)

chapter.say(
    """

    Separable classes (a band of width 0.5 along x₀): once a batch is ranked perfectly, the gradient without a
    margin is exactly zero (§3), so training stops as soon as the positives are barely ahead. With
    the margin it stops only once they lead by α. Gap = min positive score − max negative score (training set):
    """)
let lastFifth = steps - steps / 5
chapter.table(
    [
        "seed", "gap, no margin", "gap, α = \(alpha)", "scale, no margin", "scale, α = \(alpha)",
        "zero-gradient batches in the last 20 %, no margin",
    ],
    seeds.indices.map { k in
        let zeros = separablePlain[k].zeroGradient[lastFifth...].filter { $0 }.count
        return [
            "\(seeds[k])", separablePlain[k].gap.last!.fixed(4), separableMargin[k].gap.last!.fixed(4),
            separablePlain[k].scale.last!.fixed(3), separableMargin[k].scale.last!.fixed(3),
            "\(zeros) of \(steps - lastFifth)",
        ]
    })
let plainGaps = separablePlain.map { $0.gap.last! }
chapter.check(
    "without the margin the gap ends below α/2 in every run", plainGaps.allSatisfy { $0 < alpha / 2 },
    "gaps \(plainGaps.fixed(3))")
let marginGaps = separableMargin.map { $0.gap.last! }
chapter.check(
    "with the margin the gap ends above 0.6·α on average, and wider than without it in every run",
    marginGaps.reduce(0, +) / Double(runs) >= 0.6 * alpha && zip(marginGaps, plainGaps).allSatisfy { $0 > $1 },
    "gaps \(marginGaps.fixed(3))")
chapter.check(
    "without the margin most of the last 20 % of batches had an exactly zero gradient",
    separablePlain.allSatisfy { 2 * $0.zeroGradient[lastFifth...].filter { $0 }.count > steps - lastFifth })
chapter.check(
    "relative to the score scale the margin's gap is wider too",
    seeds.indices.allSatisfy {
        separableMargin[$0].gap.last! / separableMargin[$0].scale.last!
            > separablePlain[$0].gap.last! / separablePlain[$0].scale.last!
    })

/// One line per run of a quantity `y`: the no-margin runs solid, the margin runs dashed, each labelled once.
func marginPairLines(_ plain: [Run], _ margin: [Run], _ y: (Run) -> [Double]) -> [Series] {
    plain.enumerated().map { k, r in
        .lines(x: r.checkpoints, y: y(r), title: k == 0 ? "no margin" : nil, ink: noMarginInk)
    }
        + margin.enumerated().map { k, r in
            .lines(
                x: r.checkpoints, y: y(r), title: k == 0 ? "margin α = \(alpha)" : nil, ink: marginInk)
        }
}
chapter.plot(
    Figure(
        name: "margin-gap-scale",
        caption: """
            One line per seed. Without the margin (dashed) the score scale shrinks and, on separable classes, the \
            gap between the lowest positive and the highest negative stays near zero once the batch is ranked; \
            with the margin (solid) the scale holds and the gap settles near α.
            """,
        width: 1000, height: 420, columns: 3,
        panels: [
            Panel(
                title: "Score scale, overlapping", xLabel: "step", yLabel: "sd of scores", logY: true,
                series: marginPairLines(overlapPlain, overlapMargin) { $0.scale }),
            Panel(
                title: "Test AP, overlapping", xLabel: "step", yLabel: "AP (held-out points)",
                yRange: 0.4...1, probability: .y,
                series: marginPairLines(overlapPlain, overlapMargin) { $0.testAP }),
            Panel(
                title: "Gap, separable classes", xLabel: "step", yLabel: "gap min(pos) − max(neg)",
                yRange: -1...max(1.5 * alpha, 0.2),
                series: marginPairLines(separablePlain, separableMargin) { $0.gap }
                    + [
                        .constant(alpha, title: "α", ink: .role(.theory)),
                        .constant(0, ink: .role(.level), lineWidth: 1),
                    ]),
        ]))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The official mAP code's margin is noisy")
let draws = chapter.quick ? 20_000 : 200_000
chapter.say(
    """
    mAP.py shifts by −α·|ξ|·(t − 0.5) with a fresh ξ ~ N(0, 1) per entry and call (`noisyMarginShifted`): every
    positive moves down by α|ξ|/2, every negative up by α|ξ|/2. The mean shift is α·E|ξ|/2 = α·√(2/π)/2 ≈ 0.399·α,
    not the paper's 0.5·α, and a third of the shifts exceed α/2 (P(|ξ| > 1) ≈ 0.317). \(draws) draws, α = \(demoAlpha):
    """)
let zeros = [Double](repeating: 0, count: draws)
let labels = (0..<draws).map { $0 % 2 == 0 }
let noisy = noisyMarginShifted(zeros, relevance: labels, alpha: demoAlpha, using: &rng)
let negativeShifts = noisy.indices.filter { !labels[$0] }.map { noisy[$0] / demoAlpha }
let positiveShifts = noisy.indices.filter { labels[$0] }.map { -noisy[$0] / demoAlpha }
func meanAndError(_ v: [Double]) -> (mean: Double, error: Double) { (mean(v), standardError(v)) }
let expectedShift = (2 / Double.pi).squareRoot() / 2
let up = meanAndError(negativeShifts)
let down = meanAndError(positiveShifts)
let beyondHalf = Double(negativeShifts.filter { $0 > 0.5 }.count) / Double(negativeShifts.count)
chapter.table(
    ["", "measured / α", "expected / α"],
    [
        ["negatives: mean shift up", up.mean.fixed(4), expectedShift.fixed(4)],
        ["positives: mean shift down", down.mean.fixed(4), expectedShift.fixed(4)],
        ["share of shifts > α/2", beyondHalf.fixed(4), (1 - 0.6826894921370859).fixed(4)],
    ])
chapter.check(
    "mean shift ≈ 0.399·α for negatives and positives (within 4 standard errors)",
    abs(up.mean - expectedShift) < 4 * up.error && abs(down.mean - expectedShift) < 4 * down.error,
    "\(up.mean.fixed(4)), \(down.mean.fixed(4)) ± \(up.error.sci)")
let shareError = (0.3173 * 0.6827 / Double(negativeShifts.count)).squareRoot()
chapter.check(
    "about 31.7 % of the shifts exceed the paper's α/2 (within 4 standard errors)",
    abs(beyondHalf - 0.3173) < 4 * shareError, "\((100 * beyondHalf).fixed(2)) % ± \((100 * shareError).fixed(2))")
chapter.check(
    "every factor |ξ|·(t − 0.5) moves positives down and negatives up",
    negativeShifts.allSatisfy { $0 >= 0 } && positiveShifts.allSatisfy { $0 >= 0 })
chapter.say("So a margin α in the official mAP code is, on average, the paper's margin 0.8·α, blurred.")
let halfNormal = stride(from: 0.0, through: 2.0, by: 0.02).map { $0 }
chapter.plot(
    Figure(
        name: "noisy-margin",
        caption: """
            The authors' mAP code draws its margin at random: a negative's shift, in units of α, follows the \
            half-normal density of |ξ|/2, whose mean (blue) is about 0.4, not the paper's fixed 0.5 (dotted), and \
            a third of the shifts exceed it.
            """,
        panel: Panel(
            title:
                "Shift of a negative's score, in units of α (the \(negativeShifts.count) negatives of \(draws) draws)",
            xLabel: "shift / α", yLabel: "density", xRange: 0...2,
            series: [
                .histogram(
                    negativeShifts, bins: 50, range: 0...2, title: "official: α|ξ|/2", ink: .role(.negatives),
                    normalised: true),
                .lines(
                    x: halfNormal, y: halfNormal.map { 4 / (2 * Double.pi).squareRoot() * exp(-2 * $0 * $0) },
                    title: "half-normal density", ink: .role(.theory)),
                .lines(
                    x: [expectedShift, expectedShift], y: [0, 1.8], title: "mean √(2/π)/2 ≈ 0.399", ink: .category(0)),
                .lines(x: [0.5, 0.5], y: [0, 1.8], title: "paper: exactly 0.5", ink: .role(.paper)),
            ])))

chapter.finish()
