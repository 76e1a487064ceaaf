import Foundation
import Gnuplot
import Learning
import Rambo
import RamboAutodiff
import RamboTeaching
import Support
import Walkthrough
// Chapter 03 · The blackbox gradient
//
// Ranking is piecewise constant (chapter 01), so the true gradient of any loss of ranks is zero almost
// everywhere. RaMBO's backward pass (paper Eq. 10, Algorithm 1) calls the ranker once more, on scores nudged
// along the incoming gradient, and returns the difference of the two rankings divided by λ. This chapter runs
// that rule by hand, shows that finite differences of the true loss are useless, checks that the blackbox
// gradient is the exact slope of the interpolation f_λ (ICLR Theorem 1), applies the same rule to a shortest-path
// solver, and trains through it with Swift's automatic differentiation.
import _Differentiation

let chapter = Chapter(
    "ch03",
    flags: [
        .double(
            "lambda", default: 0, in: 0...1e3,
            help: "λ in paper units (integer ranks; score per unit of dL/drk); 0 = the course's rule n/2 per list"),
        .int("n", default: 8, in: 2...50, help: "list length in the finite-difference and slope checks"),
        .int(
            "trials", default: 4000, quick: 600, in: 100...1_000_000, help: "random (point, direction) pairs per check"),
    ])
let lambdaFlag = chapter.double("lambda")
chapter.require(lambdaFlag == 0 || lambdaFlag >= 1e-3, "--lambda: \(lambdaFlag) is neither 0 (the rule) nor ≥ 0.001")
/// λ for a ranked list of `length` items: --lambda if given, else the course's rule λ = n/2 (`defaultLambda`, the
/// authors' λ_code = 0.5 on normalised ranks; chapter 04 teaches it beside the ICLR scale rule).
func lambdaFor(_ length: Int) -> Double { lambdaFlag > 0 ? lambdaFlag : defaultLambda(length: length) }
/// How λ was chosen, for the narration.
func lambdaSource(_ length: Int) -> String {
    lambdaFlag > 0 ? "--lambda" : "the course's rule λ = n/2 for n = \(length) (chapter 04)"
}
let n = chapter.int("n")
let trials = chapter.int("trials")
var rng = SplitMix64(seed: chapter.seed)

func unitDirection(_ count: Int) -> [Double] {
    let d = rng.gaussians(count)
    let norm = dot(d, d).squareRoot()
    return d.map { $0 / norm }
}
/// A random permutation of 1...count, as Doubles: a target ranking.
func randomRanking(_ count: Int) -> [Double] {
    var p = Array(1...count)
    p.shuffle(using: &rng)
    return p.map(Double.init)
}
func maxAbs(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } }

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Algorithm 1, step by step")
chapter.say(
    """
    Four items, two of them relevant. The loss counts mis-ordered pairs (a negative ranked above a positive):
        L(rk) = Σ_{i relevant} rk_i − P(P+1)/2,   P = number of positives,
    which is linear in the ranks, so dL/drk = 1 on the positives and 0 elsewhere. Algorithm 1 with λ = 0.5:
        forward   rk    = rank(y)
        backward  y_λ   = y + λ · dL/drk
                  rk_λ  = rank(y_λ)
                  dL/dy = −(rk − rk_λ) / λ
    """)
let handY = [0.3, 0.9, -0.1, 0.5]
let handRelevant = [1.0, 0, 1, 0]
let handLambda = 0.5
func pairsLoss(_ ranks: [Double], _ relevant: [Double]) -> Double {
    let p = relevant.reduce(0, +)
    return dot(ranks, relevant) - p * (p + 1) / 2
}
let handRanks = ranksOf(handY)
let handPerturbed = step(handY, handLambda, handRelevant)
let handPerturbedRanks = ranksOf(handPerturbed)
let handGradient = rankBackward(scores: handY, upstream: handRelevant, lambda: handLambda)
chapter.table(
    ["", "item 0", "item 1", "item 2", "item 3"],
    [
        ["relevant"] + handRelevant.map { $0 == 1 ? "yes" : "no" },
        ["y"] + handY.map { $0.fixed(2) },
        ["rk(y)"] + handRanks.map { "\(Int($0))" },
        ["dL/drk"] + handRelevant.map { $0.fixed(0) },
        ["y_λ = y + λ·dL/drk"] + handPerturbed.map { $0.fixed(2) },
        ["rk(y_λ)"] + handPerturbedRanks.map { "\(Int($0))" },
        ["dL/dy = −(rk − rk_λ)/λ"] + handGradient.map { ($0 + 0).fixed(1) },  // + 0 prints −0 as 0
    ])
chapter.say(
    """
    By hand: both positives sit below both negatives, L = (3 + 4) − 3 = 4. Nudging the positives up by λ = 0.5
    lifts item 0 (0.3 → 0.8) past item 3 (0.5), not past item 1 (0.9); item 2 (−0.1 → 0.4) passes no one.
    So rk_λ = [2, 1, 4, 3] and dL/dy = −([3, 1, 4, 2] − [2, 1, 4, 3])/0.5 = [−2, 0, 0, 2]:
    descend by raising item 0 and lowering item 3, the one swap that λ = 0.5 can "see".
    """)
