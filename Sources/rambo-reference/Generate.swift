// `rambo-reference generate --out DIR`: writes the shipped test vectors, one file per op.
//
// Reproducible byte for byte: inputs come from SplitMix64 with fixed seeds through integer arithmetic only
// (`Draw`), expected answers from `Reference.outputs` (the same code `eval` runs), and the files are written by
// the deterministic `JSONWriter` (sorted keys, shortest round-trip numbers, no timestamps).
import Foundation
import RamboOfficial
import RamboReference
import Support

enum GenerateCommand {
    static let generator = "swift run rambo-reference generate --out Data/reference"

    static let usage = """
        usage: rambo-reference generate --out DIR

        Writes DIR/<op>.json for every op (rank, rank_backward, recall_loss, ap_loss, map_loss, recall_at_k,
        map_at_r, average_precision): Wycheproof-style groups of tests with flags, inputs, expected answers and
        per-test tolerances. The output is the same byte for byte on every run.
        """

    static func run(_ arguments: [String]) -> Never {
        let (values, _) = Console.options(arguments, allowed: ["out"], positional: 0, usage: usage)
        guard let out = values["out"], !out.isEmpty else { Console.fail("generate needs --out DIR; see --help") }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            Console.fail("cannot create the folder '\(out)': \(error.localizedDescription)")
        }
        var builder = VectorBuilder()
        Generators.all(&builder)
        // Every file is written under a temporary name first; only when all are complete are they renamed into
        // place, so a failure (a full disk, a size limit) leaves no partial set and no half-written file.
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        var staged = [(temporary: URL, final: URL)]()
        func discardStaged() { for file in staged { Output.discard(file.temporary) } }
        for op in ReferenceOp.allCases {
            let final = folder.appendingPathComponent("\(op.rawValue).json")
            let temporary = Output.temporaryURL(for: final)
            do {
                try Output.writeNew(Data(builder.fileText(op: op).utf8), to: temporary)
            } catch {
                discardStaged()
                let reason = (error as? OutputError)?.reason ?? "\(error)"
                Console.fail("cannot write \(final.path): \(reason); no vector file was written")
            }
            staged.append((temporary, final))
        }
        for (index, file) in staged.enumerated() {
            do {
                try Output.moveIntoPlace(file.temporary, file.final)
            } catch {
                for rest in staged[(index + 1)...] { Output.discard(rest.temporary) }
                Console.fail("\(error)")
            }
        }
        var total = 0
        for op in ReferenceOp.allCases {
            let count = builder.count(op)
            total += count
            print("\(op.rawValue).json: \(count) tests")
        }
        print("\(total) tests in \(out)")
        exit(0)
    }
}

/// Collects the tests of every op, computing expected answers with `Reference.outputs`.
struct VectorBuilder {
    private var groups: [ReferenceOp: [Convention: [ReferenceVector]]] = [:]

    func count(_ op: ReferenceOp) -> Int { groups[op]?.values.reduce(0) { $0 + $1.count } ?? 0 }

    private mutating func append(_ test: ReferenceVector) {
        var test = test
        let number = (groups[test.op]?[test.convention]?.count ?? 0) + 1
        test.id =
            "\(test.op.rawValue)/\(test.convention.rawValue)/"
            + String(repeating: "0", count: max(0, 3 - String(number).count)) + String(number)
        groups[test.op, default: [:]][test.convention, default: []].append(test)
    }

    /// Adds a valid test if its answer is robust (see `robust`); returns whether it was added.
    ///
    /// A `required` (hand-picked) case that sits on a near-tie is retried with λ scaled by 3/4, 5/4, 1/2 and 2
    /// (the λ written is the one used); the generator stops if none is robust.
    @discardableResult
    mutating func valid(
        _ op: ReferenceOp, _ convention: Convention, _ flags: [String], _ comment: String = "",
        _ inputs: [String: JSONValue], required: Bool = true
    ) -> Bool {
        if required, let lambda = inputs["lambda"]?.doubleValue {
            for factor in [1, 0.75, 1.25, 0.5, 2] {
                var scaled = inputs
                scaled["lambda"] = .number(lambda * factor)
                if valid(op, convention, flags, comment, scaled, required: false) { return true }
            }
        }
        // Official answers depend on the authors' tie order, which is determined only in lists of at most 16
        // items: the audit records every exact tie the official ranking meets (margin-made and perturbed ties
        // included), so such cases carry the "ties" flag and ties in longer lists are refused.
        let audit = OfficialRanking.TieAudit()
        let expected: [String: JSONValue]
        do {
            expected = try OfficialRanking.$audit.withValue(convention == .official ? audit : nil) {
                try Reference.outputs(op: op, convention: convention, inputs: inputs)
            }
        } catch {
            Console.fail("internal: a generated \(op.rawValue) case is invalid: \(error) (\(comment))", code: 3)
        }
        guard audit.longestTiedList <= OfficialRanking.determinedTieLength else {
            if required {
                Console.fail(
                    "internal: \(op.rawValue) case '\(comment)' ties in a list of \(audit.longestTiedList) "
                        + "items, where the authors' tie order is not determined", code: 3)
            }
            return false
        }
        var flags = flags
        if audit.longestTiedList > 0, !flags.contains("ties") { flags.append("ties") }
        guard robust(op, convention, inputs, expected) else {
            if required { Console.fail("internal: \(op.rawValue) case '\(comment)' sits on a near-tie", code: 3) }
            return false
        }
        let (rtol, atol): (Double, Double)
        switch (op, convention) {
        case (.rank, .paper): (rtol, atol) = (0, 0)
        case (_, .official): (rtol, atol) = ReferenceVectors.officialTolerance
        default: (rtol, atol) = (1e-12, 1e-12)
        }
        append(
            ReferenceVector(
                id: "", op: op, convention: convention, flags: flags.sorted(), comment: comment,
                inputs: inputs, expected: expected, rtol: rtol, atol: atol))
        return true
    }

