// The cases of the shipped vectors, op by op: hand-picked edge cases first, then seeded random draws.
import Rambo
import RamboReference
import Support

/// Short names for building inputs.
private func v(_ x: [Double]) -> JSONValue { JSONValue(x) }
private func m(_ x: [[Double]]) -> JSONValue { JSONValue(x) }
private func n(_ x: Double) -> JSONValue { .number(x) }
/// Whole numbers (0/1 relevance, labels, k) written as JSON integers.
private func i(_ x: [Double]) -> JSONValue { .array(x.map { Int(exactly: $0).map(JSONValue.integer) ?? .number($0) }) }
private func im(_ x: [[Double]]) -> JSONValue { .array(x.map(i)) }
private func s(_ x: String) -> JSONValue { .string(x) }
private func memory(_ batches: [([[Double]], [[Double]])], key: String) -> JSONValue {
    .array(batches.map { .object(["scores": m($0.0), key: im($0.1)]) })
}

/// The meaning of every flag, written into each file's "notes".
enum FlagNotes {
    static let notes: [String: String] = [
        "random":
            "inputs drawn from SplitMix64 with the seed in the comment (dyadic values: exact in binary and in JSON text)",
        "ties":
            "the answer depends on how exact ties are broken (equal scores, or ties the margin or the perturbation y + λ·g creates): paper, the earlier index ranks higher; official, the later index ranks higher (torch's CPU sort, determined only for lists of at most 16 items, so official ties occur only there)",
        "negative-zero": "-0.0 and 0.0 are equal scores and tie",
        "single-item": "a list of one item",
        "all-equal": "every score equal",
        "sorted": "scores already in descending order",
        "reversed": "scores in ascending order",
        "tiny-differences": "scores one ulp apart (1, nextUp(1), nextDown(1))",
        "extreme-values": "scores near the limits of a double (±1e300, the smallest subnormal, the largest double)",
        "zero-upstream": "dL/drk is zero: the gradient is zero",
        "perturbed-ties": "y + λ·upstream has exact ties, broken by the stable rule in the backward ranking",
        "large-lambda": "λ large: the perturbed ranking is decided by the upstream alone",
        "tiny-lambda": "λ tiny: only exact ties move in the perturbed ranking",
        "lambda-units": "the official λ is in normalised-rank units: λ_code = λ_paper / n",
        "no-positive":
            "some list (or every list) has no positive: it is skipped; with none anywhere the paper loss is 0 with a zero gradient, the official loss NaN (written null; recall: the gradient of an all-tied perturbed ranking; map_loss: NaN as soon as the current batch has no positive), metrics null",
        "all-positive": "every item is a positive",
        "single-positive": "exactly one positive",
        "margin":
            "margin α > 0: negatives move up by α/2, positives down by α/2 (Eq. 14), deterministic in both conventions",
        "margin-reorders": "the margin changes the order of a positive and a negative",
        "memory-0": "no score memory",
        "memory-1":
            "one stored batch (paper recall: extra columns; official recall: extra rows; map_loss: extra rows of each class list)",
        "memory-3": "three stored batches, oldest first, after the current batch",
        "memory-class-only":
            "a class has positives only in the memory: it counts in the mAP mean, its current entries still get a gradient",
        "interclass-0": "β = 0: the mAP term alone",
        "interclass-third": "β = 1/3: the paper's 2 : 1 weighting of L_mAP and L_APC",
        "interclass-1": "β = 1: the interclass term alone (the current batch flattened row-major)",
        "weighting-log": "ℓ(r) = log(1 + r)",
        "weighting-loglog": "ℓ(r) = log(1 + log(1 + r))",
        "weighting-identity": "ℓ(r) = r (not in the paper; shows the official row-count normalisation)",
        "square": "as many rows as columns: the official recall normalisation is exact",
        "row-count-quirk": "rows ≠ columns: official r_i = (rk − rk⁺)/columns · rows, not the count of negatives ahead",
        "uneven-positives":
            "rows with different numbers of positives: paper macro average vs official micro average differ",
        "multiple-lists": "several ranked lists in one case",
        "ap-epsilon":
            "official AP divides by #positives + 1e-5 (for [1,0,1,0,1]: 1 − AP = 0.24444696 instead of 11/45 = 0.24444444)",
        "singleton-class": "a query whose class has no other member: it is skipped",
        "all-singletons": "no query has a same-class item: the metric is undefined, answered null",
        "k-beyond-gallery": "k larger than the gallery (N − 1): the whole gallery counts",
        "duplicate-embeddings": "identical embeddings: exactly tied similarities, the smaller gallery index first",
        "cosine-procedure":
            "cosines equal in real arithmetic that the last bit orders: only SPEC.md's procedure (each vector divided by its norm, then dot products in index order) passes",
        "parallel-embeddings": "embeddings that are positive multiples of each other",
        "invalid":
            "the inputs are malformed: a port must answer {\"id\", \"error\"}; the expected message is the reference's",
    ]