chapter.check("L = 4 mis-ordered pairs", pairsLoss(handRanks, handRelevant) == 4)
chapter.check("rk(y_λ) = [2, 1, 4, 3]", handPerturbedRanks == [2, 1, 4, 3])
chapter.check(
    "rankBackward gives the hand gradient [−2, 0, 0, 2]", handGradient == [-2, 0, 0, 2],
    "got \(handGradient.map { $0 + 0 })")
let descended = step(handY, -0.1, handGradient)  // one gradient step, rate 0.1
chapter.check(
    "one descent step (rate 0.1) lowers the loss to 3",
    pairsLoss(ranksOf(descended), handRelevant) == 3,
    "y → \(descended.fixed(2)), L = \(pairsLoss(ranksOf(descended), handRelevant).fixed(0))")
// The same list at the λ of --lambda, or of the course's rule (n/2 = 2 for these 4 items).
let yourLambda = lambdaFor(handY.count)
let yourPerturbed = step(handY, yourLambda, handRelevant)
let yourRanks = ranksOf(yourPerturbed)
let yourGradient = rankBackward(scores: handY, upstream: handRelevant, lambda: yourLambda)
chapter.say(
    """
    λ = 0.5 was picked for this toy so that exactly one swap shows. With
    \(lambdaText(yourLambda, length: handY.count)), from \(lambdaSource(handY.count)):
      y_λ = \(yourPerturbed.fixed(2)),  rk(y_λ) = \(yourRanks.map { Int($0) }.listed),  dL/dy = \(yourGradient.map { $0 + 0 }.fixed(3))
    """)
// An exact tie in y_λ (e.g. λ = 1: item 2 at −0.1 + 1 = 0.9, level with item 1) is broken by the stable rule.
var yourTies = [(Int, Int)]()
for i in yourPerturbed.indices {
    for j in yourPerturbed.indices where j > i && yourPerturbed[i] == yourPerturbed[j] { yourTies.append((i, j)) }
}
if yourTies.isEmpty {
    chapter.say("No two entries of y_λ are equal, so rk(y_λ) needs no tie rule.")
} else {
    chapter.say(
        yourTies.map { i, j in
            "y_λ has an exact tie: items \(i) and \(j) both at \(yourPerturbed[i].fixed(2)). Ranks break ties by index\n"
                + "(chapter 01: the earlier index ranks higher), so item \(i) takes rank \(Int(yourRanks[i])) and "
                + "item \(j) rank \(Int(yourRanks[j])):\nany tie rule would do, but every port must use the same one "
                + "(chapter 13)."
        }.joined(separator: "\n"))
}
let ruleRanks = ranksOf(step(handY, defaultLambda(length: 4), handRelevant))
let ruleGradient = rankBackward(scores: handY, upstream: handRelevant, lambda: defaultLambda(length: 4))
chapter.check(
    "at the rule's λ = 2 both positives pass both negatives: rk(y_λ) = [1, 3, 2, 4], dL/dy = [−1, 1, −1, 1]",
    ruleRanks == [1, 3, 2, 4] && ruleGradient == [-1, 1, -1, 1])
let tiedAt1 = step(handY, 1, handRelevant)
chapter.check(
    "at λ = 1 item 2 ties item 1 exactly (−0.1 + 1 = 0.9) and ranks after it: rk(y_λ) = [1, 2, 3, 4]",
    tiedAt1[2] == tiedAt1[1] && ranksOf(tiedAt1) == [1, 2, 3, 4])
chapter.check(
    "rk(y_λ) breaks every exact tie of y_λ by index (the earlier item ranks higher)",
    yourTies.allSatisfy { yourRanks[$0.0] < yourRanks[$0.1] },
    "\(yourTies.count) tie(s) at λ = \(compactNumber(yourLambda))")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Finite differences of the true loss are zero almost everywhere")
chapter.say(
    """
    Why not just differentiate numerically? Take L(rk) = Σ_i (rk_i − t_i)², the squared distance to a target
    ranking t, on n = \(n) random scores, and a random unit direction d. The central difference
        FD = [L(rk(y + h d)) − L(rk(y − h d))] / 2h
    is zero unless the stencil crosses a tie, and then it is a jump divided by 2h. A swap of two adjacent
    ranks changes L by 2(t_j − t_i), a non-zero even number, so a non-zero FD is at least 1/h in size.
    \(trials) random (y, d) pairs per step size h:
    """)
