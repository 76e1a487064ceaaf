// Chapter 02 · Rank-based metrics
//
// The metrics RaMBO optimises (paper §3): recall@K, its refined form r̃@K, average precision, mAP, and the
// retrieval metrics Recall@K and MAP@R. Every one is a function of ranks only. Then the property that makes
// them hard to train on: they do not decompose over mini-batches (paper Fig. 2).
import Datasets
import Foundation
import Gnuplot
import Rambo
import Support
import Walkthrough

let chapter = Chapter(
    "ch02",
    flags: [
        .int(
            "batches", default: 400, quick: 60, in: 2...100_000,
            help: "sampled mini-batches per batch size (Fig. 2)")
    ])
var rng = SplitMix64(seed: chapter.seed)
let batchesPerSize = chapter.int("batches")

func close(_ a: Double?, _ b: Double, tolerance: Double = 1e-12) -> Bool { a.map { abs($0 - b) <= tolerance } ?? false }

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("One ranked list, by hand")
let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
let relevant = [true, false, true, false, false, true]
chapter.say(
    """
    scores    = \(scores)
    relevant  = \(relevant.map { $0 ? 1 : 0 })   (already in rank order: ranks 1…6)

    Average precision (Eqs. 3–5): at each positive, precision = (rank among positives) / (rank among all).
      positive at rank 1: 1/1;  at rank 3: 2/3;  at rank 6: 3/6   →   AP = (1 + 2/3 + 1/2)/3 = 13/18 ≈ 0.7222
    """)
let ap = averagePrecision(scores: scores, relevance: relevant)
chapter.check("AP = 13/18", close(ap, 13.0 / 18.0), "got \(ap.map { $0.fixed(6) } ?? "nil")")

chapter.say(
    """

    Recall@K of a single query (Eq. 7) asks only whether SOME positive is in the top K. The refined recall
    r̃@K (Eq. 16) asks it of every positive: the fraction of positives with fewer than K negatives ahead.
    Negatives ahead of each positive (Eq. 17): r = [0, 1, 3].
    """)
let ahead = negativesAhead(scores: scores, relevance: relevant)
chapter.check("negatives ahead r_i = [0, 1, 3]", ahead == [0, 1, 3], "got \(ahead.listed)")
var recallRows = [[String]]()
for k in [1, 2, 3, 4] {
    let hit = hitAtK(scores: scores, relevance: relevant, k: k)!
    let refined = refinedRecallAtK(scores: scores, relevance: relevant, k: k)!
    recallRows.append(["\(k)", hit ? "1" : "0", refined.fixed(3)])
}
chapter.table(["K", "r@K", "r̃@K"], recallRows)
chapter.check(
    "r̃@K = 1/3, 2/3, 2/3, 1 for K = 1…4",
    [1, 2, 3, 4].map {
        refinedRecallAtK(scores: scores, relevance: relevant, k: $0)!
    } == [1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0])
chapter.check(
    "r̃@K ≤ r@K for every K",
    (1...6).allSatisfy {
        refinedRecallAtK(scores: scores, relevance: relevant, k: $0)!
            <= (hitAtK(scores: scores, relevance: relevant, k: $0)! ? 1 : 0)
    })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Edge cases and mAP")
chapter.say(
    """
    A list with no positive has no AP (there is nothing to average); mAP (Eq. 6) averages over the lists that
    have one. A list whose items are all positive has AP = 1 whatever the scores.
    """)
let lists = [[0.9, 0.1, 0.5], [0.2, 0.4, 0.3], [0.7, 0.6, 0.8]]
let labels = [[true, false, false], [false, false, false], [true, true, true]]
let map = meanAveragePrecision(scores: lists, relevance: labels)
chapter.check("a list without positives has no AP", averagePrecision(scores: lists[1], relevance: labels[1]) == nil)
chapter.check("all positives give AP = 1", close(averagePrecision(scores: lists[2], relevance: labels[2]), 1))
chapter.check("mAP skips the list without positives: (1 + 1)/2 = 1", close(map, 1), "got \(map ?? .nan)")
chapter.check(
    "ties follow the rank rule: AP([1,1], rel [0,1]) = 1/2",
    close(averagePrecision(scores: [1, 1], relevance: [false, true]), 0.5))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Retrieval: Recall@K and MAP@R on an embedding")
chapter.say(
    """
    In retrieval every item is a query; the others, ranked by cosine similarity, are its answers, and the
    relevant answers share its class. Recall@K is the fraction of queries with a same-class item in the top K
    (the hit rate); MAP@R (Musgrave et al. 2020) looks at the top R, R = number of same-class items, and is far
    stricter. Six points on the unit circle, two classes:
    """)
