/*:
 RaMBO optimises metrics of ranks (paper §3): recall@K, its refined form r̃@K, average precision (AP), mAP, and the
 retrieval metrics Recall@K and MAP@R. This chapter computes each one by hand on a list small enough to check, then
 shows the property that makes them hard to train on: they do not decompose over mini-batches (paper Fig. 2).

 ```sh
 swift run -c release ch02 [--quick] [--batches N] [--seed N] [--ascii]
 ```

 The set-up: the chapter with its one flag (`--batches`, the mini-batches sampled per batch size in §6) and a
 seeded generator.
 */
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

/*:
 One ranked list of six items, three of them relevant, already in rank order. Average precision (paper Eqs. 3–5)
 is the mean, over the positives, of the precision at each one:

 $$\text{Prec}(i) = \frac{\operatorname{rk}^+(y)_i}{\operatorname{rk}(y)_i}, \qquad
 \text{AP} = \frac{1}{3}\Big(\frac{1}{1} + \frac{2}{3} + \frac{3}{6}\Big) = \frac{13}{18} \approx 0.7222,$$

 where $\operatorname{rk}^+$ is the rank among the positives only. Recall@K of one query (Eq. 7), r@K, asks only
 whether *some* positive is in the top $K$. The refined recall r̃@K (Eq. 16) asks it of every positive: the
 fraction of positives with fewer than $K$ negatives ahead, counting $r_i$, the negatives ahead of positive $i$
 (Eq. 17). Here $r = [0, 1, 3]$.
 */
chapter.cell("One ranked list, by hand")
let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
let relevant = [true, false, true, false, false, true]
chapter.say("scores    = \(scores)")
chapter.say("relevant  = \(relevant.map { $0 ? 1 : 0 })   (already in rank order: ranks 1…6)")
let ap = averagePrecision(scores: scores, relevance: relevant)
chapter.check("AP = 13/18", isClose(ap, 13.0 / 18.0), "got \(ap.map { $0.fixed(6) } ?? "nil")")
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

/*:
 A list with no positive has no AP: there is nothing to average. mAP (paper Eq. 6) averages AP over the lists that
 have a positive. A list whose items are all positive has AP = 1 whatever its scores, and tied scores follow the
 rank rule of chapter 01 (the earlier index ranks higher).
 */
chapter.cell("Edge cases and mAP")
let lists = [[0.9, 0.1, 0.5], [0.2, 0.4, 0.3], [0.7, 0.6, 0.8]]
let labels = [[true, false, false], [false, false, false], [true, true, true]]
let map = meanAveragePrecision(scores: lists, relevance: labels)
chapter.check("a list without positives has no AP", averagePrecision(scores: lists[1], relevance: labels[1]) == nil)
chapter.check("all positives give AP = 1", isClose(averagePrecision(scores: lists[2], relevance: labels[2]), 1))
chapter.check("mAP skips the list without positives: (1 + 1)/2 = 1", isClose(map, 1), "got \(map ?? .nan)")
chapter.check(
    "ties follow the rank rule: AP([1,1], rel [0,1]) = 1/2",
    isClose(averagePrecision(scores: [1, 1], relevance: [false, true]), 0.5))

/*:
 In retrieval every item is a query; the others, ranked by cosine similarity, are its answers, and the relevant
 answers share its class. Recall@K is the fraction of queries with a same-class item among their $K$ nearest
 neighbours (a hit rate). MAP@R (Musgrave et al. 2020) looks at the top $R$, $R$ the number of same-class items,
 and is far stricter.

 Six points on the unit circle at angles 0, 0.3, 0.6 (class A) and 3.0, 3.3, 1.5 (class B; the last sits near
 class A). By hand: every query's nearest neighbour shares its class except query 5, whose nearest is item 2, so
 R@1 = 5/6; query 5's two nearest, items 2 and 1, are both class A, so R@2 = 5/6 too. For MAP@R every query has
 $R = 2$: queries 0–4 find both their classmates first (1 each), query 5 finds none (0), so MAP@R = 5/6.
 */