struct FDRow {
    var h: Double
    var nonZero = 0
    var minScaled = Double.infinity
}
var fdRows = [1e-1, 1e-2, 1e-4, 1e-6, 1e-8].map { FDRow(h: $0) }
for _ in 0..<trials {
    let y = rng.gaussians(n)
    let d = unitDirection(n)
    let t = randomRanking(n)
    let loss = { (w: [Double]) in squaredDistance(ranksOf(w), t) }
    for k in fdRows.indices {
        let h = fdRows[k].h
        let fd = (loss(step(y, h, d)) - loss(step(y, -h, d))) / (2 * h)
        if fd != 0 {
            fdRows[k].nonZero += 1
            fdRows[k].minScaled = min(fdRows[k].minScaled, abs(fd) * h)
        }
    }
}
chapter.table(
    ["h", "non-zero FD", "fraction zero", "min |FD|·h"],
    fdRows.map {
        [
            $0.h.sci, "\($0.nonZero)", (1 - Double($0.nonZero) / Double(trials)).fixed(5),
            $0.nonZero == 0 ? "—" : $0.minScaled.fixed(2),
        ]
    })
let zeroAt6 = 1 - Double(fdRows[3].nonZero) / Double(trials)
chapter.check(
    "at h = 1e-6 the finite difference is zero for ≥ 99.5 % of (y, d)", zeroAt6 >= 0.995,
    "\((100 * zeroAt6).fixed(3)) % zero")
chapter.check(
    "the non-zero fraction shrinks with h (it is the chance that the stencil crosses a tie)",
    fdRows[0].nonZero > fdRows[1].nonZero && fdRows[1].nonZero > fdRows[2].nonZero,
    fdRows.map { "\($0.nonZero)" }.joined(separator: " → "))
chapter.check(
    "every non-zero FD is at least 1/h: a jump, not a slope",
    fdRows.allSatisfy { $0.nonZero == 0 || $0.minScaled >= 1 - 1e-9 })
chapter.say(
    """
    Either zero (no information) or ≥ 1/h (a jump, not a slope): no step size gives a useful derivative.
    The blackbox gradient replaces L ∘ rk by a function that HAS a useful slope, f_λ.
    """)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The blackbox gradient is the exact slope of f_λ")
chapter.say(
    """
    The backward pass linearises L at the current ranking: f(r) = L(r̂) + ⟨g, r − r̂⟩ with g = dL/drk(r̂). ICLR
    Theorem 1 builds from f a continuous, piecewise-affine function of the scores,
        f_λ(w) = f(rk(w + λg)) − (1/λ)·[⟨w, rk(w)⟩ − ⟨w, rk(w + λg)⟩],
    and Eq. 5 says its gradient is −(rk(w) − rk(w + λg))/λ: exactly what rankBackward returns.
    Check it: at random y, along random unit directions d, compare ⟨rankBackward, d⟩ with the central difference
    of f_λ (h = 1e-3). f_λ is affine wherever neither rk(w) nor rk(w + λg) changes inside the stencil; stencils
    that straddle a kink are skipped and counted. λ ∈ {λ/10, λ, 10λ} with \(lambdaText(lambda, length: n)),
    from \(lambdaSource(n)).
    (f_λ, Theorem 1 and Eq. 5 are from Vlastelica, Paulus, Musil, Martius, Rolínek, "Differentiation of Blackbox
    Combinatorial Solvers", ICLR 2020: "ICLR" in this course.)
    """)
let slopeH = 1e-3
let lambda = lambdaFor(n)
var slopeRows = [[String]]()
var slopeWorst = 0.0
var slopeNonZero = 0
var slopeTested = 0
var backwardMatches = true
for lam in [lambda / 10, lambda, lambda * 10] {
    var worst = 0.0
    var tested = 0
    var nonZero = 0
    var skipped = 0
    for _ in 0..<trials {
        let y = rng.gaussians(n)
        let d = unitDirection(n)
        let t = randomRanking(n)
        let r = ranksOf(y)
        let g = zip(r, t).map { 2 * ($0 - $1) }  // dL/drk of Σ(rk − t)² at rk(y)
        let f = LinearLoss.linearising({ squaredDistance($0, t) }, gradient: g, at: r)
        let fLambda = try! Interpolation(solver: RankingSolver(), loss: f, lambda: lam)
        let centre = fLambda.evaluate(at: y)
        let plus = fLambda.evaluate(at: step(y, slopeH, d))
        let minus = fLambda.evaluate(at: step(y, -slopeH, d))
        guard plus.solution == centre.solution, minus.solution == centre.solution,
            plus.perturbedSolution == centre.perturbedSolution,
            minus.perturbedSolution == centre.perturbedSolution
        else {
            skipped += 1
            continue
        }
        let blackbox = rankBackward(scores: y, upstream: g, lambda: lam)
        if blackbox != centre.gradient { backwardMatches = false }
        let slope = dot(blackbox, d)
        if slope != 0 { nonZero += 1 }
        tested += 1
        worst = max(worst, abs((plus.value - minus.value) / (2 * slopeH) - slope))
    }
    slopeRows.append([lam.fixed(3), "\(tested)", "\(skipped)", "\(nonZero)", worst.sci])
    slopeWorst = max(slopeWorst, worst)
    slopeNonZero += nonZero
    slopeTested += tested
}
chapter.table(["λ", "tested", "skipped (kink in stencil)", "non-zero slope", "max |FD(f_λ) − ⟨∇, d⟩|"], slopeRows)
chapter.check("rankBackward = ∇f_λ = −(rk − rk_λ)/λ, bit for bit, at every tested point", backwardMatches)
// The central difference divides the rounding error of f_λ (whose size grows like n³ here) by 2h.
let slopeTolerance = 1e-9 * max(1, pow(Double(n) / 8, 3))
chapter.check(
    "the blackbox gradient is the slope of f_λ: max error ≤ \(slopeTolerance.sci)", slopeWorst <= slopeTolerance,
    "max error \(slopeWorst.sci) over \(slopeTested) points")