let angles = [0.0, 0.3, 0.6, 3.0, 3.3, 1.5]  // class A, A, A, B, B, then a B point near class A
let circle = angles.map { [cos($0), sin($0)] }
let circleLabels = [0, 0, 0, 1, 1, 1]
let small = try! RetrievalRanking(embeddings: circle, labels: circleLabels)
let smallRecall = small.recallAtK([1, 2])!
chapter.say("angles = \(angles), labels = \(circleLabels.listed)")
chapter.say(
    "R@1 = \(smallRecall[1, default: .nan].fixed(4)), R@2 = \(smallRecall[2, default: .nan].fixed(4)), MAP@R = \(small.mapAtR()!.fixed(4))"
)
// Hand count: nearest neighbours — 0:1, 1:0|2 (0.3 each; tie → smaller index 0), 2:1, 3:4, 4:3, 5:2 (0.9 away).
// R@1 misses only query 5 → 5/6. Top 2 of 5 is [2, 1] (0.9, 1.2 away), both class A → R@2 = 5/6.
// MAP@R: class A queries: R = 2, top-2 all A → 1 each. Query 3: R = 2, top-2 = [4, 5]? distances 0.3, 1.5 → [4, 5]
// → 1. Query 4: top-2 = [3, 5]: 0.3, 1.8 vs 2.7 to item 2 → 1. Query 5: top-2 = [2, 1] → 0. MAP@R = 5/6.
chapter.check("R@1 = 5/6 and R@2 = 5/6 (hand count)", close(smallRecall[1], 5.0 / 6) && close(smallRecall[2], 5.0 / 6))
chapter.check("MAP@R = 5/6 (hand count)", close(small.mapAtR(), 5.0 / 6), "got \(small.mapAtR()!.fixed(6))")

chapter.say(
    "\nNow 3 Gaussian clusters in the plane (centres ~ N(0, I), spread 0.3; cosine similarity sees only their direction): Recall@K grows with K, MAP@R stays lower."
)
let toy = Toy.gaussianClusters(
    classes: 3, perClass: chapter.quick ? 40 : 200, dimensions: 2, spread: 0.3,
    seed: chapter.seed)
let points = toy.points
let pointLabels = toy.labels
let clusters = try! RetrievalRanking(embeddings: points, labels: pointLabels)
let recall = clusters.recallAtK([1, 2, 4, 8])!
let mapR = clusters.mapAtR()!
chapter.table(
    ["metric", "value"],
    [1, 2, 4, 8].map { ["R@\($0)", recall[$0, default: .nan].fixed(4)] } + [["MAP@R", mapR.fixed(4)]])
for k in [1, 2, 4, 8] { chapter.metric("clusters-2d", "raw", "R@\(k)", recall[k, default: .nan]) }
chapter.metric("clusters-2d", "raw", "MAP@R", mapR)
chapter.check(
    "Recall@K is non-decreasing in K",
    recall[1, default: .nan] <= recall[2, default: .nan] && recall[2, default: .nan] <= recall[4, default: .nan]
        && recall[4, default: .nan] <= recall[8, default: .nan])
chapter.check("MAP@R ≤ R@1 here (it asks for all R relevant items, not one)", mapR <= recall[1, default: .nan])
// Cosine similarity sees only directions: the right panel draws each point's direction θ = atan2(y, x), which is
// all the retrieval metrics above use; the left panel shows the plane with the unit circle for reference.
/// The plane's view: the points and the unit circle, with a little room.
func planeRange(_ axis: Int) -> ClosedRange<Double> {
    let values = points.map { $0[axis] }
    return min(-1.2, values.min()! - 0.3)...max(1.2, values.max()! + 0.3)
}
let circleAngles = stride(from: 0.0, through: 2 * Double.pi + 1e-9, by: Double.pi / 90).map { $0 }
let angleDegrees = points.map { atan2($0[1], $0[0]) * 180 / Double.pi }
// The queries whose nearest neighbour by cosine is of another class: exactly the R@1 misses.
let misses = pointLabels.indices.filter { pointLabels[clusters.neighbours[$0][0]] != pointLabels[$0] }
chapter.plot(
    Figure(
        name: "clusters",
        caption: """
            Cosine similarity sees only each point's direction. The ringed points are the \(misses.count) queries \
            whose nearest neighbour by cosine has another class, the R@1 misses (R@1 = \
            \(recall[1, default: .nan].fixed(3))): they sit where two classes point the same way, which the right \
            panel shows as overlapping direction histograms, however far apart the points are in the plane.
            """,
        title: "3 classes in the plane: R@1 \(recall[1, default: .nan].fixed(3)), MAP@R \(mapR.fixed(3))",
        width: 1000, height: 480, columns: 2,
        panels: [
            Panel(
                title: "points; ringed: nearest neighbour of another class", xLabel: "x", yLabel: "y",
                xRange: planeRange(0), yRange: planeRange(1), key: .none,
                square: true,
                series: [
                    .lines(
                        x: circleAngles.map(cos), y: circleAngles.map(sin), title: "unit circle",
                        ink: .role(.reference), lineWidth: 1, dash: 2)
                ]
                    + (0..<3).map { c in
                        let idx = pointLabels.indices.filter { pointLabels[$0] == c }
                        return .points(
                            x: idx.map { points[$0][0] }, y: idx.map { points[$0][1] }, title: "class \(c)",
                            ink: .category(c), pointSize: 0.8)
                    }
                    + [
                        .points(
                            x: misses.map { points[$0][0] }, y: misses.map { points[$0][1] },
                            title: "R@1 miss", ink: .role(.reference), pointType: 6, pointSize: 1.6)
                    ]),
            Panel(
                title: "directions θ = atan2(y, x): all that cosine sees", xLabel: "θ (degrees)",
                yLabel: "points per 5° bin",
                xRange: max(-180, angleDegrees.min()! - 15)...min(180, angleDegrees.max()! + 15),
                series: (0..<3).map { c in
                    .histogram(
                        pointLabels.indices.filter { pointLabels[$0] == c }.map { angleDegrees[$0] }, bins: 72,
                        range: -180...180, title: "class \(c)", ink: .category(c), opacity: 0.6)
                }),
        ]))

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Non-decomposability: the mini-batch estimate of mAP is biased (paper Fig. 2)")
let items = chapter.quick ? 1000 : 2000
let classes = 5
chapter.say(
    """
    A loss that is a sum over items can be estimated without bias from a random mini-batch. mAP is not: the
    AP of a small batch is not, on average, the AP of the dataset. Dataset: \(classes) classes, \(items) items, 10 %
    positives per class, positive scores ~ N(1, 1), negative scores ~ N(0, 1). For each batch size, sample
    batches without replacement and average their mAP (lists with no positive in the batch are skipped).
    """)
