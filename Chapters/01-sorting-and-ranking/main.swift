// Chapter 01 · Sorting and ranking
//
// The whole method rests on one function: rk(y), the ranks of a score vector. This chapter builds it from
// sorting, pins down the conventions (1-based, descending, stable ties), shows that ranking is a linear
// combinatorial problem, argmin over permutations of ⟨y, π⟩ (paper Prop. 1), and that it is piecewise
// constant, which is why it has no useful gradient and why chapter 03 needs the blackbox trick.
import Foundation
import Gnuplot
import Rambo
import Support
import Walkthrough

let chapter = Chapter(
    "ch01",
    flags: [
        .int(
            "trials", default: 200, quick: 20, in: 1...100_000,
            help: "random inputs per size in the brute-force check")
    ])
var rng = SplitMix64(seed: chapter.seed)
let trials = chapter.int("trials")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("argsort and rank are inverse permutations")
chapter.say(
    """
    argsort answers "which item is at position k?"; rank answers "at which position is item i?".
    Ranks here are 1-based and descending: rank 1 is the highest score.
    """)
let y = [0.3, 0.9, -0.1, 0.5]
let order = argsortDescending(y)
let ranks = rank(y)
chapter.say("y                  = \(y)")
chapter.say("argsortDescending  = \(order.listed)   (item 1 is first, then item 3, ...)")
chapter.say("rank               = \(ranks.listed)   (item 0 is third, item 1 first, ...)")
chapter.check("rank(y) = [3, 1, 4, 2] for y = [0.3, 0.9, −0.1, 0.5]", ranks == [3, 1, 4, 2], "got \(ranks.listed)")
chapter.check(
    "rank[argsort[k]] = k + 1 for every k",
    order.indices.allSatisfy { ranks[order[$0]] == $0 + 1 })

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Ties: the stable rule")
chapter.say(
    """
    Equal scores need a rule, or two runs (and two ports) disagree. Ours: among equal scores the earlier index
    ranks higher, rk(y)_i = 1 + #{j : y_j > y_i} + #{j < i : y_j = y_i}. The paper's Eq. 2 would give tied
    items the same rank, which is not a permutation; the authors' code leaves the order to torch.argsort.
    """)
let tied = [1.0, 2.0, 1.0, 2.0, 0.0]
chapter.say("rank(\(tied)) = \(rank(tied).listed)")
chapter.check("ties go to the earlier index", rank(tied) == [3, 1, 4, 2, 5], "got \(rank(tied).listed)")
chapter.check("−0.0 and +0.0 tie", rank([-0.0, 0.0]) == [1, 2] && rank([0.0, -0.0]) == [1, 2])
var agreeing = 0
for _ in 0..<1000 {
    let n = Int.random(in: 1...12, using: &rng)
    let v = (0..<n).map { _ in Double(Int.random(in: 0...3, using: &rng)) }  // few values: many ties
    if rank(v) == rankByCounting(v) { agreeing += 1 }
}
chapter.check(
    "sorting agrees with the counting definition on 1000 heavily tied lists", agreeing == 1000,
    "\(agreeing) of 1000")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Ranking is argmin over permutations of ⟨y, π⟩ (paper Prop. 1)")
chapter.say(
    """
    rk(y) = argmin_{π ∈ Π_n} Σ_i y_i·π(i): put the smallest rank on the largest score (rearrangement inequality).
    This is what makes ranking a "blackbox solver" with a linear cost, the form the ICLR paper differentiates.
    Brute force over all n! permutations, \(trials) random inputs for each n ≤ 7:
    """)

/// Every permutation of 1...n (Heap's algorithm).
func permutations(_ n: Int) -> [[Int]] {
    var a = Array(1...n)
    var result = [[Int]]()
    var c = [Int](repeating: 0, count: n)
    result.append(a)
    var i = 0
    while i < n {
        if c[i] < i {
            a.swapAt(i % 2 == 0 ? 0 : c[i], i)
            result.append(a)
            c[i] += 1
            i = 0
        } else {
            c[i] = 0
            i += 1
        }
    }
    return result
}

func cost(_ y: [Double], _ pi: [Int]) -> Double { zip(y, pi).reduce(0) { $0 + $1.0 * Double($1.1) } }

var rows = [[String]]()
var allArgmin = true
for n in 1...7 {
    let perms = permutations(n)
    var unique = 0
    var tiedOK = 0
    for t in 0..<trials {
        // Half the inputs continuous (a unique minimiser), half drawn from 3 values (ties: several minimisers).
        let v = (0..<n).map { _ in t % 2 == 0 ? rng.nextGaussian() : Double(Int.random(in: 0...2, using: &rng)) }
        let best = perms.min { cost(v, $0) < cost(v, $1) }!
        let r = rank(v)
        if t % 2 == 0 {
            unique += (r == best) ? 1 : 0
        }
        // With ties the minimiser is not unique; our rank must still reach the minimal cost.
        else {
            tiedOK += abs(cost(v, r) - cost(v, best)) <= 1e-12 ? 1 : 0
        }
    }
    let half = (trials + 1) / 2
    allArgmin = allArgmin && unique == half && tiedOK == trials - half
    rows.append(["\(n)", "\(perms.count)", "\(unique)/\(half)", "\(tiedOK)/\(trials - half)"])
}
chapter.table(["n", "n!", "rank = argmin (distinct)", "rank attains min (ties)"], rows)
chapter.check("rank = argmin_π ⟨y, π⟩ for every n ≤ 7", allArgmin)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Ranks see only the order: invariance to increasing maps")
let z = (0..<50).map { _ in rng.nextGaussian() }
let transforms: [(String, (Double) -> Double)] = [
    ("3y + 1", { 3 * $0 + 1 }), ("exp(y)", { exp($0) }),
    ("y³", { $0 * $0 * $0 }), ("atan(y)", { atan($0) }),
]
for (name, f) in transforms {
    chapter.check("rank(\(name)) = rank(y) on 50 random scores", rank(z.map(f)) == rank(z))
}
chapter.say("So any loss of ranks is scale-invariant: chapter 05's margin is what breaks that invariance.")

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("Rank is piecewise constant")
chapter.say(
    """
    Sweep the score of item 0 while the others stay fixed. Its rank jumps by one exactly where it passes another
    score and is flat everywhere else: the derivative is zero almost everywhere and undefined at the jumps.
    """)