    static let descriptions: [ReferenceOp: String] = [
        .rank: "ranks [n]: 1-based descending integers (paper) or rk/n (official normalised ranks), stable ties",
        .rankBackward:
            "grad [n] = −(rk(y) − rk(y + λ·upstream))/λ (paper); −(rk/n − rk'/n)/(λ + 1e-8) with λ_code (official)",
        .recallLoss:
            "loss and grad [Q][n] of the recall loss (Eqs. 16–20); official = recall.py RecallLoss / BatchMemoryRecallLoss",
        .apLoss:
            "loss = 1 − mean AP over lists with a positive, and grad [L][n] (Eqs. 21–22); official = mAP.py per list",
        .mapLoss:
            "loss = (1 − β)·L_mAP(batch + memory) + β·L_APC(batch), grad [B][C]; official = mAP.py MapLoss with |ξ| ≡ 1",
        .recallAtK:
            "Recall@K over cosine similarity, query excluded, queries without a same-class item skipped; null if none remains",
        .mapAtR:
            "MAP@R (Musgrave et al. 2020) over cosine similarity; queries without a same-class item skipped; null if none remains",
        .averagePrecision: "AP = mean over positives of rank among positives / rank among all; null without a positive",
    ]
}

enum Generators {
    static func all(_ b: inout VectorBuilder) {
        rank(&b)
        rankBackward(&b)
        recallLoss(&b)
        apLoss(&b)
        mapLoss(&b)
        retrieval(&b)
        averagePrecision(&b)
    }

    // MARK: rank

    static func rank(_ b: inout VectorBuilder) {
        let hand: [([Double], [String], String)] = [
            ([0.3, 0.9, -0.1, 0.5], [], "the example of chapter 01: ranks [3, 1, 4, 2]"),
            ([1, 2, 1, 2, 0], ["ties"], "ranks [3, 1, 4, 2, 5]"),
            ([-0.0, 0.0], ["negative-zero", "ties"], "ranks [1, 2]"),
            ([0.0, -0.0, 0.0], ["negative-zero", "ties"], "ranks [1, 2, 3]"),
            ([5], ["single-item"], ""),
            ([1, 1, 1, 1, 1], ["ties", "all-equal"], "ranks are the indices + 1"),
            ([8, 7, 6, 5, 4, 3, 2, 1], ["sorted"], ""),
            ([1, 2, 3, 4, 5, 6, 7, 8], ["reversed"], ""),
            ([1, 1.0.nextUp, 1.0.nextDown, 1], ["tiny-differences", "ties"], ""),
            (
                [
                    1e300, -1e300, Double.leastNonzeroMagnitude, -Double.leastNonzeroMagnitude, 0,
                    Double.greatestFiniteMagnitude,
                ], ["extreme-values"], ""
            ),
        ]
        for convention in Convention.allCases {
            for (scores, flags, comment) in hand { b.valid(.rank, convention, flags, comment, ["scores": v(scores)]) }
            // Official: a draw with an exact tie in a list over 16 items is redrawn (seed + 100).
            for (k, size) in [2, 3, 5, 8, 13, 21, 34, 55].enumerated() {
                var seed = UInt64(1000 + k)
                while true {
                    var d = Draw(seed: seed)
                    if b.valid(
                        .rank, convention, ["random"], "SplitMix64 seed \(seed)", ["scores": v(d.scores(size))],
                        required: convention == .paper)
                    {
                        break
                    }
                    seed += 100
                }
            }
            // Official ties only where the authors' order is determined: at most 16 items.
            let tiedSizes = convention == .paper ? [6, 9, 12, 17, 24, 30] : [6, 9, 12, 14, 15, 16]
            for (k, size) in tiedSizes.enumerated() {
                let seed = UInt64(1100 + k)
                var d = Draw(seed: seed)
                b.valid(
                    .rank, convention, ["random", "ties"], "SplitMix64 seed \(seed), 4 distinct values",
                    ["scores": v((0..<size).map { _ in d.tiedScore() })])
            }
        }
        b.invalid(.rank, .paper, [], "empty scores", ["scores": .array([])])
        b.invalid(.rank, .paper, [], "scores is a matrix", ["scores": m([[1, 2], [3, 4]])])
        b.invalid(.rank, .paper, [], "a string among the scores", ["scores": .array([n(1), s("2"), n(3)])])
    }

    // MARK: rank_backward

