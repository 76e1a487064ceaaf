import Rambo
import RamboOfficial
import Support
import Testing

@Suite("λ units: paper vs official code")
struct LambdaUnitsTests {
    @Test("conversions: λ_code = λ_paper / n and back")
    func conversions() {
        #expect(codeLambda(fromPaper: 5, length: 10) == 0.5)
        #expect(paperLambda(fromCode: 0.5, length: 10) == 5)
        #expect(codeUpstream(fromPaper: [1, -0.5]) == [2, -1])
        // The course's default is the authors' λ_code = 0.5: λ = n/2 in paper units.
        #expect(defaultLambda(length: 639) == 319.5)
        #expect(defaultLambda(length: 639) == paperLambda(fromCode: 0.5, length: 639))
        #expect(codeLambda(fromPaper: defaultLambda(length: 16), length: 16) == 0.5)
        var rng = SplitMix64(seed: 41)
        for _ in 0..<100 {
            let lambda = 0.01 + 10 * rng.nextUnit()
            let n = 1 + Int(rng.next() % 1000)
            let back = paperLambda(fromCode: codeLambda(fromPaper: lambda, length: n), length: n)
            #expect(abs(back - lambda) <= 1e-15 * lambda)
        }
    }

    // The official code ranks [0.3, 0.9, −0.1, 0.5] as 0-based [2, 0, 3, 1] and normalises (rank₀ + 1)/4.
    @Test("normalised ranks match the official (rank₀ + 1)/L")
    func normalised() {
        #expect(normalisedRank([0.3, 0.9, -0.1, 0.5]) == [0.75, 0.25, 1, 0.5])
    }

    // Hand case (a) of the backward in code units: n = 4, λ_paper = 0.5 ⇒ λ_code = 0.125, g_n = 4·[1, 0, 0, 0].
    // y' = y + 0.125·[4, 0, 0, 0] = [0.8, 0.9, −0.1, 0.5]; rk_n − rk_n' = [0.25, 0, 0, −0.25];
    // grad = −[0.25, 0, 0, −0.25]/(0.125 + 1e-8) ≈ [−2, 0, 0, 2]·(1 − 8e-8), in Float32 as the code computes it.
    @Test("official backward on the hand case")
    func officialHand() {
        let grad = officialRankBackward(scores: [0.3, 0.9, -0.1, 0.5], upstream: [4, 0, 0, 0], lambda: 0.125)
        let expected = [-0.25, 0, 0, 0.25].map { Double(Float($0) / Float(0.125 + 1e-8)) }
        #expect(grad == expected)
        #expect(grad[0] != -2)  // the +1e-8 is there (Float32(0.125 + 1e-8) = 0.12500001)
    }

    // The authors' tie order: ties go to the later index (torch's CPU sort, rows of at most 16 items).
    @Test("official ranks put the later index first among ties, in Float32")
    func officialTies() {
        #expect(normalisedRank([1, 1, 0.5, 1]) == [0.75, 0.5, 1, 0.25])
        #expect(rank([1, 1, 0.5, 1]) == [1, 2, 4, 3])  // paper: the earlier index first
        #expect(normalisedRank([3, 2, 1]) == [1, 2, 3].map { Double(Float($0) / Float(3)) })
        #expect(normalisedRank([3, 2, 1])[0] != 1.0 / 3)
    }

    @Test("paper backward at λ equals official backward at λ/n with upstream·n, to 1e-8/λ_code + Float32 rounding")
    func paperEqualsCode() throws {
        var rng = SplitMix64(seed: 42)
        var maxRelative = 0.0
        var maxRelativeOverBound = 0.0
        var compared = 0
        for trial in 0..<3000 {
            let n = 2 + trial % 50
            let y = randomVector(n, &rng)
            let g = randomVector(n, &rng)
            let lambdaPaper = 0.1 + 10 * rng.nextUnit()
            let lambdaCode = codeLambda(fromPaper: lambdaPaper, length: n)
            let paper = rankBackward(scores: y, upstream: g, lambda: lambdaPaper)
            let code = try checkedOfficialRankBackward(
                scores: y, upstream: codeUpstream(fromPaper: g), lambda: lambdaCode)
            // The code rounds λ·g to Float32: skip draws whose perturbed scores have a near-tie it could flip.
            let perturbed = zip(y, g).map { $0 + lambdaPaper * $1 }.sorted()
            guard !zip(perturbed, perturbed.dropFirst()).contains(where: { $1 - $0 < 1e-4 }) else { continue }
            // The +1e-8, plus the code's Float32 arithmetic: ρ = fl32(rk/n) is off by up to 2^-24, so the
            // difference ρ − ρ' (at least 1/n when non-zero) is off by up to 2^-23·n relative, plus 3 roundings.
            let bound = 1e-8 / lambdaCode + 0x1p-23 * Double(n + 3)
            for i in 0..<n where paper[i] != 0 || code[i] != 0 {
                let relative = abs(code[i] - paper[i]) / abs(paper[i])
                compared += 1
                maxRelative = max(maxRelative, relative)
                maxRelativeOverBound = max(maxRelativeOverBound, relative / bound)
                #expect(relative <= bound, "n = \(n), λ = \(lambdaPaper), i = \(i)")
            }
        }
        print(
            "paper vs code λ: \(compared) non-zero entries, max relative difference \(maxRelative), max (difference / bound) = \(maxRelativeOverBound)"
        )
        #expect(compared > 5_000)
        #expect(maxRelative > 1e-8)  // the two differ (the +1e-8 and Float32), within the bound
    }

    @Test("the checked official backward names what is wrong")
    func checked() {
        #expect(throws: RamboError.outOfRange(name: "lambda", value: -1, allowed: "finite and > 0")) {
            _ = try checkedOfficialRankBackward(scores: [1, 2], upstream: [1, 1], lambda: -1)
        }
        #expect(throws: RamboError.lengthMismatch(name: "upstream", expected: 2, actual: 1)) {
            _ = try checkedOfficialRankBackward(scores: [1, 2], upstream: [1], lambda: 1)
        }
    }
}

private func randomVector(_ n: Int, _ rng: inout SplitMix64) -> [Double] {
    (0..<n).map { _ in rng.nextGaussian() }
}
