// Chapter 13 · Checking ports
//
// This package is the yardstick other ports (PyTorch, JAX, Julia, Rust) are checked against. A port can follow
// the paper's equations or the authors' PyTorch code, and the two differ in small, easy-to-miss ways. This chapter
// puts each difference side by side on a small case and measures it, then runs the shipped test vectors through
// the library in-process, exactly as `rambo-reference verify` checks a port, and shows a planted mistake caught.
import Foundation
import Gnuplot
import Rambo
import RamboOfficial
import RamboReference
import Support
import Walkthrough

let chapter = Chapter(
    "ch13",
    flags: [
        .string("vectors", default: "Data/reference", help: "folder of the shipped test vectors"),
        .int(
            "draws", default: 400_000, quick: 20_000, in: 1000...100_000_000,
            help: "samples of the official mAP margin noise"),
    ])
var rng = SplitMix64(seed: chapter.seed)
let draws = chapter.int("draws")

/// The vectors folder: the one given with --vectors (it must hold every op's file), else Data/reference here or
/// beside this source file's package. Loaded before anything runs, so a bad folder is one clear line and exit 2.
let vectorsFolder: URL = {
    let given = URL(fileURLWithPath: chapter.string("vectors"))
    if chapter.given("vectors") || FileManager.default.fileExists(atPath: given.path) { return given }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/reference")
}()
var tests = [ReferenceVector]()
do {
    var isFolder: ObjCBool = false
    chapter.require(
        FileManager.default.fileExists(atPath: vectorsFolder.path, isDirectory: &isFolder)
            && isFolder.boolValue, "--vectors: '\(vectorsFolder.path)' is not a folder")
    for op in ReferenceOp.allCases {
        let url = vectorsFolder.appendingPathComponent("\(op.rawValue).json")
        chapter.require(
            FileManager.default.fileExists(atPath: url.path),
            "--vectors: '\(vectorsFolder.path)' has no \(op.rawValue).json")
        do {
            let file = try JSONParser.parse(bytes: [UInt8](try Data(contentsOf: url)))
            tests += try ReferenceVectors.tests(in: file, name: url.lastPathComponent)
        } catch {
            chapter.require(false, "--vectors: \(url.path): \(error)")
        }
    }
    let plantable = tests.contains {
        $0.op == .apLoss && $0.valid && ($0.expected["grad"]?.arrayValue?.first?.arrayValue?.count ?? 0) > 1
    }
    chapter.require(
        plantable && tests.contains { $0.op == .mapAtR },
        "--vectors: '\(vectorsFolder.path)' lacks the ap_loss and map_at_r tests this chapter plants "
            + "mistakes in")
}

/// |paper − official| for each difference, and the same relative to the paper's value (|paper − official| / |paper|,
/// a number without units, so that every case fits one axis of the figure).
var differences = [(name: String, value: Double, relative: Double)]()

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Two conventions, one reference")
chapter.say(
    """
    Every op of the reference takes "convention": "paper" (the equations, integer ranks; the chapters use it) or
    "official" (martius-lab/blackbox-backprop, quirks included). A port of the paper checks against the paper
    vectors; a port of the PyTorch code against the official ones. Each difference below is measured on a small
    case; the full list is the table at the top of Sources/RamboOfficial/OfficialRanking.swift.
    """)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Ranks: 1-based integers vs normalised rk/n")
let y = [0.3, 0.9, -0.1, 0.5]
let paperRanks = rank(y).map(Double.init)
let officialRanks = normalisedRank(y)
chapter.say("y = \(y)")
chapter.say("paper    rk(y)   = \(rank(y).listed)     (rank 1 = highest score)")
chapter.say("official rk(y)/n = \(officialRanks)   (ranking.py: (argsort(argsort(−y)) + 1) / n)")
let rankGap = maxAbsDifference(paperRanks, officialRanks)
let rescaledGap = maxAbsDifference(paperRanks, officialRanks.map { $0 * Double(y.count) })
differences.append(("ranks", rankGap, rankGap / Double(y.count)))
chapter.say(
    """
    The two differ by a change of unit, not by an error: n·(rk/n) gives back the paper ranks exactly
    (max |rk − n·rk_n| = \(rescaledGap.fixed(1))). Compared raw, they are up to \(rankGap.fixed(1)) apart: the last item has rank \(y.count)
    and rk/n = 1, so |\(y.count) − 1| = \(rankGap.fixed(1)). That raw gap is what a port that mixes the two units would see.
    """)
