// Chapter 12 · Speed
//
// The paper's practical claim (§5.3, Table 6): the blackbox AP loss costs one extra ranking in the backward
// pass, so forward + backward is O(n log n) and scales to lists of 10⁸ items, where pairwise surrogates are
// O(n²). This chapter times the library's AP loss against the textbook route (two comparison sorts), against an
// O(n²) pairwise surrogate, and against the paper's own CPU and GPU numbers, and fits the slopes on log-log axes.
// Timing is a demonstration here, not a test: the checks use wide bands so that a busy machine still passes.
import Dispatch
import Foundation
import Gnuplot
import Rambo
import RankKernel
import Support
import Walkthrough

let chapter = Chapter(
    "ch12",
    flags: [
        .double(
            "max-n", default: 1e7, quick: 1e5, in: 1e3...4e9,
            help: "longest list timed (1e8 takes minutes and about 5 GB)"),
        .int(
            "repeats", default: 5, quick: 3, in: 1...100,
            help: "timed runs per point (the median is reported), after one warm-up"),
        .double(
            "pairwise-budget", default: 1, quick: 0.2, in: 1e-3...3600,
            help: "seconds one pairwise run may take before larger n are skipped"),
    ])
let maxN = chapter.double("max-n")
let repeats = chapter.int("repeats")
let pairwiseBudget = chapter.double("pairwise-budget")
let lambda = 1.0

/// The one-minute load average, as `uptime` shows it ("?" where it cannot be read).
func loadAverage() -> String {
    var loads = [0.0, 0.0, 0.0]
    return getloadavg(&loads, 3) >= 1 ? loads[0].fixed(2) : "?"
}

/// The median CPU time of `repeats` runs of `body`, after one untimed warm-up run (which also allocates).
func medianMilliseconds(_ body: () -> Double) -> Double {
    var sink = body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = ProcessClock.processCPUMilliseconds()
        sink += body()
        times.append(ProcessClock.processCPUMilliseconds() - start)
    }
    if sink.isNaN { print("  (a timed run produced NaN)") }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

/// n seeded standard-normal scores and 10 % positives: the setting of the bench and of the issue.
func list(_ n: Int, seed: UInt64) -> (scores: [Double], relevance: [Bool]) {
    var rng = SplitMix64(seed: seed)
    let scores = (0..<n).map { _ in rng.nextGaussian() }
    let relevance = (0..<n).map { _ in rng.nextUnit() < 0.1 }
    return (scores, relevance)
}

/// The textbook AP loss, forward + backward, as the paper writes it (and as a PyTorch port computes it):
/// rank the scores, walk the order for rk⁺/rk and dL/drk, rank the perturbed scores, difference of rankings.
/// Both rankings use the comparison sort, O(n log n). No margin, λ = `lambda`.
func textbookAP(scores: [Double], relevance: [Bool]) -> (loss: Double, gradient: [Double]) {
    let positives = relevance.filter { $0 }.count
    guard positives > 0 else { return (0, [Double](repeating: 0, count: scores.count)) }
    let order = RankingKernel.comparisonArgsortDescending(scores)
    var upstream = [Double](repeating: 0, count: scores.count)
    var positivesSoFar = 0
    var sum = 0.0
    for (position, index) in order.enumerated() where relevance[index] {
        positivesSoFar += 1
        let rankAll = Double(position + 1)
        let rankPositive = Double(positivesSoFar)
        sum += rankPositive / rankAll
        upstream[index] = rankPositive / (rankAll * rankAll * Double(positives))  // dL/drk (rk⁺ is a constant)
    }
    let forward = ranks(fromOrder: order)
    var perturbed = scores
    for i in perturbed.indices { perturbed[i] += lambda * upstream[i] }
    let backward = ranks(fromOrder: RankingKernel.comparisonArgsortDescending(perturbed))
    let gradient = scores.indices.map { -Double(forward[$0] - backward[$0]) / lambda }
    return (1 - sum / Double(positives), gradient)
}