    static func rankBackward(_ b: inout VectorBuilder) {
        @discardableResult
        func add(
            _ c: Convention, _ flags: [String], _ comment: String, _ y: [Double], _ g: [Double], _ lambda: Double,
            required: Bool = true
        ) -> Bool {
            b.valid(
                .rankBackward, c, flags, comment, ["scores": v(y), "upstream": v(g), "lambda": n(lambda)],
                required: required)
        }
        for c in Convention.allCases {
            let unit = c == .paper ? 1.0 : 0.25  // official λ in normalised units (n = 4)
            add(c, [], "four items", [0.5, 0.25, 1, 0], [1, -1, 0.5, 0], 0.5 * unit)
            add(c, ["single-item"], "the gradient is zero", [2], [3], 1)
            add(c, ["zero-upstream"], "", [0.5, -1, 2, 0.25], [0, 0, 0, 0], unit)
            add(c, ["ties"], "", [1, 1, 1, 0], [0.5, -0.5, 0, 0], unit)
            add(c, ["perturbed-ties"], "y + λ·g = [1, 2, 1, 3]", [0, 1, 2, 3], [1, 1, -1, 0], unit)
            add(c, ["tiny-lambda", "ties"], "λ = 2^-20", [1, 1, 0.5, 0.5, 0], [1, -1, -1, 1, 0.5], 0x1p-20)
            add(c, ["large-lambda"], "λ = 2^20", [3, 2, 1, 0, -1], [1, 0.5, -0.25, 2, -1], 0x1p20)
        }
        // λ units: the same perturbation in both conventions, λ_code = λ_paper / n.
        var d0 = Draw(seed: 2000)
        let y0 = d0.scores(8)
        let g0 = (0..<8).map { _ in d0.upstream() }
        add(
            .paper, ["random", "lambda-units"],
            "SplitMix64 seed 2000; λ_paper = 2 (official twin: λ_code = 1/4, upstream × 8)", y0, g0, 2)
        add(
            .official, ["random", "lambda-units"],
            "SplitMix64 seed 2000; λ_code = 1/4 = λ_paper/8, upstream × 8 (gradient = paper's up to the +1e-8)",
            y0, g0.map { $0 * 8 }, 0.25)
        let paperLambdas = [0.25, 0.5, 1, 2, 4, 8]
        let codeLambdas = [1.0 / 64, 1.0 / 16, 0.25, 1]
        for c in Convention.allCases {
            for k in 0..<(c == .paper ? 18 : 14) {
                var seed = UInt64((c == .paper ? 2100 : 2200) + k)
                while true {
                    var d = Draw(seed: seed)
                    let size = d.int(2...40)
                    let tied = k % 4 == 3
                    let y = (0..<size).map { _ in tied ? d.tiedScore() : d.score() }
                    let g = (0..<size).map { _ in d.upstream() }
                    let lambda = c == .paper ? d.pick(paperLambdas) : d.pick(codeLambdas)
                    // Official: a draw with an exact tie in a list over 16 items is redrawn (seed + 100).
                    if add(
                        c, tied ? ["random", "ties"] : ["random"], "SplitMix64 seed \(seed)", y, g, lambda,
                        required: c == .paper)
                    {
                        break
                    }
                    seed += 100
                }
            }
        }
        let base: [String: JSONValue] = ["scores": v([1, 2, 3]), "upstream": v([1, 0, -1]), "lambda": n(1)]
        func bad(_ comment: String, _ change: [String: JSONValue]) {
            b.invalid(.rankBackward, .paper, [], comment, base.merging(change) { $1 })
        }
        bad("lambda = 0", ["lambda": n(0)])
        bad("lambda < 0", ["lambda": n(-1)])
        bad("upstream shorter than scores", ["upstream": v([1, 0])])
        bad("empty scores", ["scores": .array([]), "upstream": .array([])])
        bad("lambda is a string", ["lambda": s("1")])
        bad(
            "the gradient overflows: −(1 − 2)/5e-324 is infinite",
            ["scores": v([0, 0]), "upstream": v([-1, 1]), "lambda": n(Double.leastNonzeroMagnitude)])
    }

    // MARK: recall_loss