chapter.check(
    "official ranks are paper ranks divided by n", zip(paperRanks, officialRanks).allSatisfy { $0 / 4 == $1 },
    "max |rk − n·rk_n| = \(rescaledGap.fixed(1)); the raw |rk − rk_n| is up to \(rankGap.fixed(1)) = \(y.count) − \(y.count)/\(y.count), "
        + "a change of unit")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The authors' code, behaviour 1: normalised ranks are Float32")
chapter.say(
    """
    rank_normalised computes (rank + 1).float() / n: a Float32 tensor even for Float64 scores, promoted back to
    Float64 where it meets one. With n = 3 the ranks are Float32(1/3), Float32(2/3), not the Float64 fractions:
    """)
let three = [0.3, 0.9, -0.1]
let threeOfficial = normalisedRank(three)
let threeExact = rank(three).map { Double($0) / 3 }
chapter.table(
    ["item", "rk", "Float64 rk/3", "official Float32(rk)/3", "difference"],
    three.indices.map { i in
        [
            "\(i)", "\(rank(three)[i])", "\(threeExact[i])", "\(threeOfficial[i])",
            (threeOfficial[i] - threeExact[i]).sci,
        ]
    })
chapter.check(
    "official ranks are Float32(rk)/Float32(n), not rk/n in Float64",
    threeOfficial == rank(three).map { Double(Float($0) / Float(3)) } && threeOfficial != threeExact,
    "max difference \(maxAbsDifference(threeOfficial, threeExact).sci) (the vectors allow 1e-6 relative)")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The authors' code, behaviour 2: ties go to the later index")
chapter.say(
    """
    rank is argsort(argsort(y)).flip: torch's CPU sort keeps equal items in index order for rows of at most 16
    items, and the flip then puts the later one first. The paper's rule (and this package's `paper`) is the
    earlier index. Above 16 items torch's order of ties is not determined, so no official vector has an exact
    tie in a longer list (margins and the perturbation y + λ·g included), and every tie-dependent one is flagged.
    """)
let tied = [1.0, 1, 0.5, 1]
let tiedPaper = rank(tied)
let tiedOfficial = normalisedRank(tied).map { Int(($0 * 4).rounded()) }
chapter.say("y = \(tied): paper rk = \(tiedPaper.listed), official rk = 4·rk_n = \(tiedOfficial.listed)")
chapter.check(
    "official ties: the later index ranks higher; paper: the earlier",
    tiedPaper == [1, 2, 4, 3] && tiedOfficial == [3, 2, 4, 1])

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("λ units: λ_code = λ_paper / n, and the +1e-8")
chapter.say(
    """
    The official backward perturbs normalised ranks: y' = y + λ_code·dL/d(rk/n), grad = −(rk/n − rk'/n)/(λ_code + 1e-8).
    Since dL/d(rk/n) = n·dL/drk, it is the paper's rule with λ_paper = n·λ_code, times λ_code/(λ_code + 1e-8).
    """)
let n = 16
// Untied scores: the conventions break ties in opposite orders (above), which would differ by whole ranks here.
let scores = (0..<n).map { _ in rng.nextGaussian() }
let upstream = (0..<n).map { _ in (rng.nextGaussian() * 16).rounded() / 16 }
var unitRows = [[String]]()
var worstUnits = 0.0
var worstUnitsRelative = 0.0
for lambdaPaper in [0.5, 2.0, 8.0] {
    let paper = rankBackward(scores: scores, upstream: upstream, lambda: lambdaPaper)
    let lambdaCode = codeLambda(fromPaper: lambdaPaper, length: n)
    let official = officialRankBackward(scores: scores, upstream: codeUpstream(fromPaper: upstream), lambda: lambdaCode)
    let gap = maxAbsDifference(paper, official)
    let largest = paper.map(abs).max() ?? 0
    let predicted = largest * 1e-8 / (lambdaCode + 1e-8)
    worstUnits = max(worstUnits, gap)
    worstUnitsRelative = max(worstUnitsRelative, gap / max(largest, .leastNormalMagnitude))
    unitRows.append([lambdaPaper.fixed(1), lambdaCode.fixed(5), largest.fixed(4), gap.sci, predicted.sci])
    // The code's backward runs in Float32: a few roundings of 2^-24 relative on top of the +1e-8 factor.
    chapter.check(
        "λ_paper = \(lambdaPaper): the gradients agree up to the +1e-8 factor and Float32 rounding",
        gap <= predicted + 3e-7 * largest, "max |Δ| \(gap.sci), predicted \(predicted.sci) + Float32")
}
chapter.table(
    ["λ_paper", "λ_code = λ/n", "max |grad|", "max |paper − official|", "max|grad|·1e-8/(λ_code+1e-8)"], unitRows)