    /// Adds a test whose inputs a port must reject; the expected error is the reference's message.
    mutating func invalid(
        _ op: ReferenceOp, _ convention: Convention, _ flags: [String], _ comment: String,
        _ inputs: [String: JSONValue]
    ) {
        let answer = Reference.answer(
            case: ReferenceVector(
                id: "x", op: op, convention: convention, flags: [], inputs: inputs, expected: [:], rtol: 0, atol: 0
            ).caseValue)
        guard let message = answer["error"]?.stringValue else {
            Console.fail("internal: the invalid \(op.rawValue) case '\(comment)' was answered", code: 3)
        }
        append(
            ReferenceVector(
                id: "", op: op, convention: convention, flags: (flags + ["invalid"]).sorted(),
                comment: comment, valid: false, inputs: inputs, expected: ["error": .string(message)],
                rtol: 0, atol: 0))
    }

    /// Whether a gradient stays the same (up to the 1/λ scaling) when λ moves by ±1e-6 relative: then no two
    /// entries of the perturbed scores y + λ·g sit closer than rounding differences between ports could flip.
    /// Exact ties (equal g) are kept; near-ties are rejected.
    private func robust(
        _ op: ReferenceOp, _ convention: Convention, _ inputs: [String: JSONValue],
        _ expected: [String: JSONValue]
    ) -> Bool {
        guard [.recallLoss, .apLoss, .mapLoss].contains(op), let lambda = inputs["lambda"]?.doubleValue,
            let grad = expected["grad"]
        else { return true }
        let g = flatten(grad)
        let size = g.map(\.magnitude).max() ?? 0
        for factor in [1 + 1e-6, 1 - 1e-6] {
            var moved = inputs
            moved["lambda"] = .number(lambda * factor)
            guard let other = try? Reference.outputs(op: op, convention: convention, inputs: moved),
                let otherGrad = other["grad"]
            else { return false }
            let scale = convention == .paper ? factor : (lambda * factor + 1e-8) / (lambda + 1e-8)
            let h = flatten(otherGrad)
            // Official gradients are Float32 (relative rounding 6e-8): a rank change moves an entry by ≥ size/n².
            let allowed = (convention == .paper ? 1e-9 : 1e-5) * size
            for i in g.indices where (g[i] - h[i] * scale).magnitude > allowed { return false }
        }
        return true
    }

    private func flatten(_ v: JSONValue) -> [Double] {
        switch v {
        case .array(let a): return a.flatMap(flatten)
        default: return v.doubleValue.map { [$0] } ?? []
        }
    }

    /// The text of one op's file.
    func fileText(op: ReferenceOp) -> String {
        let byConvention = groups[op] ?? [:]
        var usedFlags = Set<String>()
        var groupValues = [JSONValue]()
        for convention in Convention.allCases {
            guard let tests = byConvention[convention], !tests.isEmpty else { continue }
            for t in tests { usedFlags.formUnion(t.flags) }
            groupValues.append(
                .object([
                    "op": .string(op.rawValue), "convention": .string(convention.rawValue),
                    "tests": .array(tests.map(\.testValue)),
                ]))
        }
        var notes = [String: JSONValue]()
        for flag in usedFlags {
            guard let note = FlagNotes.notes[flag] else {
                Console.fail("internal: flag '\(flag)' has no note", code: 3)
            }
            notes[flag] = .string(note)
        }
        let file: JSONValue = .object([
            "schema_version": .integer(ReferenceVectors.schemaVersion),
            "generator": .string(GenerateCommand.generator),
            "op": .string(op.rawValue),
            "description": .string(FlagNotes.descriptions[op]!),
            "tolerance": .string("a number passes when |answer − expected| ≤ atol + rtol·|expected|"),
            "notes": .object(notes),
            "number_of_tests": .integer(count(op)),
            "test_groups": .array(groupValues),
        ])
        return JSONWriter.pretty(file) + "\n"
    }
}

/// Deterministic draws: SplitMix64 and integer arithmetic only, so every toolchain gives the same inputs.
struct Draw {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// A whole number in `range` (modulo reduction: a negligible bias, but fixed forever).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(rng.next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// A dyadic score k/256 in [-4, 4]: exact in binary and in JSON text, so margins and ties are exact.
    mutating func score() -> Double { Double(int(-1024...1024)) / 256 }

    /// A score from only `levels` values (0, 0.5, 1, ...): many ties.
    mutating func tiedScore(levels: Int = 4) -> Double { Double(int(0...(levels - 1))) / 2 }

    /// A dyadic upstream k/16 in [-2, 2].
    mutating func upstream() -> Double { Double(int(-32...32)) / 16 }

    /// 1 with probability `percent`/100.
    mutating func bit(percent: Int) -> Double { int(0...99) < percent ? 1 : 0 }

    mutating func pick<T>(_ values: [T]) -> T { values[int(0...(values.count - 1))] }

    mutating func scores(_ n: Int) -> [Double] { (0..<n).map { _ in score() } }
    mutating func matrix(_ rows: Int, _ columns: Int) -> [[Double]] { (0..<rows).map { _ in scores(columns) } }
    mutating func bits(_ rows: Int, _ columns: Int, percent: Int) -> [[Double]] {
        (0..<rows).map { _ in (0..<columns).map { _ in bit(percent: percent) } }
    }
}