    static func recallLoss(_ b: inout VectorBuilder) {
        func add(
            _ c: Convention, _ flags: [String], _ comment: String, _ y: [[Double]], _ r: [[Double]],
            lambda: Double, margin: Double = 0, weighting: RecallWeighting = .log,
            memory mem: [([[Double]], [[Double]])] = [], required: Bool = true
        ) -> Bool {
            var inputs: [String: JSONValue] = [
                "scores": m(y), "relevance": im(r), "lambda": n(lambda),
                "margin": n(margin), "weighting": s(weighting.rawValue),
            ]
            if !mem.isEmpty { inputs["memory"] = memory(mem, key: "relevance") }
            let memoryFlag = mem.isEmpty ? "memory-0" : "memory-\(mem.count)"
            return b.valid(
                .recallLoss, c,
                flags + ["weighting-\(weighting.rawValue)", memoryFlag]
                    + (margin > 0 ? ["margin"] : []), comment, inputs, required: required)
        }
        // The row-count quirk of the official code: a 1 × 6 row with r = [2, 2], identity weighting.
        let row: [[Double]] = [[6, 5, 4, 3, 2, 1]]
        let rel: [[Double]] = [[0, 0, 1, 1, 0, 0]]
        for c in Convention.allCases {
            _ = add(
                c, c == .official ? ["row-count-quirk"] : [], "true mean r = 2; official gives 2 · 1/6 = 1/3",
                row, rel, lambda: c == .paper ? 1 : 1.0 / 6, weighting: .identity)
            _ = add(
                c, c == .official ? ["row-count-quirk"] : [], "the same row with log weighting", row, rel,
                lambda: c == .paper ? 1 : 1.0 / 8)
            // Square, two positives per row: both conventions agree (up to λ units and the +1e-8).
            var square = [[Double]]()
            var squareRel = [[Double]]()
            for q in 0..<6 {
                square.append((0..<6).map { Double((q * 5 + $0 * 7) % 11) / 4 })
                squareRel.append((0..<6).map { ($0 + q) % 3 == 0 ? 1 : 0 })
            }
            _ = add(
                c, ["square"], "6 × 6, two positives per row: the conventions agree", square, squareRel,
                lambda: c == .paper ? 2 : 2.0 / 8, weighting: .identity)
            _ = add(c, ["no-positive"], "", [[1, 0.5, 0], [0.25, 2, 1]], [[0, 0, 0], [0, 0, 0]], lambda: 1)
            _ = add(c, ["all-positive"], "", [[1, 0.5, 0, 2]], [[1, 1, 1, 1]], lambda: 1)
            _ = add(c, ["single-item"], "", [[1.5]], [[1]], lambda: 1)
            _ = add(
                c, ["ties"], "the negative ties with the positive and comes first", [[1, 1, 0.5]], [[0, 1, 0]],
                lambda: 0.5)
            _ = add(
                c, ["margin-reorders"], "α = 0.5 moves the positive 0.25 below the negative 0.375",
                [[0.5, 0.375, 0.25]], [[1, 0, 1]], lambda: c == .paper ? 1 : 0.5, margin: 0.5)
            _ = add(
                c, ["uneven-positives", "no-positive"], "rows with 1, 3 and 0 positives",
                [[0.5, 1, 0, 0.25], [2, 1.5, -1, 0.75], [1, 2, 3, 4]], [[1, 0, 0, 0], [0, 1, 1, 1], [0, 0, 0, 0]],
                lambda: 2, weighting: .loglog)
        }
        for c in Convention.allCases {
            var added = 0
            var seed: UInt64 = c == .paper ? 3000 : 3500
            let target = c == .paper ? 30 : 26
            while added < target {
                seed += 1
                var d = Draw(seed: seed)
                let rows = d.int(1...6)
                let columns = c == .official && d.int(0...2) == 0 ? rows : d.int(2...16)
                let percent = d.pick([20, 35, 50])
                let y = d.matrix(rows, columns)
                let r = d.bits(rows, columns, percent: percent)
                let weighting = d.pick(RecallWeighting.allCases)
                let margin = d.pick([0, 0, 0.125, 0.25])
                let tau = d.pick([0, 1, 3])
                var mem = [([[Double]], [[Double]])]()
                for _ in 0..<tau {
                    if c == .paper {
                        let extra = d.int(1...6)
                        mem.append((d.matrix(rows, extra), d.bits(rows, extra, percent: percent)))
                    } else {
                        let extraRows = d.int(1...4)
                        mem.append((d.matrix(extraRows, columns), d.bits(extraRows, columns, percent: percent)))
                    }
                }
                var flags = ["random"]
                let lambda: Double
                switch added % 10 {
                case 8:
                    lambda = c == .paper ? 0x1p16 : 0x1p12
                    flags.append("large-lambda")
                case 9:
                    lambda = c == .paper ? 0x1p-16 : 0x1p-20
                    flags.append("tiny-lambda")
                default: lambda = c == .paper ? d.pick([0.5, 1, 4, 16]) : d.pick([1.0 / 64, 1.0 / 16, 0.25, 1])
                }
                if c == .official {
                    flags.append(rows + mem.reduce(0) { $0 + $1.0.count } == columns ? "square" : "row-count-quirk")
                }
                if r.contains(where: { !$0.contains(1) }) { flags.append("no-positive") }
                if add(
                    c, flags, "SplitMix64 seed \(seed)", y, r, lambda: lambda, margin: margin, weighting: weighting,
                    memory: mem, required: false)
                {
                    added += 1
                }
            }
        }
        let base: [String: JSONValue] = ["scores": m([[1, 0.5, 0]]), "relevance": im([[1, 0, 1]]), "lambda": n(1)]
        func bad(_ c: Convention, _ comment: String, _ change: [String: JSONValue]) {
            b.invalid(.recallLoss, c, [], comment, base.merging(change) { $1 })
        }
        bad(.paper, "unknown weighting", ["weighting": s("sqrt")])
        bad(.paper, "relevance 2", ["relevance": im([[1, 0, 2]])])
        bad(.paper, "relevance row shorter than its scores", ["relevance": im([[1, 0]])])
        bad(.paper, "lambda = 0", ["lambda": n(0)])
        bad(.paper, "negative margin", ["margin": n(-0.25)])
        bad(
            .paper, "memory with a different number of rows",
            ["memory": memory([([[1], [2]], [[1], [0]])], key: "relevance")])
        bad(
            .official, "ragged scores",
            ["scores": m([[1, 0.5, 0], [1, 2]]), "relevance": im([[1, 0, 1], [0, 1]])])
        bad(.paper, "scores is a flat list", ["scores": v([1, 0.5, 0])])
    }