differences.append(("λ units (+1e-8)", worstUnits, worstUnitsRelative))
let sameLambda = officialRankBackward(scores: scores, upstream: codeUpstream(fromPaper: upstream), lambda: 2)
let misread = maxAbsDifference(rankBackward(scores: scores, upstream: upstream, lambda: 2), sameLambda)
chapter.say("Passing λ = 2 to both without converting gives gradients that differ by up to \(misread.fixed(3)).")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Margin sign: negatives up, positives down")
let zeros = [0.0, 0.0, 0.0, 0.0]
let labels = [true, false, true, false]
let shifted = marginShifted(zeros, relevance: labels, alpha: 0.5)
chapter.say("marginShifted(0, relevance [1, 0, 1, 0], α = 0.5) = \(shifted)")
chapter.check(
    "positives move down by α/2, negatives up by α/2 (Eq. 14; recall.py: y − α·(rel − 0.5))",
    shifted == [-0.25, 0.25, -0.25, 0.25])
let apScores = [[0.625, 0.5, 0.0]]
let apRelevance = [[true, false, true]]
let withMargin = APLoss(lambda: 1, margin: 0.25).forward(scores: apScores, relevance: apRelevance)
// A flipped sign: positives up, negatives down (the margin applied as if the labels were swapped).
let wrongSign =
    1 - averagePrecision(
        scores: marginShifted(apScores[0], relevance: apRelevance[0].map { !$0 }, alpha: 0.25),
        relevance: apRelevance[0])!
chapter.say(
    """
    On scores [0.625, 0.5, 0] with relevance [1, 0, 1] and α = 0.25 the margin lifts the negative above the first
    positive: 1 − AP = \(withMargin.fixed(4)). A port with the sign flipped keeps the order: \(wrongSign.fixed(4)).
    Both conventions use the deterministic ±α/2 here; the vectors flagged margin-reorders catch a flipped sign.
    """)
chapter.check(
    "the margin reorders this list and the flipped sign does not", withMargin > wrongSign,
    "\(withMargin.fixed(4)) vs \(wrongSign.fixed(4))")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("RecallLoss: the row-count quirk and micro averaging")
chapter.say(
    """
    recall.py normalises ranks by the row length (columns) but "denormalises" r_i by the number of rows, so
    r_code = r · rows/columns. A 1×6 row whose positives have 2 negatives ahead each (mean r = 2), with ℓ = identity:
    """)
let quirkRow = [[6.0, 5, 4, 3, 2, 1]]
let quirkRelevance = [[false, false, true, true, false, false]]
let quirkPaper = RecallLoss(lambda: 1, weighting: .identity).forward(scores: quirkRow, relevance: quirkRelevance)
let quirkOfficial = OfficialRecallLoss(lambda: 1.0 / 6, weighting: .identity)
    .forward(scores: quirkRow, relevance: quirkRelevance)
chapter.say("paper \(quirkPaper.fixed(6)), official \(quirkOfficial.fixed(6)) = 2 · 1/6")
chapter.check(
    "1×6 list, mean r = 2: paper 2, official 1/3 (in Float32)",
    quirkPaper == 2 && abs(quirkOfficial - 1.0 / 3) < 1e-7,
    "|paper − official| = \((quirkPaper - quirkOfficial).fixed(4))")
differences.append(
    ("recall rows/cols", abs(quirkPaper - quirkOfficial), abs(quirkPaper - quirkOfficial) / abs(quirkPaper)))
var square = [[Double]]()
var squareRelevance = [[Bool]]()
for q in 0..<6 {
    square.append((0..<6).map { _ in rng.nextGaussian() })  // untied: the conventions order ties oppositely
    squareRelevance.append((0..<6).map { ($0 + q) % 3 == 0 })
}
let squarePaper = RecallLoss(lambda: 1, weighting: .identity).forward(scores: square, relevance: squareRelevance)
let squareOfficial = OfficialRecallLoss(lambda: 1.0 / 6, weighting: .identity)
    .forward(scores: square, relevance: squareRelevance)
chapter.check(
    "a square 6×6 input with two positives per row: the conventions agree",
    abs(squarePaper - squareOfficial) < 1e-6,
    "paper \(squarePaper.fixed(6)), official \(squareOfficial.fixed(6))")
chapter.say(
    """
    The code also averages over all positive (row, item) pairs (micro), the paper over rows (macro). They differ as
    soon as rows have different numbers of positives, even for square inputs:
    """)