/// A pairwise surrogate of the AP loss in the style of Smooth-AP (Brown et al. 2020): every rank is a sum of
/// sigmoids of score differences, R_i = 1 + Σ_{j≠i} σ((y_j − y_i)/τ), R⁺_i the same over positives, and
/// L = 1 − mean over positives of R⁺_i/R_i. Forward + backward visit every (positive, item) pair twice: O(p·n),
/// quadratic in n at a fixed share of positives.
func pairwiseAP(scores: [Double], relevance: [Bool], temperature: Double = 0.01) -> (loss: Double, gradient: [Double]) {
    let n = scores.count
    let positives = relevance.indices.filter { relevance[$0] }
    var gradient = [Double](repeating: 0, count: n)
    guard !positives.isEmpty else { return (0, gradient) }
    let p = Double(positives.count)
    var loss = 1.0
    for i in positives {
        var all = 1.0
        var pos = 1.0
        for j in 0..<n where j != i {
            let s = 1 / (1 + exp(-(scores[j] - scores[i]) / temperature))
            all += s
            if relevance[j] { pos += s }
        }
        loss -= pos / all / p
        // dL/dR_i = R⁺/(R²p), dL/dR⁺_i = −1/(R p); dσ(x)/dx = σ(1 − σ), x = (y_j − y_i)/τ.
        let dAll = pos / (all * all * p)
        let dPos = -1 / (all * p)
        for j in 0..<n where j != i {
            let s = 1 / (1 + exp(-(scores[j] - scores[i]) / temperature))
            let slope = s * (1 - s) / temperature * (dAll + (relevance[j] ? dPos : 0))
            gradient[j] += slope
            gradient[i] -= slope
        }
    }
    return (loss, gradient)
}

/// Least-squares slope of log t against log n.
func logLogSlope(_ n: [Double], _ t: [Double]) -> Double {
    let x = n.map { log10($0) }
    let y = t.map { log10($0) }
    let mx = x.reduce(0, +) / Double(x.count)
    let my = y.reduce(0, +) / Double(y.count)
    let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
    let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    return sxy / sxx
}

func milliseconds(_ ms: Double) -> String {
    if ms >= 86_400_000 { return (ms / 86_400_000).fixed(1) + " days" }
    if ms >= 3_600_000 { return (ms / 3_600_000).fixed(1) + " hours" }
    return ms >= 1000 ? (ms / 1000).fixed(2) + " s" : ms >= 10 ? ms.fixed(1) + " ms" : ms.fixed(3) + " ms"
}

/// The paper's Table 6: plain PyTorch AP loss, forward + backward (one Xeon Gold core at 2.2 GHz; one V100).
let paperLengths = [1e5, 1e6, 1e7, 1e8]
let paperCPU = [33.0, 331, 3860, 36_400]
let paperGPU = [1.3, 7, 61, 620]

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("What has to be fast")
chapter.say(
    """
    RaMBO's backward pass is one more call to the solver (Algorithm 1): forward ranks the scores, backward ranks
    y + λ·dL/drk. So forward + backward of the AP loss is two rankings plus linear work, O(n log n) with a
    comparison sort (paper Table 1), against O(n·p) or O(n²) for the pairwise methods the paper compares with.
    The paper times its PyTorch code in Table 6 (one CPU core, one GPU):
    """)
chapter.table(
    ["length", "CPU (1 core)", "GPU (V100)"],
    paperLengths.indices.map {
        [
            "\(Int(paperLengths[$0]))", milliseconds(paperCPU[$0]),
            milliseconds(paperGPU[$0]),
        ]
    })
chapter.say(
    """

    This library ranks with a radix sort on the bits of the scores (O(n), chapter 01 explains why that is exact),
    and computes the AP loss of one list with a single full sort: the negatives get no upstream gradient, so in
    the perturbed ranking they keep their order and only the positives (here 10 %) need sorting again; the
    perturbed ranks come from merging the two sorted sequences. `APLoss.valueAndGradient(…, workspace:,
    gradient:)` reuses its buffers, so a timed call allocates nothing.
    """)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The fast path computes exactly the textbook loss")
chapter.say(
    """
    Speed is worth nothing if the numbers change. The textbook route above (two comparison sorts, the paper's
    equations line by line) and the library's kernel must agree bit for bit, ties included:
    """)