    // MARK: ap_loss

    static func apLoss(_ b: inout VectorBuilder) {
        func add(
            _ c: Convention, _ flags: [String], _ comment: String, _ y: [[Double]], _ r: [[Double]],
            lambda: Double, margin: Double = 0, required: Bool = true
        ) -> Bool {
            b.valid(
                .apLoss, c, flags + (margin > 0 ? ["margin"] : []) + (y.count > 1 ? ["multiple-lists"] : []),
                comment, ["scores": m(y), "relevance": im(r), "lambda": n(lambda), "margin": n(margin)],
                required: required)
        }
        for c in Convention.allCases {
            _ = add(
                c, c == .official ? ["ap-epsilon"] : [], "1 − AP = 11/45 (paper); 0.24444696 (official)",
                [[5, 4, 3, 2, 1]], [[1, 0, 1, 0, 1]], lambda: c == .paper ? 1 : 0.2)
            _ = add(c, ["single-item", "single-positive"], "", [[0.5]], [[1]], lambda: 1)
            _ = add(c, ["no-positive"], "loss 0, zero gradient", [[1, 2, 3]], [[0, 0, 0]], lambda: 1)
            _ = add(
                c, ["no-positive"], "the second list is skipped", [[1, 2, 3], [0.5, 0.25, 0]],
                [[0, 1, 0], [0, 0, 0]],
                lambda: 1)
            _ = add(c, ["all-positive"], "", [[0.25, 1, 0.5]], [[1, 1, 1]], lambda: 1)
            _ = add(c, ["ties"], "a negative tied ahead of a positive", [[1, 1, 0.5, 1]], [[0, 1, 1, 0]], lambda: 0.5)
            _ = add(
                c, ["margin-reorders"], "α = 0.25 puts the negative 0.5 above the positive 0.625",
                [[0.625, 0.5, 0]], [[1, 0, 1]], lambda: 1, margin: 0.25)
            _ = add(c, ["single-positive"], "the positive is last", [[3, 2, 1, 0]], [[0, 0, 0, 1]], lambda: 2)
        }
        for c in Convention.allCases {
            var added = 0
            var seed: UInt64 = c == .paper ? 4000 : 4500
            let target = c == .paper ? 20 : 18
            while added < target {
                seed += 1
                var d = Draw(seed: seed)
                let lists = d.int(1...4)
                let length = d.int(2...30)
                let tied = added % 5 == 4
                let y = (0..<lists).map { _ in (0..<length).map { _ in tied ? d.tiedScore() : d.score() } }
                let r = d.bits(lists, length, percent: d.pick([10, 30, 50]))
                let margin = d.pick([0, 0, 0.125, 0.5])
                var flags = ["random"] + (tied ? ["ties"] : [])
                let lambda: Double
                switch added % 9 {
                case 7:
                    lambda = c == .paper ? 0x1p16 : 0x1p12
                    flags.append("large-lambda")
                case 8:
                    lambda = c == .paper ? 0x1p-16 : 0x1p-20
                    flags.append("tiny-lambda")
                default: lambda = c == .paper ? d.pick([0.5, 1, 4, 16]) : d.pick([1.0 / 64, 1.0 / 16, 0.25, 1])
                }
                if r.contains(where: { !$0.contains(1) }) { flags.append("no-positive") }
                if add(c, flags, "SplitMix64 seed \(seed)", y, r, lambda: lambda, margin: margin, required: false) {
                    added += 1
                }
            }
        }
        let base: [String: JSONValue] = ["scores": m([[1, 0.5, 0]]), "relevance": im([[1, 0, 1]]), "lambda": n(1)]
        func bad(_ comment: String, _ change: [String: JSONValue]) {
            b.invalid(.apLoss, .paper, [], comment, base.merging(change) { $1 })
        }
        bad("lambda < 0", ["lambda": n(-1)])
        bad("relevance 0.5", ["relevance": im([[1, 0.5, 1]])])
        bad("an empty list", ["scores": m([[1, 0.5, 0], []]), "relevance": im([[1, 0, 1], []])])
        bad("lambda is null", ["lambda": .null])
        bad("unknown field", ["margn": n(0.5)])
    }