let uneven = [[0.5, 1, 0], [2, 1.5, -1], [1, 0.25, 0.75]]
let unevenRelevance = [[true, false, false], [false, true, true], [false, true, false]]
let macro = RecallLoss(lambda: 1, weighting: .identity).forward(scores: uneven, relevance: unevenRelevance)
let micro = OfficialRecallLoss(lambda: 1.0 / 3, weighting: .identity)
    .forward(scores: uneven, relevance: unevenRelevance)
chapter.say("3×3, positives per row 1, 2, 1: paper (macro) \(macro.fixed(6)), official (micro) \(micro.fixed(6))")
chapter.check(
    "macro and micro averages differ when positives per row differ", abs(macro - micro) > 1e-3,
    "|Δ| = \(abs(macro - micro).fixed(4))")
differences.append(("recall averaging", abs(macro - micro), abs(macro - micro) / abs(macro)))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Recall memory: extra columns (paper) vs extra rows (official)")
chapter.say(
    """
    The paper appends stored scores to each ranked list. BatchMemoryRecallLoss concatenates stored score matrices
    as extra rows (queries): they never enter the current rankings, they only add constant terms and rows (which
    also scales r_i by 1 + stored rows/current rows). The same stored 4×4 block, read both ways:
    """)
let current = (0..<4).map { _ in (0..<4).map { _ in (rng.nextGaussian() * 64).rounded() / 64 } }
let currentRelevance = (0..<4).map { q in (0..<4).map { ($0 + q) % 2 == 0 } }
let stored = (0..<4).map { _ in (0..<4).map { _ in (rng.nextGaussian() * 64).rounded() / 64 } }
let storedRelevance = (0..<4).map { q in (0..<4).map { ($0 + q) % 2 == 1 } }
let batch = ScoreBatch(scores: stored, relevance: storedRelevance)
let memoryPaper = RecallLoss(lambda: 1).valueAndGradient(scores: current, relevance: currentRelevance, memory: [batch])
let memoryOfficial = OfficialRecallLoss(lambda: 0.25)
    .valueAndGradient(scores: current, relevance: currentRelevance, memory: [batch])
let noMemoryOfficial = OfficialRecallLoss(lambda: 0.25)
    .valueAndGradient(scores: current, relevance: currentRelevance)
chapter.table(
    ["", "loss"],
    [
        ["paper, memory as columns (4 rows × 8 items)", memoryPaper.loss.fixed(6)],
        ["official, memory as rows (8 rows × 4 items)", memoryOfficial.loss.fixed(6)],
        ["official, no memory", noMemoryOfficial.loss.fixed(6)],
    ])
chapter.check(
    "the two readings of memory give different losses", abs(memoryPaper.loss - memoryOfficial.loss) > 1e-3,
    "|Δ| = \(abs(memoryPaper.loss - memoryOfficial.loss).fixed(4))")
differences.append(
    (
        "recall memory", abs(memoryPaper.loss - memoryOfficial.loss),
        abs(memoryPaper.loss - memoryOfficial.loss) / abs(memoryPaper.loss)
    ))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("MapLoss: a random half-normal margin")
chapter.say(
    """
    mAP.py shifts each entry by −α·|ξ|·(t − 0.5), ξ ~ N(0, 1) drawn afresh per entry and call: the margin is random
    and its mean is α·E|ξ|/2 = α·√(2/π)/2 ≈ 0.399·α, not α/2. The reference fixes |ξ| ≡ 1 (the paper's margin) in
    both conventions, so its vectors are deterministic; a port of mAP.py must switch the noise off to check
    against them, and "off" means |ξ| = 1 (torch.ones_like in place of torch.randn_like), not ξ = 0.
    \(draws) draws of the shift of a negative, in units of α:
    """)
let alpha = 0.15
var shifts = [Double]()
shifts.reserveCapacity(draws)
for _ in 0..<draws {
    shifts.append(noisyMarginShifted([0], relevance: [false], alpha: alpha, using: &rng)[0] / alpha)
}
let meanShift = shifts.reduce(0, +) / Double(draws)
let sdShift = (shifts.reduce(0) { $0 + ($1 - meanShift) * ($1 - meanShift) } / Double(draws - 1)).squareRoot()
let expected = (2 / Double.pi).squareRoot() / 2
let standardError = sdShift / Double(draws).squareRoot()
chapter.say(
    "mean shift / α = \(meanShift.fixed(4)) ± \(standardError.fixed(4)), theory √(2/π)/2 = \(expected.fixed(4)); paper 0.5"
)
chapter.check(
    "the mean shift of the official margin is ≈ 0.399·α", abs(meanShift - expected) < 5 * standardError,
    "\(meanShift.fixed(4)) vs \(expected.fixed(4)), |Δ| = \(abs(meanShift - expected).sci)")