chapter.cell("Recall@K and MAP@R by hand")
let angles = [0.0, 0.3, 0.6, 3.0, 3.3, 1.5]  // class A, A, A, B, B, then a B point near class A
let circle = angles.map { [cos($0), sin($0)] }
let circleLabels = [0, 0, 0, 1, 1, 1]
let small = try! RetrievalRanking(embeddings: circle, labels: circleLabels)
let smallRecall = small.recallAtK([1, 2])!
chapter.say("angles = \(angles), labels = \(circleLabels.listed)")
chapter.say(
    "R@1 = \(smallRecall[1, default: .nan].fixed(4)), R@2 = \(smallRecall[2, default: .nan].fixed(4)), MAP@R = \(small.mapAtR()!.fixed(4))"
)
chapter.check(
    "R@1 = 5/6 and R@2 = 5/6 (hand count)", isClose(smallRecall[1], 5.0 / 6) && isClose(smallRecall[2], 5.0 / 6))
chapter.check("MAP@R = 5/6 (hand count)", isClose(small.mapAtR(), 5.0 / 6), "got \(small.mapAtR()!.fixed(6))")

/*:
 Now three Gaussian clusters in the plane (centres drawn from $N(0, I)$, spread 0.3). Cosine similarity sees only
 each point's direction: classes whose directions overlap are what lowers R@1 and MAP@R. Recall@K grows with $K$;
 MAP@R stays lower.
 */
chapter.cell("Recall@K and MAP@R on three clusters")
let toy = Toy.gaussianClusters(
    classes: 3, perClass: chapter.quick ? 40 : 200, dimensions: 2, spread: 0.3,
    seed: chapter.seed)
let points = toy.points
let pointLabels = toy.labels
guard let clusters = try? RetrievalRanking(embeddings: points, labels: pointLabels),
    let recall = clusters.recallAtK([1, 2, 4, 8]), let mapR = clusters.mapAtR()
else {
    chapter.check("the clusters can be ranked (no zero-length point)", false)
    chapter.finish()
}
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

/*:
 Where do the misses come from? The figure rings every query whose nearest neighbour by cosine has another class.
 The right panel draws each point's direction $\theta = \operatorname{atan2}(y, x)$, all that the metrics above
 use; the left panel shows the plane with the unit circle for reference.
 */
chapter.cell("What cosine similarity sees")
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

/*:
 A loss that is a sum over items can be estimated without bias from a random mini-batch. mAP cannot: the AP of a
 small batch is not, on average, the AP of the dataset. To see it, a dataset of scores: 5 classes, each item
 relevant to a class with probability 10 %, positive scores drawn from $N(1, 1)$ and negative ones from $N(0, 1)$.
 This cell draws it and computes the dataset's mAP, the value every batch size should aim at.
 */
chapter.cell("A dataset of scores")
let items = chapter.quick ? 1000 : 2000
let classes = 5
var classScores = [[Double]]()
var classRelevance = [[Bool]]()
for _ in 0..<classes {
    let rel = (0..<items).map { _ in rng.nextUnit() < 0.1 }
    classRelevance.append(rel)
    classScores.append(rel.map { ($0 ? 1.0 : 0.0) + rng.nextGaussian() })
}
guard let datasetMAP = meanAveragePrecision(scores: classScores, relevance: classRelevance) else {
    chapter.check("the dataset has a positive", false)
    chapter.finish()
}
chapter.say("\(classes) classes, \(items) items; dataset mAP = \(datasetMAP.fixed(4))")
chapter.metric("toy-scores", "dataset", "mAP", datasetMAP)

/*:
 For each batch size, sample `--batches` batches without replacement and average their mAP (a class with no
 positive in the batch is skipped, as mAP does). Small batches over-estimate mAP by far more than the noise of the
 estimate; the bias fades as the batches grow (the figure, the paper's Fig. 2). This bias is the first problem,
 (P1), that RaMBO's score memory (chapter 06) addresses: it lengthens the lists the loss ranks.
 */