    // MARK: map_loss

    static func mapLoss(_ b: inout VectorBuilder) {
        func add(
            _ c: Convention, _ flags: [String], _ comment: String, _ y: [[Double]], _ t: [[Double]],
            lambda: Double, margin: Double = 0, interclass: Double = 0,
            memory mem: [([[Double]], [[Double]])] = [], required: Bool = true
        ) -> Bool {
            var inputs: [String: JSONValue] = [
                "scores": m(y), "targets": im(t), "lambda": n(lambda),
                "margin": n(margin), "interclass": n(interclass),
            ]
            if !mem.isEmpty { inputs["memory"] = memory(mem, key: "targets") }
            let beta = interclass == 0 ? "interclass-0" : (interclass == 1 ? "interclass-1" : "interclass-third")
            let memoryFlag = mem.isEmpty ? "memory-0" : "memory-\(mem.count)"
            return b.valid(
                .mapLoss, c, flags + [beta, memoryFlag] + (margin > 0 ? ["margin"] : []), comment, inputs,
                required: required)
        }
        let y: [[Double]] = [[0.5, -0.25], [1, 0.75], [0, 0.25]]
        let t: [[Double]] = [[1, 0], [0, 1], [1, 0]]
        for c in Convention.allCases {
            let unit = c == .paper ? 1.0 : 0.25
            _ = add(c, [], "3 images × 2 classes", y, t, lambda: unit)
            _ = add(c, [], "the paper's β = 1/3", y, t, lambda: unit, interclass: 1.0 / 3)
            _ = add(c, [], "the interclass term alone", y, t, lambda: unit, interclass: 1)
            _ = add(
                c, ["no-positive"], "no positive anywhere: loss 0", y, [[0, 0], [0, 0], [0, 0]], lambda: unit,
                interclass: 1.0 / 3)
            _ = add(
                c, ["memory-class-only"], "class 1 has positives only in memory", y, [[1, 0], [0, 0], [1, 0]],
                lambda: unit, memory: [([[0.5, 0.125]], [[0, 1]])])
            _ = add(c, ["all-positive"], "", y, [[1, 1], [1, 1], [1, 1]], lambda: unit, interclass: 1.0 / 3)
            _ = add(c, ["margin-reorders"], "α = 0.5", y, t, lambda: unit, margin: 0.5, interclass: 1.0 / 3)
            _ = add(
                c, ["ties"], "tied scores across images and classes", [[1, 1], [1, 0.5], [0.5, 1]],
                [[0, 1], [1, 0], [1, 1]], lambda: unit, interclass: 1.0 / 3)
        }
        for c in Convention.allCases {
            var added = 0
            var seed: UInt64 = c == .paper ? 5000 : 5500
            let target = c == .paper ? 24 : 22
            while added < target {
                seed += 1
                var d = Draw(seed: seed)
                let batch = d.int(2...6)
                let classes = d.int(2...5)
                let percent = d.pick([15, 30, 50])
                let y = d.matrix(batch, classes)
                let t = d.bits(batch, classes, percent: percent)
                let tau = [0, 1, 3][added % 3]
                var mem = [([[Double]], [[Double]])]()
                for _ in 0..<tau {
                    let rows = d.int(1...4)
                    mem.append((d.matrix(rows, classes), d.bits(rows, classes, percent: percent)))
                }
                let interclass = [0, 1.0 / 3, 1][(added / 3) % 3]
                let margin = d.pick([0, 0.125, 0.25])
                var flags = ["random"]
                let lambda: Double
                switch added % 11 {
                case 9:
                    lambda = c == .paper ? 0x1p16 : 0x1p12
                    flags.append("large-lambda")
                case 10:
                    lambda = c == .paper ? 0x1p-16 : 0x1p-20
                    flags.append("tiny-lambda")
                default: lambda = c == .paper ? d.pick([0.5, 1, 4]) : d.pick([1.0 / 64, 1.0 / 16, 0.25])
                }
                let allTargets = t + mem.flatMap(\.1)
                if (0..<classes).contains(where: { col in !allTargets.contains { $0[col] == 1 } }) {
                    flags.append("no-positive")
                }
                if add(
                    c, flags, "SplitMix64 seed \(seed)", y, t, lambda: lambda, margin: margin, interclass: interclass,
                    memory: mem, required: false)
                {
                    added += 1
                }
            }
        }
        let base: [String: JSONValue] = ["scores": m(y), "targets": im(t), "lambda": n(1)]
        func bad(_ comment: String, _ change: [String: JSONValue]) {
            b.invalid(.mapLoss, .paper, [], comment, base.merging(change) { $1 })
        }
        bad("interclass 1.5", ["interclass": n(1.5)])
        bad("a memory batch with 3 classes", ["memory": memory([([[1, 2, 3]], [[0, 1, 0]])], key: "targets")])
        bad("ragged scores", ["scores": m([[0.5, -0.25], [1], [0, 0.25]])])
        bad("targets with a 3", ["targets": im([[1, 0], [0, 3], [1, 0]])])
        bad("memory entry without targets", ["memory": .array([.object(["scores": m([[1, 2]])])])])
    }