let mapScores = (0..<6).map { _ in (0..<3).map { _ in (rng.nextGaussian() * 8).rounded() / 32 } }
let mapTargets = (0..<6).map { b in (0..<3).map { (b + $0) % 3 == 0 } }
let mapLoss = MAPLoss(lambda: 0.5, margin: alpha, interclass: 1.0 / 3)
let deterministic = mapLoss.valueAndGradient(scores: mapScores, targets: mapTargets).loss
let lossDraws = chapter.quick ? 500 : 5000
var noisyLosses = [Double]()
for _ in 0..<lossDraws {
    noisyLosses.append(mapLoss.valueAndGradient(scores: mapScores, targets: mapTargets, using: &rng).loss)
}
let noisyMean = noisyLosses.reduce(0.0) { $0 + $1 / Double(lossDraws) }
chapter.say(
    "6×3 batch, α = \(alpha), β = 1/3: deterministic loss \(deterministic.fixed(4)), mean over \(lossDraws) noisy draws \(noisyMean.fixed(4))"
)
differences.append(
    ("mAP margin noise", abs(noisyMean - deterministic), abs(noisyMean - deterministic) / abs(deterministic)))
// Chapter 05 draws the shift itself (noisy-margin); here, what a port sees if it leaves the noise on: the loss of one
// fixed batch changes from call to call, and its mean is not the reference's value.
let lossLow = min(noisyLosses.min()!, deterministic)
let lossHigh = max(noisyLosses.max()!, deterministic)
let lossHistogram = Series.histogram(
    noisyLosses, bins: 40, range: lossLow...lossHigh, title: "noisy margin, one call each", ink: .category(1))
let tallestBin = lossHistogram.columns[1].max()!
chapter.plot(
    Figure(
        name: "noisy-map-loss",
        caption: """
            The official mAP loss of one fixed 6×3 batch over \(lossDraws) calls with its random margin on: the \
            value changes from call to call, and its mean (blue) is not the reference's deterministic value with \
            |ξ| ≡ 1 (black), which is what the vectors hold. A port must switch the noise off to match them.
            """,
        panel: Panel(
            title: "Official mAP loss of one batch, \(lossDraws) calls with the noisy margin", xLabel: "loss",
            yLabel: "calls per bin", yRange: 0...(1.6 * tallestBin),
            series: [
                lossHistogram,
                .lines(
                    x: [noisyMean, noisyMean], y: [0, 1.05 * tallestBin], title: "mean over calls",
                    ink: .category(0)),
                .lines(
                    x: [deterministic, deterministic], y: [0, 1.05 * tallestBin],
                    title: "reference, |ξ| ≡ 1", ink: .role(.reference)),
            ])))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("AP: #positives + 1e-5")
let apList = [[5.0, 4, 3, 2, 1]]
let apList01 = [[true, false, true, false, true]]
let apPaper = APLoss(lambda: 1).forward(scores: apList, relevance: apList01)
let apOfficial = OfficialAPLoss(lambda: 0.2).forward(scores: apList, relevance: apList01)
chapter.say("relevance [1, 0, 1, 0, 1]: paper 1 − AP = \(apPaper.fixed(8)) = 11/45, official \(apOfficial.fixed(8))")
chapter.check(
    "paper gives 11/45 exactly, official 0.2444470 (AP divided by #pos + 1e-5)",
    abs(apPaper - 11.0 / 45) < 1e-15 && abs(apOfficial - 0.244447) < 5e-7,
    "|Δ| = \(abs(apOfficial - apPaper).sci)")
differences.append(("AP epsilon", abs(apOfficial - apPaper), abs(apOfficial - apPaper) / abs(apPaper)))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The authors' code, behaviour 3: NaN without a positive")
chapter.say(
    """
    With no positive anywhere recall.py divides 0 by 0, and mAP.py takes the mean over no class: NaN. `official`
    answers NaN, written null in JSON (verify accepts null, NaN or "NaN" there); `paper` answers 0 with a zero
    gradient. mAP.py always computes both of its terms, so a batch without a positive is NaN even with β = 0
    (0 · NaN = NaN), and recall.py's NaN gradient perturbs every score to NaN, one big tie for torch's sort.
    """)
