import Foundation
import Rambo
import RamboReference
import Testing

/// `cases`, `eval` and `verify` on a selection (`--op`, `--convention`), and `verify` refusing to pass when
/// nothing is checked.
@Suite(.serialized) struct VerifySelectionTests {
    @Test func casesCarryFlagsAndValidityAndFilterByConvention() throws {
        let run = try Tool.run(["cases", "--vectors", Tool.vectors.path, "--convention", "official"])
        #expect(run.status == 0, "\(run.stderr)")
        let cases = try JSONParser.parse(run.stdout)["cases"]!.arrayValue!
        // The 138 official tests and the 91 metric tests (one definition: either convention selects them).
        let metric = cases.filter { ReferenceOp(rawValue: $0["op"]!.stringValue!)!.hasOneDefinition }
        let official = cases.filter { $0["convention"] == .string("official") }
        #expect(cases.count == 229 && official.count == 138 && metric.count == 91)
        #expect(cases.allSatisfy { $0["flags"]?.arrayValue != nil })
        #expect(official.filter { $0["result"] == .string("invalid") }.count == 1)
        #expect(official.filter { $0["result"] == .string("valid") }.count == 137)
        // Every tie-dependent official case is flagged, and none ties in a list over 16 items.
        #expect(
            cases.contains {
                $0["id"] == .string("recall_loss/official/004") && $0["flags"]!.arrayValue!.contains(.string("ties"))
            })
        let bad = try Tool.run(["cases", "--vectors", Tool.vectors.path, "--convention", "torch"])
        #expect(bad.status == 2 && bad.stderr.contains("unknown convention"))
    }

    @Test func verifyJudgesOnlyTheSelection() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Answers to every case, checked for one op and one convention: no "no answer", no unknown ids.
        let all = try Tool.run(["cases", "--vectors", Tool.vectors.path])
        try Tool.write(all.stdout, to: dir.appendingPathComponent("cases.json"))
        let eval = try Tool.run(["eval", dir.appendingPathComponent("cases.json").path])
        try Tool.write(eval.stdout, to: dir.appendingPathComponent("results.json"))
        let verify = try Tool.run([
            "verify", "--vectors", Tool.vectors.path, "--op", "rank", "--convention", "official",
            "--results", dir.appendingPathComponent("results.json").path,
        ])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(
            !verify.stdout.contains("not in the vectors") && !verify.stdout.contains("no answer"), "\(verify.stdout)")
        #expect(verify.stdout.contains("24 passed, 0 failed"), "\(verify.stdout)")

        // Answers to the official cases only (eval --convention), checked for the official convention.
        let official = try Tool.run(["eval", "--convention", "official", dir.appendingPathComponent("cases.json").path])
        #expect(official.status == 1)  // the one invalid official case errs
        let answers = try JSONParser.parse(official.stdout)["results"]!.arrayValue!
        #expect(answers.count == 229)
        try Tool.write(official.stdout, to: dir.appendingPathComponent("official.json"))
        let checked = try Tool.run([
            "verify", "--vectors", Tool.vectors.path, "--convention", "official",
            "--results", dir.appendingPathComponent("official.json").path,
        ])
        #expect(checked.status == 0 && checked.stdout.hasSuffix("229 passed, 0 failed\n"), "\(checked.stdout)")
        // The metrics under the official convention: selected, judged, and one row "any" in the table.
        let metric = try Tool.run([
            "verify", "--vectors", Tool.vectors.path, "--convention", "official", "--op", "recall_at_k",
            "--results", dir.appendingPathComponent("official.json").path,
        ])
        #expect(metric.status == 0, "\(metric.stdout)\(metric.stderr)")
        #expect(metric.stdout.contains("recall_at_k       any              32       0"), "\(metric.stdout)")
        #expect(metric.stdout.hasSuffix("32 passed, 0 failed\n"), "\(metric.stdout)")
        // The same answers judged against every vector: the paper tests have no answer.
        let everything = try Tool.run([
            "verify", "--vectors", Tool.vectors.path,
            "--results", dir.appendingPathComponent("official.json").path,
        ])
        #expect(everything.status == 1 && everything.stdout.contains("no answer"))
    }

    @Test func verifyFailsWhenNothingIsChecked() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Tool.write("{\"results\": []}", to: dir.appendingPathComponent("results.json"))
        // A folder with only the rank vectors has no ap_loss test: an empty selection is an error, not "0 passed,
        // 0 failed".
        let ranksOnly = dir.appendingPathComponent("ranks-only")
        try FileManager.default.createDirectory(at: ranksOnly, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Tool.vectors.appendingPathComponent("rank.json"), to: ranksOnly.appendingPathComponent("rank.json"))
        let empty = try Tool.run([
            "verify", "--vectors", ranksOnly.path, "--op", "ap_loss",
            "--results", dir.appendingPathComponent("results.json").path,
        ])
        #expect(empty.status == 2 && empty.stderr.contains("nothing would be checked"), "\(empty.stderr)")
        #expect(throws: ReferenceFileError.self) {
            try ReferenceVectors.verify([], results: .object(["results": .array([])]))
        }

        // A vector whose expected answer is {} or NaN would pass any answer: the file is refused.
        for (name, expected) in [
            ("empty", "{}"), ("nan", "{\"ranks\": [NaN]}"), ("nulls", "{\"loss\": null, \"grad\": null}"),
        ] {
            let folder = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let op = name == "nulls" ? "ap_loss" : "rank"
            let vector = """
                {"schema_version": 1, "test_groups": [{"op": "\(op)", "convention": "paper", "tests": [
                  {"id": "x", "flags": [], "result": "valid", "inputs": {"scores": [1]}, "expected": \(expected),
                   "rtol": 0, "atol": 0}]}]}
                """
            try Tool.write(vector, to: folder.appendingPathComponent("\(op).json"))
            let run = try Tool.run([
                "verify", "--vectors", folder.path, "--results", dir.appendingPathComponent("results.json").path,
            ])
            #expect(run.status == 2 && run.stderr.contains("test x"), "\(name): \(run.status) \(run.stderr)")
        }
    }

    @Test func verifyAcceptsNullNaNOrTheStringNaNWhereNullIsExpected() throws {
        let test = ReferenceVector(
            id: "n", op: .apLoss, convention: .official, flags: [], inputs: [:],
            expected: ["loss": .null, "grad": JSONValue([[0.0, 0.0]])], rtol: 1e-6, atol: 1e-9)
        for loss: JSONValue in [.null, .number(.nan), .string("NaN")] {
            #expect(
                ReferenceVectors.compare(test, answer: .object(["loss": loss, "grad": JSONValue([[0.0, -0.0]])])).passed
            )
        }
        #expect(
            !ReferenceVectors.compare(test, answer: .object(["loss": .number(0), "grad": JSONValue([[0.0, 0.0]])]))
                .passed)
        // An expected number is never matched by NaN.
        let number = ReferenceVector(
            id: "m", op: .rank, convention: .official, flags: [], inputs: [:],
            expected: ["ranks": JSONValue([1.0])], rtol: 1e-6, atol: 1e-9)
        #expect(!ReferenceVectors.compare(number, answer: .object(["ranks": JSONValue([Double.nan])])).passed)
    }
}