    // MARK: recall_at_k and map_at_r

    /// Whether cosine similarities of distinct embeddings are all at least 1e-9 apart for every query, so ports
    /// that compute cosines in another order still rank the gallery alike (identical embeddings tie exactly).
    static func wellSeparated(_ e: [[Double]]) -> Bool {
        let unit = e.map { x in x.map { $0 / x.reduce(0) { $0 + $1 * $1 }.squareRoot() } }
        for q in unit.indices {
            var sims = [(Double, Int)]()
            for j in unit.indices where j != q {
                sims.append((zip(unit[q], unit[j]).reduce(0) { $0 + $1.0 * $1.1 }, j))
            }
            sims.sort { $0.0 < $1.0 }
            for k in 1..<max(1, sims.count) {
                let gap = sims[k].0 - sims[k - 1].0
                if gap < 1e-9 && e[sims[k].1] != e[sims[k - 1].1] { return false }
            }
        }
        return true
    }

    static func retrieval(_ b: inout VectorBuilder) {
        let ks: [Double] = [1, 2, 4, 8]
        func add(_ flags: [String], _ comment: String, _ e: [[Double]], _ labels: [Double], k: [Double] = ks) {
            b.valid(.recallAtK, .paper, flags, comment, ["embeddings": m(e), "labels": i(labels), "k": i(k)])
            b.valid(.mapAtR, .paper, flags, comment, ["embeddings": m(e), "labels": i(labels)])
        }
        let square: [[Double]] = [[1, 0], [0.75, 0.5], [0, 1], [-0.5, 0.75], [-1, -0.25]]
        add([], "five points on a plane, two classes", square, [0, 0, 1, 1, 0])
        add(["singleton-class"], "query 4 is alone in class 2: skipped", square, [0, 0, 1, 1, 2])
        add(["all-singletons"], "every class has one member: null", square, [0, 1, 2, 3, 4])
        add(
            ["duplicate-embeddings"], "items 1 and 2 are identical: the smaller index is the nearer",
            [[1, 0.25], [0.5, 1], [0.5, 1], [-1, 0.5]], [0, 1, 0, 1])
        add(
            ["k-beyond-gallery"], "k up to 16 with a gallery of 3", [[1, 0], [0, 1], [1, 1], [-1, 0.5]], [0, 1, 0, 1],
            k: [1, 3, 16])
        add([], "two items of one class", [[1, 2], [2, 1]], [7, 7], k: [1])
        // Cosines equal in real arithmetic, decided by the last bit: only SPEC.md's procedure (normalise each
        // vector, then dot products) passes both; the two quotient forms each fail one.
        add(
            ["cosine-procedure", "parallel-embeddings"],
            "query 2 meets cos 3/√10 twice; normalised first, item 1 is nearer (0.0); <a,b>/(√a·√b) ties them (0.5)",
            [[1, 1], [3, 3], [1, 2]], [0, 1, 0], k: [1])
        add(
            ["cosine-procedure", "parallel-embeddings"],
            "three parallel vectors: normalised first every cosine is 1 (1.0); <a,b>/√(a·b) does not tie them (0.5)",
            [[1, 1], [2, 2], [3, 3]], [0, 1, 0], k: [1])
        add(["singleton-class"], "one item", [[1, 2, 3]], [0], k: [1])
        var added = 0
        var seed: UInt64 = 6000
        while added < 14 {
            seed += 1
            var d = Draw(seed: seed)
            let count = d.int(6...40)
            let dimension = d.pick([2, 3, 8])
            let classes = d.int(2...6)
            let e = (0..<count).map { _ in (0..<dimension).map { _ in Double(d.int(-16...16)) / 8 } }
            let labels = (0..<count).map { _ in Double(d.int(0...(classes - 1))) }
            guard e.allSatisfy({ $0.contains { $0 != 0 } }), wellSeparated(e) else { continue }
            add(["random"], "SplitMix64 seed \(seed)", e, labels)
            added += 1
        }
        let base: [String: JSONValue] = ["embeddings": m(square), "labels": i([0, 0, 1, 1, 0]), "k": i([1, 2])]
        func bad(_ op: ReferenceOp, _ comment: String, _ change: [String: JSONValue]) {
            var inputs = base.merging(change) { $1 }
            if op == .mapAtR { inputs["k"] = nil }
            b.invalid(op, .paper, [], comment, inputs)
        }
        bad(.recallAtK, "k = 0", ["k": i([1, 0])])
        bad(.recallAtK, "k = 1.5", ["k": i([1.5])])
        bad(.recallAtK, "k is empty", ["k": .array([])])
        for op in [ReferenceOp.recallAtK, .mapAtR] {
            bad(op, "a zero-norm embedding", ["embeddings": m([[1, 0], [0, 0], [0, 1]]), "labels": i([0, 0, 1])])
            bad(op, "labels shorter than embeddings", ["labels": i([0, 0, 1])])
            bad(op, "ragged embeddings", ["embeddings": m([[1, 0], [0.75], [0, 1], [-0.5, 0.75], [-1, -0.25]])])
            bad(op, "a label 0.5", ["labels": i([0, 0.5, 1, 1, 0])])
            bad(
                op, "the squared norm of [1e200, 1e200] overflows a double",
                ["embeddings": m([[1e200, 1e200], [1, 0], [0, 1]]), "labels": i([0, 0, 1])])
            bad(
                op, "the squared norm of [1e-200, 1e-200] underflows to 0: zero norm",
                ["embeddings": m([[1e-200, 1e-200], [1, 0], [0, 1]]), "labels": i([0, 0, 1])])
        }
    }