let none = [[0.5, 0.25, 1.0]]
let noneRelevance = [[false, false, false]]
let nanRecall = OfficialRecallLoss(lambda: 0.25).valueAndGradient(scores: none, relevance: noneRelevance)
let nanAP = OfficialAPLoss(lambda: 0.25).forward(scores: none, relevance: noneRelevance)
let memoryOnly = OfficialMAPLoss(lambda: 0.25).forward(
    scores: [[0.5], [0.25]], targets: [[false], [false]],
    memory: [ScoreBatch(scores: [[1.0]], relevance: [[true]])])
chapter.table(
    ["case", "paper", "official"],
    [
        [
            "recall loss, no positive", RecallLoss(lambda: 1).forward(scores: none, relevance: noneRelevance).fixed(1),
            "\(nanRecall.loss), grad \(nanRecall.gradient[0].fixed(3))",
        ],
        [
            "AP loss, no positive", APLoss(lambda: 1).forward(scores: none, relevance: noneRelevance).fixed(1),
            "\(nanAP)",
        ],
        [
            "mAP loss β = 0, positive only in memory",
            MAPLoss(lambda: 1).forward(
                scores: [[0.5], [0.25]], targets: [[false], [false]],
                memory: [ScoreBatch(scores: [[1.0]], relevance: [[true]])]
            ).fixed(4), "\(memoryOnly)",
        ],
    ])
chapter.check(
    "official gives NaN where the authors' code does",
    nanRecall.loss.isNaN && nanAP.isNaN && memoryOnly.isNaN)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The authors' code, behaviour 4: MapLoss(batch_memory=0) raises")
chapter.say(
    """
    MapLoss pops from its deque until fewer than batch_memory batches remain: with batch_memory = 0 it pops from
    an empty deque and raises IndexError. The reference's memory [] (τ = 0) is a fresh MapLoss(batch_memory=1):
    on its first call the deque is empty, so the loss is the memory-free one; from the second call on it would
    hold one batch. A case with memory [m1, …, mk] is MapLoss(batch_memory=k) called on m1, …, mk first.
    """)
let firstBatch = [[0.5, -0.25], [1, 0.75]]
let firstTargets = [[true, false], [false, true]]
let secondBatch = [[0.25, 0.5], [-0.5, 1]]
let secondTargets = [[false, true], [true, false]]
let officialMAP = OfficialMAPLoss(lambda: 0.25, interclass: 1.0 / 3)
var ring = ScoreMemory(capacity: 1)
let fresh = officialMAP.forward(scores: secondBatch, targets: secondTargets, memory: ring.batches)
ring.append(scores: firstBatch, relevance: firstTargets)
let afterOne = officialMAP.forward(scores: secondBatch, targets: secondTargets, memory: ring.batches)
let noMemory = officialMAP.forward(scores: secondBatch, targets: secondTargets)
chapter.say(
    "memory [] \(noMemory.fixed(6)); fresh batch_memory=1 \(fresh.fixed(6)); "
        + "after one stored batch \(afterOne.fixed(6))")
let explicit = officialMAP.forward(
    scores: secondBatch, targets: secondTargets,
    memory: [ScoreBatch(scores: firstBatch, relevance: firstTargets)])
chapter.check(
    "a stored batch lengthens the class lists: the ring's batch is the case's memory [m1]",
    afterOne == explicit && afterOne != noMemory && fresh == noMemory,
    "\(afterOne.fixed(6)) vs \(noMemory.fixed(6)) without memory")

chapter.table(
    ["difference", "|paper − official|", "relative to |paper|"],
    differences.map { [$0.name, $0.value.sci, $0.relative.sci] })
// Ranks differ in rank units, gradients and losses in their own: relative to the paper's value every case is a
// number without units, so all fit one log axis. The line is Float32's resolution: below it the conventions
// differ only by rounding.
let shownDifferences = differences.filter { $0.relative > 0 }
chapter.plot(
    Figure(
        name: "convention-differences",
        caption: """
            How far the paper's definitions and the authors' code are apart on each small case of this chapter, \
            relative to the paper's value so that ranks, gradients and losses share one axis: cases left of the \
            dashed line (Float32's resolution) differ only by rounding, the others by a convention a port must \
            pick.
            """,
        width: 900, height: 420,
        panel: Panel(
            title: "|paper − official| / |paper| on each small case", xLabel: "relative difference (log scale)",
            logX: true,
            xRange: min(
                1e-9, shownDifferences.map(\.relative).min()! / 3)...max(3, shownDifferences.map(\.relative).max()! * 3),
            yRange: -Double(shownDifferences.count)...0, key: .none,
            yTicks: shownDifferences.enumerated().map { (label: $0.element.name, at: -Double($0.offset) - 0.5) },
            series: [
                .points(
                    x: shownDifferences.map(\.relative), y: shownDifferences.indices.map { -Double($0) - 0.5 },
                    title: "case", ink: .category(0), pointSize: 1.4),
                .lines(
                    x: [0x1p-24, 0x1p-24], y: [-Double(shownDifferences.count), 0], title: "Float32 resolution 2^{-24}",
                    ink: .role(.theory), lineWidth: 1.5),
            ])),
    key: true)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The shipped vectors, checked in-process")
