import Rambo
import RamboOfficial
import Support
import Testing

@Suite("Official convention vs paper")
struct OfficialTests {
    @Test func recallOnOneRowIsScaledByRowsOverColumns() {
        // The authors' RecallLoss (docs/paper-vs-code.md): a 1×6 row with true r = [2, 2] (positives at ranks 3, 4), weight_fn = identity.
        // r_code = (rk/6 − rk⁺/6) · rows(1) = 2/6 → micro mean 1/3; the paper's value is 2.
        let y = [[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]]
        let rel = [[false, false, true, true, false, false]]
        let official = OfficialRecallLoss(lambda: 1, weighting: .identity)
        // Float32 ranks: r = Float32(3/6 − 1/6) and Float32(4/6 − 2/6), not 1/3.
        let r1 = Double(Float(3) / Float(6) - Float(1) / Float(6))
        let r2 = Double(Float(4) / Float(6) - Float(2) / Float(6))
        #expect(official.forward(scores: y, relevance: rel) == (r1 + r2) / 2)
        #expect(close(official.forward(scores: y, relevance: rel), 1.0 / 3.0, 1e-7))
        #expect(RecallLoss(lambda: 1, weighting: .identity).forward(scores: y, relevance: rel) == 2)
    }

    @Test func recallOnSquareMatrixMatchesThePaper() {
        // 6×6, every row with two positives (so micro = macro) and rows = columns (so r_code = r).
        let base = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        let y = (0..<6).map { q in (0..<6).map { base[($0 + q) % 6] } }
        let rel = (0..<6).map { q in (0..<6).map { $0 == q || $0 == (q + 2) % 6 } }
        for weighting in RecallWeighting.allCases {
            let paper = RecallLoss(lambda: 1, weighting: weighting).forward(scores: y, relevance: rel)
            let official = OfficialRecallLoss(lambda: 1, weighting: weighting).forward(
                scores: y, relevance: rel)
            #expect(close(paper, official, 1e-6))  // Float32 ranks: r_code = r up to 6e-8 relative
            #expect(paper > 0)
        }
    }