chapter.check(
    "the check is not vacuous: ≥ 10 % of the tested slopes are non-zero", slopeNonZero * 10 >= slopeTested,
    "\(slopeNonZero) of \(slopeTested)")

chapter.say(
    """

    The picture: the mis-ordered-pairs loss of §1 on 8 items (3 relevant), along one random line y + s·d. It is
    linear in the ranks, so f = L and f_λ interpolates the true loss itself. L ∘ rk is a staircase; f_λ is a
    continuous polyline below it (ICLR Observation 3), and its slope at s = 0 is ⟨rankBackward, d⟩.
    Drawn at \(lambdaText(lambdaFor(8), length: 8)), from \(lambdaSource(8)),
    and at a quarter of it: the smaller λ hugs the staircase, the larger one anticipates a better ranking from
    further away and lies lower (chapter 04 is about that trade-off).
    """)
let lineY = rng.gaussians(8)
let lineD = unitDirection(8)
let lineRelevant = [1.0, 1, 1, 0, 0, 0, 0, 0]
let lineF = LinearLoss(gradient: lineRelevant, offset: -6)  // Σ_{relevant} rk_i − P(P+1)/2, P = 3
let lineLambda = lambdaFor(8)
let lineLambdas = [lineLambda / 4, lineLambda]
let lineInterps = lineLambdas.map { try! Interpolation(solver: RankingSolver(), loss: lineF, lambda: $0) }
let lineInterp = lineInterps[1]
let lineS = stride(from: -3.0, through: 3.0, by: chapter.quick ? 0.005 : 0.001).map { $0 }
let lineTrue = lineS.map { pairsLoss(ranksOf(step(lineY, $0, lineD)), lineRelevant) }
let lineFLambdas = lineInterps.map { f in lineS.map { f(step(lineY, $0, lineD)) } }
let lineFLambda = lineFLambdas[1]
let lineSlope = dot(rankBackward(scores: lineY, upstream: lineRelevant, lambda: lineLambda), lineD)
let lineAt0 = lineInterp(lineY)
chapter.say(
    "slope of f_λ at s = 0: ⟨rankBackward, d⟩ = \(lineSlope.fixed(4)); f_λ(0) = \(lineAt0.fixed(3)), L(rk(y)) = \(pairsLoss(ranksOf(lineY), lineRelevant).fixed(0))"
)
chapter.check(
    "on the line, f(rk(y_λ)) ≤ f_λ ≤ L(rk(y)) everywhere, for both λ (Observation 3)",
    zip(lineInterps, lineFLambdas).allSatisfy { interp, values in
        zip(lineS, zip(values, lineTrue)).allSatisfy { s, v in
            let e = interp.evaluate(at: step(lineY, s, lineD))
            return e.lossAtPerturbed <= v.0 + 1e-9 && v.0 <= v.1 + 1e-9
        }
    })
// |∇f_λ| = |rk − rk_λ|/λ ≤ ‖(n,…,n)‖₁/λ bounds every step of f_λ between grid points.
let lineJumps = lineFLambdas.map { v in zip(v.dropFirst(), v).map { abs($0 - $1) }.max()! }
chapter.check(
    "f_λ is continuous on the line: no step between grid points exceeds slope bound × step",
    zip(lineJumps, lineLambdas).allSatisfy { $0 <= 2 * Double(8 * 8) / $1 * (lineS[1] - lineS[0]) },
    "largest steps \(lineJumps.map { $0.sci }.joined(separator: ", ")); L ∘ rk jumps by \(zip(lineTrue.dropFirst(), lineTrue).map { abs($0 - $1) }.max()!.fixed(0))"
)
chapter.check(
    "the smaller λ lies closer to the staircase: f_{λ/4} ≥ f_λ at every point of the line",
    zip(lineFLambdas[0], lineFLambdas[1]).allSatisfy { $0 >= $1 - 1e-9 })