chapter.say(
    """
    Data/reference holds one file per op (`swift run rambo-reference generate --out Data/reference` rewrites them
    byte for byte). Here every test is answered by the library and compared the way `verify` compares a port:
    |answer − expected| ≤ atol + rtol·|expected| (paper: 0 for ranks, 1e-12 for the rest; official: 1e-6 relative
    and 1e-9 absolute, for its Float32 ranks); invalid inputs must give an error. The official vectors are also
    the authors' own answers: Tests/ReferenceTests/Fixtures/authors-official.json, frozen by `make oracle`.
    """)
chapter.check("the vector files load", !tests.isEmpty, "\(tests.count) tests from \(vectorsFolder.path)")
let answers = tests.map { Reference.answer(case: $0.caseValue) }
/// `verify` on in-memory results (they are always an object with a "results" list, so it cannot throw here).
func verify(_ answers: [JSONValue]) -> ReferenceVectors.Report? {
    try? ReferenceVectors.verify(tests, results: .object(["results": .array(answers)]))
}
guard let report = verify(answers) else { fatalError("verify rejected an in-memory results list") }
var opRows = [[String]]()
for op in ReferenceOp.allCases {
    let mine = tests.filter { $0.op == op }
    opRows.append([
        op.rawValue, "\(mine.filter { $0.convention == .paper }.count)",
        "\(mine.filter { $0.convention == .official }.count)", "\(mine.filter { !$0.valid }.count)",
    ])
}
chapter.table(["op", "paper", "official", "of which invalid"], opRows)
chapter.check(
    "every shipped vector passes", report.failed == 0 && report.passed == tests.count,
    report.summary + (report.lines.first.map { "; first: \($0)" } ?? ""))

chapter.say("Now a port with three typical mistakes:")
var planted = answers
// 1. A gradient entry off by 1e-9.
let gradIndex = tests.firstIndex {
    $0.op == .apLoss && $0.valid && ($0.expected["grad"]?.arrayValue?.first?.arrayValue?.count ?? 0) > 1
}!
var gradAnswer = planted[gradIndex].objectValue!
var rows = gradAnswer["grad"]!.arrayValue!
var row0 = rows[0].arrayValue!
row0[0] = .number(row0[0].doubleValue! + 1e-9)
rows[0] = .array(row0)
gradAnswer["grad"] = .array(rows)
planted[gradIndex] = .object(gradAnswer)
// 2. Ties broken towards the later index (as an unstable argsort may do) in every rank answer.
for (k, test) in tests.enumerated() where test.op == .rank && test.valid && test.convention == .paper {
    let s = test.inputs["scores"]!.arrayValue!.map { $0.doubleValue! }
    let later = s.indices.map { i in 1 + s.indices.filter { j in s[j] > s[i] || (s[j] == s[i] && j > i) }.count }
    planted[k] = .object(["id": .string(test.id), "ranks": .array(later.map(JSONValue.integer))])
}
// 3. No answer at all for the last map_at_r test.
let dropped = tests.lastIndex { $0.op == .mapAtR }!
planted.remove(at: dropped)
guard let plantedReport = verify(planted) else { fatalError("verify rejected an in-memory results list") }
for line in plantedReport.lines.prefix(4) { chapter.say("  " + line) }
if plantedReport.lines.count > 4 { chapter.say("  … \(plantedReport.lines.count - 4) more") }
chapter.say("  " + plantedReport.summary)
let tiedRankTests = tests.filter { $0.op == .rank && $0.convention == .paper && $0.valid && $0.flags.contains("ties") }
    .count
chapter.check(
    "verify catches the 1e-9 gradient error", plantedReport.lines.contains { $0.contains(tests[gradIndex].id) })
chapter.check(
    "verify catches the later-index tie rule on the tied rank vectors",
    plantedReport.lines.filter { $0.hasPrefix("FAIL rank ") }.count == tiedRankTests,
    "\(tiedRankTests) tied rank vectors fail")