var classScores = [[Double]]()
var classRelevance = [[Bool]]()
for _ in 0..<classes {
    let rel = (0..<items).map { _ in rng.nextUnit() < 0.1 }
    classRelevance.append(rel)
    classScores.append(rel.map { ($0 ? 1.0 : 0.0) + rng.nextGaussian() })
}
let datasetMAP = meanAveragePrecision(scores: classScores, relevance: classRelevance)!
chapter.say("dataset mAP = \(datasetMAP.fixed(4))")
let batchSizes = [4, 8, 16, 32, 64, 128, 256, 512].filter { $0 < items }
var means = [Double]()
var sds = [Double]()
var figRows = [[String]]()
for b in batchSizes {
    var estimates = [Double]()
    for _ in 0..<batchesPerSize {
        var pool = Array(0..<items)
        for i in 0..<b { pool.swapAt(i, Int.random(in: i..<items, using: &rng)) }  // partial Fisher–Yates
        let batch = Array(pool.prefix(b))
        if let m = meanAveragePrecision(
            scores: classScores.map { s in batch.map { s[$0] } },
            relevance: classRelevance.map { r in batch.map { r[$0] } })
        {
            estimates.append(m)
        }
    }
    let mean = estimates.reduce(0, +) / Double(estimates.count)
    let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(estimates.count - 1)).squareRoot()
    means.append(mean)
    sds.append(sd)
    figRows.append(["\(b)", mean.fixed(4), sd.fixed(4), (mean - datasetMAP).fixed(4)])
}
chapter.table(["batch", "E[batch mAP]", "sd", "bias"], figRows)
let biases = means.map { $0 - datasetMAP }
chapter.check(
    "small batches over-estimate mAP", biases[0] > 3 * sds[0] / Double(batchesPerSize).squareRoot(),
    "bias \(biases[0].fixed(4)) at batch \(batchSizes[0])")
chapter.check(
    "the bias shrinks as batches grow", abs(biases.last!) < biases[0] / 3,
    "\(biases[0].fixed(4)) at \(batchSizes[0]) → \(biases.last!.fixed(4)) at \(batchSizes.last!)")
chapter.metric("toy-scores", "dataset", "mAP", datasetMAP)
let xs = batchSizes.map(Double.init)
chapter.plot(
    Figure(
        name: "minibatch-map-bias",
        caption: """
            The mean mAP of random mini-batches (points) sits above the mAP of the whole dataset (black line) and \
            comes down to it only as batches grow: mAP is not decomposable, so a small batch's mAP is a biased \
            estimate (paper Fig. 2). The band is ±1 sd of single batches.
            """,
        panel: Panel(
            title: "Mini-batch estimate of mAP vs batch size", xLabel: "batch size", yLabel: "mAP", logX: true,
            probability: .y,
            series: [
                .band(
                    x: xs, low: zip(means, sds).map { max(0, $0 - $1) }, high: zip(means, sds).map { min(1, $0 + $1) },
                    title: "batch mAP ± 1 sd", ink: .category(0)),
                .linesPoints(x: xs, y: means, title: "E[batch mAP]", ink: .category(0)),
                .constant(datasetMAP, title: "dataset mAP", ink: .role(.reference)),
            ])), key: true)
chapter.say("This bias is what the score memory of chapter 06 reduces: it lengthens the lists the loss ranks.")

chapter.finish()