var workspace = RankingWorkspace()
var gradient: [Double] = []
var identical = 0
var compared = 0
for (n, seed) in [(10, 1), (1000, 2), (chapter.quick ? 20_000 : 200_000, 3)] {
    for tied in [false, true] {
        var (scores, relevance) = list(n, seed: UInt64(seed))
        if tied { scores = scores.map { ($0 * 4).rounded() / 4 } }  // few distinct values: many ties
        let reference = textbookAP(scores: scores, relevance: relevance)
        let loss = APLoss(lambda: lambda).valueAndGradient(
            scores: scores, relevance: relevance,
            workspace: &workspace, gradient: &gradient)
        compared += 1
        if loss.bitPattern == reference.loss.bitPattern
            && zip(gradient, reference.gradient).allSatisfy({ $0.bitPattern == $1.bitPattern })
        {
            identical += 1
        }
    }
}
chapter.check(
    "radix kernel = textbook route, loss and gradient bit for bit", identical == compared,
    "\(identical) of \(compared) lists (n up to \(chapter.quick ? 20_000 : 200_000), with and without ties)")
do {
    // The surrogate's gradient is the gradient of its loss (central differences on a short list).
    let (scores, relevance) = list(12, seed: 4)
    let analytic = pairwiseAP(scores: scores.map { $0 * 0.02 }, relevance: relevance).gradient
    var worst = 0.0
    for k in 0..<12 {
        var up = scores.map { $0 * 0.02 }
        var down = up
        up[k] += 1e-6
        down[k] -= 1e-6
        let numeric =
            (pairwiseAP(scores: up, relevance: relevance).loss
                - pairwiseAP(scores: down, relevance: relevance).loss) / 2e-6
        worst = max(worst, abs(numeric - analytic[k]))
    }
    chapter.check(
        "the pairwise surrogate's backward matches central differences", worst < 1e-5,
        "max error \(worst.sci)")
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Time against list length")
chapter.say(
    """
    Median of \(repeats) runs (after a warm-up), CPU time of this process, one thread, λ = \(lambda), no margin,
    standard-normal scores with 10 % positives. The machine is shared, so expect ±20 % between runs. The
    comparison route stops where one run passes about a second; the pairwise surrogate where it passes
    \(pairwiseBudget) s.
    """)
var sizes: [Int] = []
var exponent = 3.0
while pow(10, exponent) <= maxN * 1.0001 {
    sizes.append(Int(pow(10, exponent).rounded()))
    exponent += 0.5
}
var rankTimes: [Double] = []
var apTimes: [Double] = []
var comparisonSizes: [Int] = []
var comparisonTimes: [Double] = []
var rows: [[String]] = []
var ranksOut: [Int] = []
for n in sizes {
    let (scores, relevance) = list(n, seed: UInt64(n))
    let rankMs = medianMilliseconds {
        workspace.rank(scores, into: &ranksOut)
        return Double(ranksOut[0])
    }
    let apMs = medianMilliseconds {
        APLoss(lambda: lambda).valueAndGradient(
            scores: scores, relevance: relevance, workspace: &workspace,
            gradient: &gradient) + gradient[0]
    }
    rankTimes.append(rankMs)
    apTimes.append(apMs)
    var comparisonCell = "—"
    var speedupCell = "—"
    if comparisonTimes.last.map({ $0 * 3.5 < 1000 }) ?? true {
        let ms = medianMilliseconds {
            let result = textbookAP(scores: scores, relevance: relevance)
            return result.loss + result.gradient[0]
        }
        comparisonSizes.append(n)
        comparisonTimes.append(ms)
        comparisonCell = milliseconds(ms)
        speedupCell = (ms / apMs).fixed(1) + "×"
    }
    rows.append([
        "\(n)", milliseconds(rankMs), milliseconds(apMs), (apMs * 1e6 / Double(n)).fixed(1),
        comparisonCell, speedupCell,
    ])
    print("  n = \(n): rank \(milliseconds(rankMs)), AP loss \(milliseconds(apMs))")
}
chapter.table(
    [
        "n", "rank (radix)", "AP fwd+bwd (radix)", "ns/item", "AP fwd+bwd (comparison)",
        "comparison / radix",
    ], rows)
if let worst = zip(sizes, apTimes).filter({ $0.0 >= 10_000 }).map({ $1 * 1e6 / Double($0) }).max(),
    let best = zip(sizes, apTimes).filter({ $0.0 >= 10_000 }).map({ $1 * 1e6 / Double($0) }).min()
{
    chapter.say(
        """
        Flatness: from n = 10⁴ on, the slowest ns/item of the radix AP loss is \((worst / best).fixed(2))× the
        fastest (`rambo-bench --sweep` measures the same up to 10⁸).
        """)
}

var pairwiseSizes: [Int] = []
var pairwiseTimes: [Double] = []
for n in [100, 316, 1000, 3162, 10_000, 31_623, 100_000] {
    let (scores, relevance) = list(n, seed: UInt64(n) + 7)
    let ms = medianMilliseconds {
        let result = pairwiseAP(scores: scores, relevance: relevance)
        return result.loss + result.gradient[0]
    }
    pairwiseSizes.append(n)
    pairwiseTimes.append(ms)
    // The next size costs ~10× more: stop before it would pass the budget.
    if ms * 10 > pairwiseBudget * 1000 { break }
}
chapter.table(
    ["n", "pairwise surrogate fwd+bwd"],
    zip(pairwiseSizes, pairwiseTimes).map { ["\($0)", milliseconds($1)] })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Slopes on log-log axes")
chapter.say(
    """
    On log-log axes a cost of c·n^k is a straight line of slope k. Fit each curve from n = 10⁴ on (below that,
    fixed costs dominate; the pairwise one from n = 1000):
    """)
func fitted(_ n: [Int], _ t: [Double], from: Int) -> Double {
    let kept = n.indices.filter { n[$0] >= from }
    return logLogSlope(kept.map { Double(n[$0]) }, kept.map { t[$0] })
}
let rankSlope = fitted(sizes, rankTimes, from: 10_000)
let apSlope = fitted(sizes, apTimes, from: 10_000)
let comparisonSlope = fitted(comparisonSizes, comparisonTimes, from: 10_000)
let pairwiseFrom = pairwiseSizes.filter { $0 >= 1000 }.count >= 2 ? 1000 : pairwiseSizes.dropFirst().first ?? 0
let pairwiseSlope = fitted(pairwiseSizes, pairwiseTimes, from: pairwiseFrom)
let paperCPUSlope = logLogSlope(paperLengths, paperCPU)
let paperGPUSlope = logLogSlope(paperLengths, paperGPU)
chapter.table(
    ["curve", "slope"],
    [
        ["rank, radix", rankSlope.fixed(2)],
        ["AP loss, radix kernel", apSlope.fixed(2)],
        ["AP loss, comparison sorts", comparisonSlope.fixed(2)],
        ["pairwise surrogate", pairwiseSlope.fixed(2)],
        ["paper Table 6, CPU", paperCPUSlope.fixed(2)],
        [
            "paper Table 6, GPU (1e6 on)",
            logLogSlope(Array(paperLengths.dropFirst()), Array(paperGPU.dropFirst())).fixed(2),
        ],
    ])
chapter.say(
    """
    The radix curves sit a little above 1: past the caches every item costs more (memory traffic, not
    comparisons). n log n would add about 0.05 to 0.1 over these ranges; the pairwise surrogate is quadratic.
    """)
// Claims about time are checked on the full run only: `--quick` times lists of a few thousand items for a few
// milliseconds, where the load of a shared machine moves a single point by more than the bands allow (the test
// suite runs every chapter in --quick mode, and timings never decide a test).
if chapter.quick {
    chapter.say("(--quick: the slopes and the speed-up are printed, not checked; the full run checks them.)")
} else {
    chapter.check(
        "the radix AP loss scales about linearly (slope within 0.75…1.4)", apSlope > 0.75 && apSlope < 1.4,
        "slope \(apSlope.fixed(2))")
    chapter.check(
        "the pairwise surrogate scales about quadratically (slope within 1.6…2.4)",
        pairwiseSlope > 1.6 && pairwiseSlope < 2.4, "slope \(pairwiseSlope.fixed(2))")
}
if let k = comparisonSizes.indices.last, let i = sizes.firstIndex(of: comparisonSizes[k]) {
    let speedup = comparisonTimes[k] / apTimes[i]
    if chapter.quick {
        chapter.say(
            "At n = \(comparisonSizes[k]) the radix kernel is \(speedup.fixed(1))× faster than the comparison route.")
    } else {
        chapter.check(
            "the radix kernel beats the comparison route at n = \(comparisonSizes[k]) by 2× or more",
            speedup >= 2, "\(speedup.fixed(1))× faster")
    }
}
if let k = pairwiseSizes.indices.last, let i = sizes.firstIndex(where: { $0 >= pairwiseSizes[k] }) {
    let at = sizes[i] == pairwiseSizes[k] ? "" : " (at n = \(sizes[i]))"
    let projected = pairwiseTimes[k] * pow(1e7 / Double(pairwiseSizes[k]), 2)
    chapter.say(
        "At n = \(pairwiseSizes[k]) the pairwise surrogate takes \(milliseconds(pairwiseTimes[k])), the radix "
            + "AP loss \(milliseconds(apTimes[i]))\(at); at n = 10⁷ the surrogate would need about \(milliseconds(projected))."
    )
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Two threads on one list")
chapter.say(
    """
    A long list can share its work between threads (`RankingWorkspace.threadCount`): each thread splits its
    slice of the input by the top 16 key bits, then the buckets are shared out in runs of about n/2 items; the AP
    kernel's walk and merge each take one half of the sorted order, and the index-window writes go by whole
    windows. The order of every item is the one a single thread finds, and the precision terms are added in the
    same order, so the loss and gradient are the same bit for bit.
    This cell uses the wall clock (CPU time adds up both threads), so it only shows a speed-up when the machine
    has a second core free.
    """)
do {
    let n = chapter.quick ? 100_000 : 2_000_000
    let (scores, relevance) = list(n, seed: 11)
    var one = RankingWorkspace()
    var two = RankingWorkspace()
    two.threadCount = 2
    var gradientOne: [Double] = []
    var gradientTwo: [Double] = []
    let lossOne = APLoss(lambda: lambda).valueAndGradient(
        scores: scores, relevance: relevance, workspace: &one,
        gradient: &gradientOne)
    let lossTwo = APLoss(lambda: lambda).valueAndGradient(
        scores: scores, relevance: relevance, workspace: &two,
        gradient: &gradientTwo)
    chapter.check(
        "two threads on one list: loss and gradient bit for bit as on one thread",
        lossOne.bitPattern == lossTwo.bitPattern
            && zip(gradientOne, gradientTwo).allSatisfy { $0.bitPattern == $1.bitPattern },
        "n = \(n)")
    func wallMilliseconds(_ workspace: inout RankingWorkspace) -> Double {
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = APLoss(lambda: lambda).valueAndGradient(
                scores: scores, relevance: relevance, workspace: &workspace,
                gradient: &gradientOne)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.min()!
    }
    // Interleaved, best of the runs, so that both see the same load.
    var bestOne = Double.infinity
    var bestTwo = Double.infinity
    for _ in 0..<2 {
        bestOne = min(bestOne, wallMilliseconds(&one))
        bestTwo = min(bestTwo, wallMilliseconds(&two))
    }
    chapter.say(
        "n = \(n), wall clock, best of \(2 * repeats) runs each: one thread \(milliseconds(bestOne)), "
            + "two threads \(milliseconds(bestTwo)): \((bestOne / bestTwo).fixed(2))× (load average \(loadAverage())).")
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Against the paper's Table 6")
/// The radix AP time at length n, interpolated on log-log axes (extrapolated from the last two points beyond).
func interpolate(_ n: Double) -> Double {
    // Log-log interpolation of the radix AP timings (extrapolates from the last two points beyond max-n).
    let x = sizes.map { log10(Double($0)) }
    let y = apTimes.map { log10($0) }
    guard x.count >= 2 else { return apTimes.first ?? 0 }
    var k = 0
    while k < x.count - 2 && x[k + 1] < log10(n) { k += 1 }
    let t = (log10(n) - x[k]) / (x[k + 1] - x[k])
    return pow(10, y[k] + t * (y[k + 1] - y[k]))
}
var paperRows: [[String]] = []
for (k, length) in paperLengths.enumerated() {
    guard let i = sizes.firstIndex(of: Int(length)) else { continue }
    paperRows.append([
        "\(Int(length))", milliseconds(apTimes[i]), milliseconds(paperCPU[k]),
        (paperCPU[k] / apTimes[i]).fixed(1) + "×", milliseconds(paperGPU[k]),
    ])
    chapter.metric("gaussian-10pct", "rambo-ap-radix", "ms@\(Int(length))", apTimes[i])
}
chapter.table(["length", "AP fwd+bwd here (1 core)", "paper CPU (1 core)", "ratio", "paper GPU"], paperRows)
chapter.say(
    """
    Different machines, so compare shapes more than numbers: the paper's CPU curve has slope
    \(paperCPUSlope.fixed(2)) (torch.argsort, O(n log n)); its GPU curve is flat until the GPU fills up. The
    paper's detection lists have 320k items; there the loss costs about \(milliseconds(interpolate(320_000)))
    on one core here (the paper: under 5 ms on the GPU).
    """)
var usage = rusage()
getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
chapter.say("Peak resident memory of this run: \((Double(usage.ru_maxrss) / 1024).fixed(0)) MB (inputs included).")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Figures")
/// The radix AP kernel is RaMBO's loss (vermillion); the other implementations are categories; the paper's
/// numbers are the paper's (reddish purple, dotted).
let inks = (
    rank: Ink.category(0), ap: Ink.method("rambo-ap-radix"), comparison: Ink.category(1), pairwise: Ink.category(2),
    paper: Ink.role(.paper)
)
chapter.plot(
    Figure(
        name: "time-vs-n",
        caption: """
            Forward + backward time of the AP loss against the list length n, on log-log axes, where a slope of 1 \
            is linear time: the radix kernel (vermillion) against comparison sorts and the O(n²) pairwise \
            surrogate, with the paper's Table 6 (dotted) for the shape, not the machine.
            """,
        width: 900, height: 620,
        panel: Panel(
            title: "AP loss, forward + backward, one list with 10 % positives (one CPU thread, median CPU time)",
            xLabel: "list length n", yLabel: "time (ms)", logX: true, logY: true, key: .topLeft,
            series: [
                .linesPoints(
                    x: sizes.map(Double.init), y: apTimes, title: "AP loss, radix kernel (slope \(apSlope.fixed(2)))",
                    ink: inks.ap),
                .linesPoints(
                    x: sizes.map(Double.init), y: rankTimes, title: "rank only, radix (slope \(rankSlope.fixed(2)))",
                    ink: inks.rank, dash: 2),
                .linesPoints(
                    x: comparisonSizes.map(Double.init), y: comparisonTimes,
                    title: "AP loss, comparison sorts (slope \(comparisonSlope.fixed(2)))", ink: inks.comparison),
                .linesPoints(
                    x: pairwiseSizes.map(Double.init), y: pairwiseTimes,
                    title: "pairwise sigmoid surrogate (slope \(pairwiseSlope.fixed(2)))", ink: inks.pairwise),
                .linesPoints(
                    x: paperLengths, y: paperCPU, title: "paper Table 6, PyTorch CPU (1 core)", ink: inks.paper,
                    pointType: 4),
                .linesPoints(
                    x: paperLengths, y: paperGPU, title: "paper Table 6, PyTorch GPU (V100)", ink: inks.paper,
                    pointType: 8),
            ])), key: true)
let perItem = (
    ap: sizes.indices.map { apTimes[$0] * 1e6 / Double(sizes[$0]) },
    rank: sizes.indices.map { rankTimes[$0] * 1e6 / Double(sizes[$0]) },
    comparison: comparisonSizes.indices.map { comparisonTimes[$0] * 1e6 / Double(comparisonSizes[$0]) }
)
chapter.plot(
    Figure(
        name: "ns-per-item",
        caption: """
            The same times per item: a flat line is linear time. A comparison sort pays log n per item, while the \
            radix kernel (vermillion) stays flat until the list outgrows the caches.
            """,
        width: 900, height: 500,
        panel: Panel(
            title: "Cost per item: a comparison sort pays log n, the radix kernel pays the caches filling up",
            xLabel: "list length n", yLabel: "ns per item (log scale)", logX: true, logY: true,
            xRange: 0.8 * Double(sizes.first ?? 1000)...1.25 * Double(sizes.last ?? 1000), key: .topLeft,
            series: [
                .linesPoints(
                    x: sizes.map(Double.init), y: perItem.ap, title: "AP loss fwd+bwd, radix kernel", ink: inks.ap),
                .linesPoints(
                    x: sizes.map(Double.init), y: perItem.rank, title: "rank only, radix", ink: inks.rank, dash: 2),
                .linesPoints(
                    x: comparisonSizes.map(Double.init), y: perItem.comparison,
                    title: "AP loss fwd+bwd, comparison sorts", ink: inks.comparison),
            ])))

chapter.finish()