    @Test func recallMicroVersusMacroAverage() {
        // Row 0: r = 1 (one positive). Row 1: r = 0, 0. Paper (macro): (1 + 0)/2 = 1/2.
        // Official: rows 2, columns 3 → r_code = r·2/3; micro over 3 positives: (2/3)/3 = 2/9.
        let y = [[0.9, 0.8, 0.7], [0.9, 0.8, 0.7]]
        let rel = [[false, true, false], [true, true, false]]
        #expect(RecallLoss(lambda: 1, weighting: .identity).forward(scores: y, relevance: rel) == 0.5)
        #expect(
            close(
                OfficialRecallLoss(lambda: 1, weighting: .identity).forward(scores: y, relevance: rel),
                2.0 / 9.0, 1e-7))
    }

    @Test func mapLossEpsilonOnTheToyList() {
        // Relevance [1,0,1,0,1] sorted: exact 1 − AP = 1 − 34/45 = 11/45 = 0.244444…;
        // the code: 1 − (34/15)/(3 + 1e-5) = 0.2444469… (prints 0.244447).
        let column = [[0.9], [0.8], [0.7], [0.6], [0.5]]
        let targets = [[true], [false], [true], [false], [true]]
        let official = OfficialMAPLoss(lambda: 1).forward(scores: column, targets: targets)
        let paper = MAPLoss(lambda: 1).forward(scores: column, targets: targets)
        #expect(close(paper, 11.0 / 45.0, 1e-15))
        #expect(close(official, 1 - (34.0 / 15.0) / (3 + 1e-5), 1e-7))  // Float32 ratios rk⁺/rk
        #expect((official * 1e6).rounded() == 244_447 && (paper * 1e6).rounded() == 244_444)
        // The scaling: (1 − L_code) = (1 − L_paper) · #pos/(#pos + 1e-5).
        #expect(close(1 - official, (1 - paper) * 3 / (3 + 1e-5), 1e-7))
        // Same via APLoss on the list.
        let ap = OfficialAPLoss(lambda: 1).forward(
            scores: [0.9, 0.8, 0.7, 0.6, 0.5],
            relevance: [true, false, true, false, true])
        #expect(close(ap, official, 1e-15))
    }

    @Test func lambdaUnitsRankBackward() {
        // λ_code · n = λ_paper: same perturbation; gradients differ only by λ_code/(λ_code + 1e-8).
        var rng = SplitMix64(seed: 21)
        let n = 40
        let y = (0..<n).map { _ in rng.nextGaussian() }
        let g = (0..<n).map { _ in rng.nextGaussian() }  // dL/drk in integer-rank units
        let lambdaPaper = 3.0
        let lambdaCode = codeLambda(fromPaper: lambdaPaper, length: n)
        #expect(paperLambda(fromCode: lambdaCode, length: n) == lambdaPaper)
        let paper = rankBackward(scores: y, upstream: g, lambda: lambdaPaper)
        // The code's upstream is dL/d(rk/n) = n · dL/drk.
        let official = officialRankBackward(scores: y, upstream: g.map { $0 * Double(n) }, lambda: lambdaCode)
        #expect(paper.contains { $0 != 0 })
        // Up to the +1e-8 and the Float32 arithmetic of the code (a few roundings of 2^-24 relative).
        for i in 0..<n {
            #expect(
                abs(official[i] - paper[i]) <= (1e-8 / lambdaCode + 0x1p-23 * Double(n + 3)) * abs(paper[i]) + 1e-15)
        }
    }

    @Test func lambdaUnitsAPLossGradient() {
        // The 5-item list: λ_paper = 5 ⇔ λ_code = 1. Paper gradient [0, .2, −.2, .2, −.2]; the code's is
        // that times 1/(1 + 1e-8) (its 1e-5 in #pos + ε scales the push by 3/3.00001, not enough to reorder).
        let y = [0.9, 0.8, 0.7, 0.6, 0.5]
        let rel = [true, false, true, false, true]
        let paper = APLoss(lambda: 5).valueAndGradient(scores: y, relevance: rel).gradient
        let official = OfficialAPLoss(lambda: 1).valueAndGradient(scores: y, relevance: rel).gradient
        #expect(close(paper, [0, 0.2, -0.2, 0.2, -0.2]))
        // In Float32, λ + 1e-8 rounds to 1: the official gradient is −(rk/5 − rk'/5) in Float32.
        let rk = [1, 2, 3, 4, 5]
        let perturbed = [1, 3, 2, 5, 4]
        for i in y.indices {
            let expected = -(Float(rk[i]) / 5 - Float(perturbed[i]) / 5) / Float(1 + 1e-8)
            #expect(official[i] == Double(expected))
            #expect(abs(official[i] - paper[i]) <= 3e-7 * abs(paper[i]))
        }
    }

    @Test func lambdaUnitsRecallGradientOnSquareMatrix() {
        // Square, equal positives per row: the code's upstream n·ℓ'/(Q·P) equals n × the paper's ℓ'/(P·Q).
        var rng = SplitMix64(seed: 4)
        let n = 8
        let y = (0..<n).map { _ in (0..<n).map { _ in rng.nextGaussian() } }
        let rel = (0..<n).map { q in (0..<n).map { $0 == q || $0 == (q + 3) % n } }
        let lambdaPaper = 40.0
        let paper = RecallLoss(lambda: lambdaPaper).valueAndGradient(scores: y, relevance: rel)
        let official = OfficialRecallLoss(lambda: lambdaPaper / Double(n))
            .valueAndGradient(scores: y, relevance: rel)
        #expect(close(paper.loss, official.loss, 1e-6))  // Float32 ranks
        #expect(paper.gradient.flatMap { $0 }.contains { $0 != 0 })
        let ratio = 1e-8 / (lambdaPaper / Double(n)) + 0x1p-23 * Double(n + 3)
        for (a, b) in zip(paper.gradient.flatMap { $0 }, official.gradient.flatMap { $0 }) {
            #expect(abs(a - b) <= ratio * abs(a) + 1e-15)
        }
    }

    @Test func officialMapNormalisesByEachListLength() {
        // L_mAP lists have B + stored rows items, L_APC has B·C: with one λ_code the paper-unit λ differs per term.
        let scores = [[0.1, 0.9], [0.8, 0.2], [0.5, 0.4]]
        let targets = [[true, false], [false, true], [false, false]]
        let lambdaCode = 2.0
        let official = OfficialMAPLoss(lambda: lambdaCode)
            .valueAndGradient(scores: scores, targets: targets)
        let classLists = OfficialAPLoss(lambda: lambdaCode).valueAndGradient(
            scores: [[0.1, 0.8, 0.5], [0.9, 0.2, 0.4]], relevance: [[true, false, false], [false, true, false]])
        #expect(close(official.loss, classLists.loss))
        #expect(
            close(
                official.gradient,
                [
                    [classLists.gradient[0][0], classLists.gradient[1][0]],
                    [classLists.gradient[0][1], classLists.gradient[1][1]],
                    [classLists.gradient[0][2], classLists.gradient[1][2]],
                ]))
    }

    @Test func recallMemoryAddsRowsInOfficialConvention() {
        // Current row r = 1, stored row r = 2; rows = 2, columns = 3 → r_code = r·2/3: (2/3 + 4/3)/2 positives = 1.
        let loss = OfficialRecallLoss(lambda: 1, weighting: .identity)
        let memory = [ScoreBatch(scores: [[0.9, 0.8, 0.7]], relevance: [[false, false, true]])]
        let result = loss.valueAndGradient(
            scores: [[0.9, 0.8, 0.7]], relevance: [[false, true, false]], memory: memory)
        #expect(close(result.loss, 1, 1e-7))  // Float32 ranks
        #expect(result.gradient.count == 1)
        #expect(throws: RamboError.lengthMismatch(name: "memory[0].scores[0]", expected: 3, actual: 2)) {
            try loss.validate(
                scores: [[0.9, 0.8, 0.7]], relevance: [[false, true, false]],
                memory: [ScoreBatch(scores: [[0.1, 0.2]], relevance: [[true, false]])])
        }
    }

    @Test func apEntryPointsAgree() {
        // One list through the one-list and the several-lists entry points, forward and backward, bit for bit.
        var rng = SplitMix64(seed: 77)
        for n in [1, 5, 12, 16] {
            let scores = (0..<n).map { _ in (rng.nextGaussian() * 16).rounded() / 16 }
            let relevance = (0..<n).map { _ in rng.nextUnit() < 0.3 }
            let loss = OfficialAPLoss(lambda: 2, margin: 0.125)
            let one = loss.valueAndGradient(scores: scores, relevance: relevance, upstream: 0.5)
            let several = loss.valueAndGradient(scores: [scores], relevance: [relevance], upstream: 0.5)
            #expect(one.loss.bitPattern == several.loss.bitPattern)
            #expect(one.gradient.map(\.bitPattern) == several.gradient[0].map(\.bitPattern))
            #expect(loss.forward(scores: scores, relevance: relevance).bitPattern == one.loss.bitPattern)
            #expect(relevance.contains(true) || one.loss.isNaN)
        }
    }
}