let others = [-1.2, -0.4, 0.1, 0.7, 1.5]
let sweep = stride(from: -2.0, through: 2.0, by: chapter.quick ? 0.01 : 0.001).map { $0 }
let rankOfSwept = sweep.map { s in Double(rank([s] + others)[0]) }
let rankOfThird = sweep.map { s in Double(rank([s] + others)[3]) }
var jumps = [Double]()
for k in 1..<sweep.count where rankOfSwept[k] != rankOfSwept[k - 1] { jumps.append(sweep[k]) }
chapter.say("others = \(others); rank of item 0 jumps at s ≈ \(jumps.fixed(3))")
chapter.check(
    "one jump per other score, each within a sweep step of it",
    jumps.count == others.count
        && zip(jumps, others.sorted()).allSatisfy { abs($0 - $1) <= (sweep[1] - sweep[0]) + 1e-12 })
chapter.check(
    "the rank is flat between jumps (zero finite differences away from them)",
    Set(rankOfSwept).count == others.count + 1)
chapter.plot(
    Figure(
        name: "rank-sweep",
        caption: """
            Item 0's rank (blue) jumps by one each time its score passes another item's score and is flat in             between: rank is piecewise constant, so its derivative is zero almost everywhere. The dashed line is             item 3, whose score stays at 0.1: when item 0 passes it, item 3 drops one place, so moving one score             changes the ranks of others too.
            """,
        panel: Panel(
            title: "Rank of item 0 as its score sweeps (others fixed)", xLabel: "score of item 0",
            yLabel: "rank (1 = highest score)", yRange: 0.5...6.5, key: .topRight,
            annotations: [
                Annotation(
                    "item 0 passes item 3", x: others[2] + 0.08, y: 4.6, alternatives: [(x: others[2] + 0.08, y: 2.4)])
            ],
            series: [
                .steps(x: sweep, y: rankOfSwept, title: "rk(y)_0, the swept item", ink: .category(0)),
                .lines(
                    x: sweep, y: rankOfThird, title: "rk(y)_3, fixed score 0.1", ink: .category(1), dash: 2),
                .lines(x: [others[2], others[2]], y: [0.5, 6.5], ink: .role(.reference), lineWidth: 1, dash: 3),
            ]
        )), key: true)

// ─────────────────────────────────────────────────────────────────────────────────────────────────────────
chapter.section("A 2-D slice of a rank-based loss landscape")
chapter.say(
    """
    Take a list of 8 scores with 3 relevant items and the loss 1 − AP. Move the scores in a random 2-D plane,
    y = y₀ + s·d₁ + t·d₂. The landscape is a patchwork of flat plateaus: this is what paper Fig. 1 interpolates.
    """)
let y0 = (0..<8).map { _ in 0.3 * rng.nextGaussian() }
let relevant = [true, false, true, false, false, true, false, false]
let d1 = (0..<8).map { _ in rng.nextGaussian() }
let d2 = (0..<8).map { _ in rng.nextGaussian() }
let grid = chapter.quick ? 61 : 241
let axis = (0..<grid).map { -1.0 + 2.0 * Double($0) / Double(grid - 1) }
let landscape = axis.map { t in
    axis.map { s in
        1 - averagePrecision(scores: (0..<8).map { y0[$0] + s * d1[$0] + t * d2[$0] }, relevance: relevant)!
    }
}
let values = Set(landscape.flatMap { $0 })
var flatCells = 0
for r in 0..<(grid - 1) {
    for c in 0..<(grid - 1) where landscape[r][c] == landscape[r][c + 1] && landscape[r][c] == landscape[r + 1][c] {
        flatCells += 1
    }
}
let flatShare = Double(flatCells) / Double((grid - 1) * (grid - 1))
chapter.say(
    "\(values.count) distinct loss values on a \(grid)×\(grid) grid; \((100 * flatShare).fixed(1)) % of cells are flat")
chapter.check("the loss takes finitely many values", values.count <= 3 * 4 * 5 * 6 * 7 * 8)
chapter.check("most grid cells are flat (zero gradient)", flatShare > 0.7, "\((100 * flatShare).fixed(1)) %")
chapter.plot(
    Figure(
        name: "loss-landscape",
        caption: """
            1 − AP over a random 2-D slice of the 8 scores is a patchwork of flat cells, each one colour, separated             by sharp walls: inside a cell the loss has no slope to follow, which is why a rank loss needs the             blackbox gradient of chapter 03.
            """,
        width: 700, height: 600,
        panel: Panel(
            title: "1 − AP on a 2-D slice of score space", xLabel: "s (along d₁)", yLabel: "t (along d₂)",
            key: .none, grid: false, square: true, colorLabel: "1 − AP",
            series: [.heatMap(x: axis, y: axis, values: landscape)])))

chapter.finish()