chapter.cell("The mini-batch estimate of mAP is biased")
let batchSizes = [4, 8, 16, 32, 64, 128, 256, 512].filter { $0 < items }
var means = [Double]()
var sds = [Double]()
var figRows = [[String]]()
let progress = chapter.progress("sampling mini-batches", total: batchSizes.count * batchesPerSize, unit: "batches")
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
        progress.tick()
    }
    means.append(mean(estimates))
    sds.append(standardDeviation(estimates))
    figRows.append(["\(b)", means.last!.fixed(4), sds.last!.fixed(4), (means.last! - datasetMAP).fixed(4)])
}
progress.finish()
chapter.table(["batch", "E[batch mAP]", "sd", "bias"], figRows)
let biases = means.map { $0 - datasetMAP }
let overEstimates = biases[0] > 3 * sds[0] / Double(batchesPerSize).squareRoot()
let shrinks = abs(biases.last!) < biases[0] / 3
chapter.check("small batches over-estimate mAP", overEstimates, "bias \(biases[0].fixed(4)) at batch \(batchSizes[0])")
chapter.check(
    "the bias shrinks as batches grow", shrinks,
    "\(biases[0].fixed(4)) at \(batchSizes[0]) → \(biases.last!.fixed(4)) at \(batchSizes.last!)")
chapter.claim(
    "Fig. 2: the expected mini-batch mAP over-estimates the dataset's mAP, most strongly for small batches",
    found: "bias \(biases[0].fixed(3)) at batch \(batchSizes[0]), \(biases.last!.fixed(3)) at \(batchSizes.last!)",
    verdict: overEstimates && shrinks ? .agrees : .differs)
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

chapter.finish()

/*:
 ## Takeaways

 - Every metric here is a function of ranks only: AP averages the precision at each positive, recall@K asks for a
   positive in the top $K$, and the refined r̃@K asks it of every positive, so r̃@K ≤ r@K.
 - mAP averages AP over the lists that have a positive; a list without one has no AP at all.
 - In retrieval, Recall@K is a hit rate over queries, while MAP@R asks for all $R$ same-class items at the top:
   it is the stricter of the two.
 - mAP is not decomposable: the mean mAP of small mini-batches over-estimates the dataset's mAP (paper Fig. 2).
   That bias is what the score memory of chapter 06 reduces.

 ## Try this

 Run: swift run -c release ch02 --batches 2000
 Five times the batches per size: is the small-batch bias real, or noise of the estimate?
 Answer: Real. The bias at batch 4 stays about the same while the noise of its estimate (sd divided by the square
 root of the batches) shrinks by $\sqrt{5}$, so the check "small batches over-estimate mAP", which asks for a bias
 of more than three such standard errors, passes with an even wider margin.
 Expect: ✓ small batches over-estimate mAP
 Expect: ✓ the bias shrinks as batches grow

 Run: swift run -c release ch02 --seed 3 --ascii
 Another dataset of scores: does the bias still shrink as the batches grow?
 Answer: Yes. The numbers move with the seed, but the table's bias column falls from its largest value at batch 4
 to near zero at the largest batch, and the ASCII preview of the figure shows the curve meeting the dataset line.
 Expect: ✓ the bias shrinks as batches grow
 Expect: /dataset mAP = 0\.\d{4}/

 ## Appendix: The library behind this chapter

 `averagePrecision`, `meanAveragePrecision`, `negativesAhead`, `hitAtK`, `refinedRecallAtK` and
 `precisionRecallCurve` are in `Sources/Rambo/Metrics.swift`; `RetrievalRanking` (Recall@K and MAP@R over cosine
 similarity, the query excluded) is in `Sources/Rambo/RetrievalMetrics.swift`.
 */