    // MARK: average_precision

    static func averagePrecision(_ b: inout VectorBuilder) {
        func add(_ flags: [String], _ comment: String, _ y: [Double], _ r: [Double]) {
            b.valid(.averagePrecision, .paper, flags, comment, ["scores": v(y), "relevance": i(r)])
        }
        add([], "AP = 34/45 (1 − AP = 11/45)", [5, 4, 3, 2, 1], [1, 0, 1, 0, 1])
        add(["no-positive"], "null", [1, 2, 3], [0, 0, 0])
        add(["all-positive"], "AP = 1", [0.5, 2, 1], [1, 1, 1])
        add(["single-positive"], "the positive is last: AP = 1/4", [4, 3, 2, 1], [0, 0, 0, 1])
        add(["single-item", "single-positive"], "AP = 1", [7], [1])
        add(["single-item", "no-positive"], "null", [7], [0])
        add(["ties"], "a negative tied ahead: AP = 1/2", [1, 1], [0, 1])
        add(["ties"], "the positive tied ahead: AP = 1", [1, 1], [1, 0])
        add(
            ["ties", "all-equal"], "every score equal: the order is the index order", [2, 2, 2, 2, 2], [0, 1, 0, 0, 1])
        add(["negative-zero", "ties"], "-0.0 ties with 0.0", [-0.0, 0.0, 0.0], [0, 1, 0])
        for k in 0..<16 {
            let seed = UInt64(7000 + k)
            var d = Draw(seed: seed)
            let size = d.int(2...60)
            let tied = k % 4 == 3
            let y = (0..<size).map { _ in tied ? d.tiedScore() : d.score() }
            let r = (0..<size).map { _ in d.bit(percent: d.pick([10, 30, 60])) }
            add(
                ["random"] + (tied ? ["ties"] : []) + (r.contains(1) ? [] : ["no-positive"]), "SplitMix64 seed \(seed)",
                y, r)
        }
        let base: [String: JSONValue] = ["scores": v([1, 2, 3]), "relevance": i([0, 1, 0])]
        func bad(_ comment: String, _ change: [String: JSONValue]) {
            b.invalid(.averagePrecision, .paper, [], comment, base.merging(change) { $1 })
        }
        bad("relevance 0.5", ["relevance": i([0, 0.5, 0])])
        bad("relevance shorter than scores", ["relevance": i([0, 1])])
        bad("empty scores", ["scores": .array([]), "relevance": .array([])])
        bad("relevance is null", ["relevance": .null])
    }
}