// Left: the whole line. Right: a zoom on |s| ≤ 1, where f_λ and its tangent at s = 0 can be told apart (at the
// scale of the staircase the tangent's slope, a few hundredths, lies flat on f_λ).
let zoomS = lineS.filter { abs($0) <= 1 }
let zoomValues = zip(lineS, lineFLambda).filter { abs($0.0) <= 1 }.map(\.1) + zoomS.map { lineAt0 + lineSlope * $0 }
let zoomLow = zoomValues.min()!
let zoomHigh = zoomValues.max()!
let zoomPad = 0.1 * max(zoomHigh - zoomLow, 1e-6)
let lineTop = lineTrue.max()!
let lineSeries: [Series] = [
    .steps(x: lineS, y: lineTrue, title: "L(rk(y + s·d))", ink: .role(.reference)),
    .lines(x: lineS, y: lineFLambdas[0], title: "f_λ, λ = \(compactNumber(lineLambdas[0]))", ink: .category(0)),
    .lines(x: lineS, y: lineFLambda, title: "f_λ, λ = \(compactNumber(lineLambda))", ink: .category(1)),
]
let zoomIndices = lineS.indices.filter { abs(lineS[$0]) <= 1 }
let tangentSeries: [Series] = [
    .lines(
        x: zoomIndices.map { lineS[$0] }, y: zoomIndices.map { lineFLambda[$0] },
        title: "f_λ, λ = \(compactNumber(lineLambda))", ink: .category(1)),
    .lines(
        x: zoomS, y: zoomS.map { lineAt0 + lineSlope * $0 }, title: "tangent, slope ⟨rankBackward, d⟩",
        ink: .role(.theory), lineWidth: 2.5),
    .points(x: [0], y: [lineAt0], title: "s = 0: the scores y", ink: .role(.reference), pointSize: 1.2),
]
chapter.plot(
    Figure(
        name: "loss-along-line",
        caption: """
            Along a line in score space the loss of ranks (black) is a staircase, and each f_λ joins its steps with \
            ramps; a smaller λ stays closer to the staircase. The zoom on the right shows the dashed tangent at \
            s = 0 lying on f_λ: its slope is exactly what the blackbox gradient reports (⟨rankBackward, d⟩).
            """,
        width: 1000, height: 480, columns: 2,
        panels: [
            Panel(
                title: "Mis-ordered pairs along a line: staircase and f_λ", xLabel: "s  (scores y + s·d)",
                yLabel: "loss (mis-ordered pairs)", yRange: -0.2...(lineTop + 2), series: lineSeries),
            Panel(
                title: "zoom on |s| ≤ 1: f_λ and its tangent at s = 0", xLabel: "s", yLabel: "loss (mis-ordered pairs)",
                xRange: -1...1, yRange: (zoomLow - zoomPad)...(zoomHigh + 12 * zoomPad), series: tangentSeries),
        ]),
    key: true)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The same rule on a shortest-path solver (the ICLR paper's setting)")
let gridRows = 6
let gridColumns = 8
let grid = try! GridPathSolver(rows: gridRows, columns: gridColumns)
chapter.say(
    """
    Nothing above used that the solver ranks. Any y(w) = argmin_{y ∈ Y} ⟨w, y⟩ over a finite Y will do; the
    ICLR paper's flagship example is a shortest path. Here: a \(gridRows)×\(gridColumns) grid of cell costs w, the cheapest
    path from top-left to bottom-right moving right or down, y = 0/1 indicator of its cells. Loss: the
    Hamming distance to a target path y*, which on 0/1 vectors is linear, L(y) = ⟨1 − 2y*, y⟩ + |y*|, so
    dL/dy = 1 − 2y*. The backward is the same two lines: w' = w + λ·dL/dy, dL/dw = −(y(w) − y(w'))/λ.
    """)
let hiddenCosts = (0..<(gridRows * gridColumns)).map { _ in 0.2 + rng.nextUnit() }
let targetPath = grid.solve(hiddenCosts)
let initialCosts = (0..<(gridRows * gridColumns)).map { _ in 0.2 + rng.nextUnit() }
var costs = initialCosts
let hamming = { (y: [Double]) in zip(y, targetPath).reduce(0.0) { $0 + abs($1.0 - $1.1) } }
let pathUpstream = targetPath.map { 1 - 2 * $0 }
let gridLambda = try! scaleRuleLambda(weights: costs, upstream: pathUpstream)
let path0 = grid.solve(costs)
let pathLambda = grid.perturbedSolve(costs, upstream: pathUpstream, lambda: gridLambda)
let pathGradient = grid.backward(weights: costs, upstream: pathUpstream, lambda: gridLambda)
func gridPicture(_ cell: (Int) -> Character) -> [String] {
    (0..<gridRows).map { r in String((0..<gridColumns).map { cell(r * gridColumns + $0) }) }
}
let pictures = [
    gridPicture { targetPath[$0] == 1 ? "*" : "." },
    gridPicture { path0[$0] == 1 ? "o" : "." },
    gridPicture { pathLambda[$0] == 1 ? "o" : "." },
    gridPicture { pathGradient[$0] > 0 ? "+" : pathGradient[$0] < 0 ? "-" : "." },
]
chapter.say(
    """
    λ from the ICLR scale rule (App. A.1), mean|w| / mean|dL/dy| = \(gridLambda.fixed(3)): the ICLR paper's own
    guide for its solvers (chapter 04 explains it). The course's rule λ = n/2 is for rank losses, whose ranks run
    1…n; a path's indicator y is 0 or 1 in every cell, so n/2 = \(compactNumber(defaultLambda(length: gridRows * gridColumns))) would dwarf costs of about 0.7.
    """)
chapter.say("  target y*    y(w)        y(w + λg)   sign of dL/dw")
for r in 0..<gridRows { chapter.say("  " + pictures.map { $0[r] + "    " }.joined()) }
chapter.say(
    """
    dL/dw is −1/λ on cells the current path uses but the perturbed one avoids, and +1/λ on cells only the
    perturbed path uses. A descent step w ← w − η·dL/dw makes the first dearer and the second cheaper: it walks
    the cheapest path toward y*.
    """)
let gridOnlyCurrent = zip(path0, pathLambda).filter { $0 == 1 && $1 == 0 }.count
let gridOnlyPerturbed = zip(path0, pathLambda).filter { $0 == 0 && $1 == 1 }.count
chapter.check(
    "dL/dw = +1/λ exactly on y_λ ∖ y, −1/λ exactly on y ∖ y_λ, 0 elsewhere",
    pathGradient.indices.allSatisfy { k in
        let expected =
            path0[k] == 1 && pathLambda[k] == 0
            ? -1 / gridLambda
            : path0[k] == 0 && pathLambda[k] == 1 ? 1 / gridLambda : 0
        return pathGradient[k] == expected
    }, "\(gridOnlyPerturbed) cells +1/λ, \(gridOnlyCurrent) cells −1/λ")
chapter.check(
    "the perturbed path is closer to the target", hamming(pathLambda) < hamming(path0),
    "Hamming \(hamming(path0).fixed(0)) → \(hamming(pathLambda).fixed(0))")

// The slope check, on the grid.
let pathLoss = LinearLoss(gradient: pathUpstream, offset: targetPath.reduce(0, +))
var gridWorst = 0.0
var gridTested = 0
var gridNonZero = 0
for _ in 0..<(trials / 2) {
    let w = (0..<(gridRows * gridColumns)).map { _ in 0.2 + rng.nextUnit() }
    let d = unitDirection(gridRows * gridColumns)
    let lam = gridLambda * exp(log(10.0) * (2 * rng.nextUnit() - 1))  // λ within 10× of the scale rule
    let fLambda = try! Interpolation(solver: grid, loss: pathLoss, lambda: lam)
    let c = fLambda.evaluate(at: w)
    let p = fLambda.evaluate(at: step(w, slopeH, d))
    let m = fLambda.evaluate(at: step(w, -slopeH, d))
    guard p.solution == c.solution, m.solution == c.solution,
        p.perturbedSolution == c.perturbedSolution, m.perturbedSolution == c.perturbedSolution
    else { continue }
    let slope = dot(grid.backward(weights: w, upstream: pathUpstream, lambda: lam), d)
    gridTested += 1
    if slope != 0 { gridNonZero += 1 }
    gridWorst = max(gridWorst, abs((p.value - m.value) / (2 * slopeH) - slope))
}
chapter.check(
    "on the grid too, the blackbox gradient is the slope of f_λ: max error ≤ 1e-9",
    gridWorst <= 1e-9 && gridNonZero * 4 > gridTested,
    "max error \(gridWorst.sci) over \(gridTested) points, \(gridNonZero) with non-zero slope")

// Learning the costs: plain gradient descent on w until the cheapest path is the target.
let gridRate = 0.1 * gridLambda
var gridCurve = [hamming(grid.solve(costs))]
let gridMaxSteps = 200
while gridCurve.last! > 0 && gridCurve.count <= gridMaxSteps {
    let g = grid.backward(weights: costs, upstream: pathUpstream, lambda: gridLambda)
    for i in costs.indices { costs[i] -= gridRate * g[i] }
    gridCurve.append(hamming(grid.solve(costs)))
}
chapter.say(
    "Gradient descent on the costs (rate \(gridRate.fixed(3))): Hamming distance \(gridCurve.map { "\(Int($0))" }.prefix(12).joined(separator: " → "))\(gridCurve.count > 12 ? " …" : "")"
)
chapter.check(
    "learning the costs through the solver reaches the target path", gridCurve.last! == 0,
    "Hamming \(gridCurve.first!.fixed(0)) → \(gridCurve.last!.fixed(0)) in \(gridCurve.count - 1) steps")
func gridMap(_ v: [Double]) -> [[Double]] {
    (0..<gridRows).map { r in Array(v[(r * gridColumns)..<((r + 1) * gridColumns)]) }
}
/// One grid as a picture: column c at x = c, row r at y = −r, ticks numbering rows and columns from 1.
func gridPanel(_ title: String, _ values: [Double], _ palette: Palette, _ label: String? = nil) -> Panel {
    Panel(
        title: title, key: .none, grid: false, square: true, palette: palette, colorLabel: label,
        xTicks: (0..<gridColumns).map { (label: "\($0 + 1)", at: Double($0)) },
        yTicks: (0..<gridRows).map { (label: "\($0 + 1)", at: -Double($0)) },
        series: [
            .heatMap(
                x: (0..<gridColumns).map(Double.init), y: (0..<gridRows).map { -Double($0) },
                values: gridMap(values))
        ])
}
chapter.plot(
    Figure(
        name: "grid-path",
        caption: """
            The blackbox rule on a shortest path through a 6 × 8 grid of costs: the gradient (last panel) is the \
            −(current path − perturbed path)/λ, non-zero only on the cells where the two paths differ: negative on \
            the current path's cells (a descent step makes them dearer), positive on the perturbed path's (a step \
            makes them cheaper).
            """,
        title: "Blackbox backward on a shortest path (λ = \(gridLambda.fixed(2)))",
        width: 1000, height: 560, columns: 3,
        panels: [
            gridPanel("target path y*", targetPath, .ink),
            gridPanel("costs w", initialCosts, .viridis, "w"),
            gridPanel("y(w): current path", path0, .ink),
            gridPanel("y(w + λ·dL/dy): perturbed path", pathLambda, .ink),
            gridPanel("dL/dw = −(y − y_λ)/λ", pathGradient, .diverging, "dL/dw"),
        ]))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Swift autodiff through the blackbox")
chapter.say(
    """
    Swift can differentiate ordinary code, but not a sort. Sources/RamboAutodiff/BlackboxLayer.swift registers the
    blackbox backward as the derivative of ranking:
        @differentiable(reverse, wrt: scores)
        public func blackboxRank(_ scores: [Double], lambda: Double) -> [Double] { rank(scores) as Doubles }
        @derivative(of: blackboxRank, wrt: scores)
        ... return (ranks, { upstream in rankBackward(scores:, ranks:, upstream:, lambda:) })
    and BlackboxRank(lambda:) is the same as a callable layer. Everything around it — the loss, the model —
    is differentiated by the compiler, which hands dL/drk to the pullback.
    """)
let layer = try! BlackboxRank(lambda: lambda)
var vjpExact = true
for _ in 0..<(trials / 4) {
    let y = rng.gaussians(n)
    let t = randomRanking(n)
    let viaAutodiff = gradient(at: y) { squaredDistance(layer($0), t) }
    let explicit = rankBackward(scores: y, upstream: zip(ranksOf(y), t).map { 2 * ($0 - $1) }, lambda: lambda)
    if viaAutodiff.base != explicit { vjpExact = false }
}
chapter.check(
    "gradient(at:of:) through BlackboxRank = rankBackward(y, 2(rk − t), λ), bit for bit",
    vjpExact, "\(trials / 4) random lists of \(n)")

let trainingLambda = 3.0
chapter.say(
    """

    Training free scores. Target: a random ranking t of m = \(chapter.quick ? 20 : 50) items. On permutations Σ rk_i² = Σ t_i²,
    so the squared distance is LINEAR in the ranks:
        ½ Σ (rk_i − t_i)² = Σ t_i² − ⟨rk, t⟩,        dL/drk = −t  (the same at every step).
    Written this way f is L itself, not a tangent of it, and f_λ interpolates the true loss. With λ = \(trainingLambda.fixed(0))
    the nudge λ·t dwarfs the scores, rk(y − λt) ≈ t, and dL/dy ≈ (t − rk)/λ points straight at the target.
    λ = 3 is fixed for this toy, not the course's rule (n/2 = \(compactNumber(defaultLambda(length: chapter.quick ? 20 : 50))) here): any λ large enough for
    λ·t to dwarf the scores gives the same direction, and a larger λ only shrinks the step by 1/λ (at n/2 the
    steps would be \(compactNumber(defaultLambda(length: chapter.quick ? 20 : 50) / 3))× shorter). Plain gradient descent y ← y − η·dL/dy, η = 0.01.
    """)
let freeCount = chapter.quick ? 20 : 50
let freeTarget = randomRanking(freeCount)
var freeScores = rng.gaussians(freeCount)
let freeLambda = trainingLambda
let freeLayer = try! BlackboxRank(lambda: freeLambda)
let freeRate = 0.01
let freeConstant = dot(freeTarget, freeTarget)
var freeCurve = [Double]()
for _ in 0..<1000 {
    let (loss, grad) = valueWithGradient(at: freeScores) { freeConstant - weightedSum(freeLayer($0), freeTarget) }
    freeCurve.append(loss)
    if loss == 0 { break }
    for i in freeScores.indices { freeScores[i] -= freeRate * grad.base[i] }
}
chapter.say("loss \(freeCurve.first!.fixed(0)) → \(freeCurve.last!.fixed(0)) in \(freeCurve.count - 1) steps")
chapter.check(
    "gradient descent through BlackboxRank reaches the target ranking", ranksOf(freeScores) == freeTarget,
    "loss \(freeCurve.first!.fixed(0)) → \(freeCurve.last!.fixed(0)) in \(freeCurve.count - 1) steps")
chapter.check(
    "½Σ(rk − t)² = Σt² − ⟨rk, t⟩ on 100 random rankings",
    (0..<100).allSatisfy { _ in
        let r = randomRanking(freeCount)
        return squaredDistance(r, freeTarget) / 2 == freeConstant - dot(r, freeTarget)
    })

/// Scores from features, s_i = ⟨x_i, θ⟩ / ‖θ‖, differentiable in θ (the compiler writes the pullback).
/// Dividing by ‖θ‖ keeps the score scale, and so the meaning of λ, fixed while θ turns.
@differentiable(reverse,wrt: theta)
func linearScores(_ features: [[Double]], _ theta: [Double]) -> [Double] {
    var squares = 0.0
    for k in 0..<withoutDerivative(at: theta.count) { squares += theta[k] * theta[k] }
    let norm = sqrt(squares)
    var scores = [Double]()
    for i in 0..<withoutDerivative(at: features.count) { scores.append(weightedSum(theta, features[i]) / norm) }
    return scores
}

let items = chapter.quick ? 20 : 40
let featureCount = 4
let features = (0..<items).map { _ in rng.gaussians(featureCount) }
let hiddenTheta = rng.gaussians(featureCount)
let targetRanks = ranksOf(features.map { dot($0, hiddenTheta) })
var theta = rng.gaussians(featureCount)
let trainLambda = trainingLambda
let trainLayer = try! BlackboxRank(lambda: trainLambda)
let trainRate = 0.03
let trainSteps = chapter.quick ? 150 : 400
chapter.say(
    """

    A model: \(items) items with \(featureCount) features x_i, scores s_i = ⟨x_i, θ⟩/‖θ‖, target t = the ranking of a hidden θ*.
    The compiler differentiates the model; BlackboxRank supplies the ranking's pullback. Each step also computes
    the chain rule by hand, dL/dθ_k = Σ_i dL/ds_i · (x_ik − s_i θ_k/‖θ‖)/‖θ‖ with dL/ds = rankBackward(s, −t, λ).
    λ = \(trainLambda.fixed(0)) as above (the fixed toy value), η = \(trainRate), at most \(trainSteps) steps.
    """)
var trainCurve = [Double]()
var autodiffWorst = 0.0
let sumSquares = dot(targetRanks, targetRanks)
for _ in 0..<trainSteps {
    let (loss, grad) = valueWithGradient(at: theta) {
        sumSquares - weightedSum(trainLayer(linearScores(features, $0)), targetRanks)
    }
    trainCurve.append(loss)
    if loss == 0 { break }
    let s = linearScores(features, theta)
    let ds = rankBackward(scores: s, upstream: targetRanks.map { -$0 }, lambda: trainLambda)
    let norm = dot(theta, theta).squareRoot()
    let byHand = (0..<featureCount).map { k in
        (0..<items).reduce(0.0) { $0 + ds[$1] * (features[$1][k] - s[$1] * theta[k] / norm) / norm }
    }
    autodiffWorst = max(autodiffWorst, maxAbs(grad.base, byHand) / max(1e-300, byHand.map(abs).max()!))
    for k in theta.indices { theta[k] -= trainRate * grad.base[k] }
}
let finalRanks = ranksOf(linearScores(features, theta))
let swapsLeft = zip(finalRanks, targetRanks).filter { $0 != $1 }.count
let cosine = dot(theta, hiddenTheta) / (dot(theta, theta) * dot(hiddenTheta, hiddenTheta)).squareRoot()
chapter.say(
    "loss \(trainCurve.first!.fixed(0)) → \(trainCurve.last!.fixed(0)) in \(trainCurve.count - 1) steps; \(swapsLeft) items off their target rank; cos(θ, θ*) = \(cosine.fixed(4))"
)
chapter.check(
    "autodiff gradient = chain rule by hand at every step (relative difference ≤ 1e-12)",
    autodiffWorst <= 1e-12, "max relative difference \(autodiffWorst.sci)")
chapter.check(
    "the model reaches the target ranking", finalRanks == targetRanks,
    "loss \(trainCurve.first!.fixed(0)) → \(trainCurve.last!.fixed(0)), cos(θ, θ*) = \(cosine.fixed(4))")
chapter.metric("toy-ranking", "free-scores", "final-loss", freeCurve.last!)
chapter.metric("toy-ranking", "linear-model", "final-loss", trainCurve.last!)
chapter.plot(
    Figure(
        name: "training",
        caption: """
            All three problems train with the blackbox gradient alone: the ranking losses of free scores and of a \
            linear model fall to zero, and the path's Hamming distance to the target reaches zero, although neither \
            the ranking nor the solver has a useful derivative of its own.
            """,
        width: 1000, height: 400, columns: 3,
        panels: [
            Panel(
                title: "free scores → rank", xLabel: "gradient step", yLabel: "½Σ(rk − t)²",
                key: .none,
                series: [.lines(x: freeCurve.indices.map(Double.init), y: freeCurve, title: "loss", ink: .category(0))]),
            Panel(
                title: "linear model → rank", xLabel: "gradient step", yLabel: "½Σ(rk − t)²",
                key: .none,
                series: [
                    .lines(x: trainCurve.indices.map(Double.init), y: trainCurve, title: "loss", ink: .category(0))
                ]),
            Panel(
                title: "grid costs → shortest path", xLabel: "gradient step",
                yLabel: "Hamming distance to y*",
                key: .none,
                series: [
                    .linesPoints(
                        x: gridCurve.indices.map(Double.init), y: gridCurve, title: "Hamming", ink: .category(0))
                ]),
        ]))

chapter.finish()