chapter.check(
    "verify reports the missing answer",
    plantedReport.lines.contains { $0.contains(tests[dropped].id) && $0.contains("no answer") })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("The ecosystem, side by side")
chapter.say(
    """
    `make ecosystem` ran pytorch-metric-learning, scikit-learn, torchmetrics, SupRank's BlackBoxAPLoss (a published
    port of the authors' AP loss) and torch.sqrt on the reference's ops and froze their answers, with versions, in
    Tests/ReferenceTests/Fixtures/ecosystem.json. Each entry claims that the reference agrees with the library, or
    that it differs and names a reference case that gives the library's number. Here every claim is re-checked
    against the library in-process (docs/ecosystem.md says why each difference is there):
    """)
let ecosystemURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/ReferenceTests/Fixtures/ecosystem.json")
let ecosystem = (try? Data(contentsOf: ecosystemURL)).flatMap { try? JSONParser.parse(bytes: [UInt8]($0)) }
var ecosystemRows = [String: (agree: Int, differ: Int, smallest: String)]()
var brokenClaims = [String]()
for entry in ecosystem?["entries"]?.arrayValue ?? [] {
    let key = "\(entry["library"]?.stringValue ?? "?")|\(entry["op"]?.stringValue ?? "?")"
    let answer = entry["library_answer"] ?? .null
    let (rtol, atol) = (entry["rtol"]?.doubleValue ?? 0, entry["atol"]?.doubleValue ?? 0)
    let same = ReferenceVectors.referenceAnswers(entry["case"] ?? .null, with: answer, rtol: rtol, atol: atol)
    let explained =
        entry["explained_by"].map { ReferenceVectors.referenceAnswers($0, with: answer, rtol: rtol, atol: atol) }
        ?? true
    if same != (entry["agrees"] == .bool(true)) || !explained { brokenClaims.append(key) }
    var row = ecosystemRows[key] ?? (0, 0, "")
    if same {
        row.agree += 1
    } else {
        row.differ += 1
        if row.smallest.isEmpty, var inputs = entry["case"]?.objectValue,
            let field = answer["loss"] != nil ? "loss" : answer.objectValue?.keys.min()
        {
            inputs["id"] = .string("ecosystem")
            let ours = Reference.answer(case: .object(inputs))[field].map(JSONWriter.compact) ?? "?"
            let theirs = JSONWriter.compact(answer[field] ?? .null)
            let shown = ["scores", "relevance", "embeddings", "labels"].compactMap { name in
                inputs[name].map { "\(name) \(JSONWriter.compact($0))" }
            }.joined(separator: " ")
            let what = shown.count <= 40 ? shown : "docs/ecosystem.md"
            row.smallest = "\(what): \(field) \(theirs.prefix(10)) vs \(ours.prefix(10))"
        }
    }
    ecosystemRows[key] = row
}
chapter.table(
    ["library", "op", "agrees", "differs", "first difference: library vs ours"],
    ecosystemRows.keys.sorted().map { key in
        let parts = key.split(separator: "|").map(String.init)
        let row = ecosystemRows[key]!
        return [parts[0], parts[1], "\(row.agree)", "\(row.differ)", row.smallest.isEmpty ? "—" : row.smallest]
    })
let sqrtRecord = ecosystem?["sqrt"] ?? .null
chapter.say(
    """
    torch.sqrt (float64, CPU) was 1 ulp off the correctly rounded root on \(Int(sqrtRecord["differ"]?.doubleValue ?? 0)) of \(Int(sqrtRecord["inputs"]?.doubleValue ?? 0))
    inputs where it was frozen: cosines that tie in real arithmetic can order differently in a torch port.
    """)
chapter.check(
    "every claim of the ecosystem fixture holds", ecosystem != nil && !ecosystemRows.isEmpty && brokenClaims.isEmpty,
    ecosystem == nil
        ? "no fixture at \(ecosystemURL.path)" : "\(ecosystemRows.count) library ops; broken: \(brokenClaims)")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Checking your port")
chapter.say(
    """
    swift run rambo-reference cases --vectors Data/reference > cases.json      # the inputs, flags, no answers
    python3 driver.py my_port cases.json > results.json                      # {"results": [{"id", ...}]}
    swift run rambo-reference verify --vectors Data/reference --results results.json
    One line per failing test, then "N passed, M failed"; exit 0 only when all pass. `--op rank` and
    `--convention official` (on cases, eval and verify alike) work on a selection. Every op is defined in
    Data/reference/SPEC.md; the README beside this chapter has a Python driver that runs as printed.
    """)

chapter.finish()
