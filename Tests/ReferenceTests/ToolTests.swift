import Foundation
import Rambo
import RamboReference
import Testing

/// The `rambo-reference` binary as a porter uses it.
@Suite(.serialized) struct ToolTests {
    @Test func regeneratingTheVectorsReproducesTheCommittedFilesByteForByte() throws {
        let out = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Tool.run(["generate", "--out", out.path])
        #expect(run.status == 0, "generate exited \(run.status): \(run.stderr)")
        let committed = try FileManager.default.contentsOfDirectory(atPath: Tool.vectors.path).filter {
            $0.hasSuffix(".json")
        }.sorted()
        let generated = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(committed == generated)
        #expect(committed == ReferenceOp.allCases.map { "\($0.rawValue).json" }.sorted())
        for name in generated {
            let a = try Data(contentsOf: out.appendingPathComponent(name))
            let b = try Data(contentsOf: Tool.vectors.appendingPathComponent(name))
            #expect(
                a == b,
                "\(name) differs from Data/reference/\(name): run `swift run rambo-reference generate --out Data/reference`"
            )
        }
    }

    @Test func everyShippedVectorPassesThroughEvalAndVerify() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try Tool.run(["cases", "--vectors", Tool.vectors.path])
        #expect(cases.status == 0, "\(cases.stderr)")
        try Tool.write(cases.stdout, to: dir.appendingPathComponent("cases.json"))
        let eval = try Tool.run(["eval", dir.appendingPathComponent("cases.json").path])
        // The vectors include inputs that must be rejected, so some cases err (exit 1) by design.
        #expect(eval.status == 1, "\(eval.stderr)")
        try Tool.write(eval.stdout, to: dir.appendingPathComponent("results.json"))
        let verify = try Tool.run([
            "verify", "--vectors", Tool.vectors.path, "--results", dir.appendingPathComponent("results.json").path,
        ])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let summary = verify.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(summary.hasSuffix(" passed, 0 failed"), "\(summary)")
        #expect((Int(summary.split(separator: " ")[0]) ?? 0) >= 300)

        // Only the valid tests: every case answers, exit 0.
        let valid = try Tool.run(["cases", "--vectors", Tool.vectors.path, "--valid-only"])
        try Tool.write(valid.stdout, to: dir.appendingPathComponent("valid.json"))
        let evalValid = try Tool.run(["eval", dir.appendingPathComponent("valid.json").path])
        #expect(evalValid.status == 0, "\(evalValid.stderr)")
    }

    @Test func verifyCatchesAPlantedWrongAnswerAndMissingIds() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try Tool.run(["cases", "--vectors", Tool.vectors.path, "--op", "ap_loss"])
        try Tool.write(cases.stdout, to: dir.appendingPathComponent("cases.json"))
        let eval = try Tool.run(["eval", dir.appendingPathComponent("cases.json").path])
        var results = try JSONParser.parse(eval.stdout)["results"]!.arrayValue!
        // Plant: change the loss of one case by 1e-9 (beyond rtol 1e-12), drop another case.
        let plantedIndex = results.firstIndex { $0["loss"] != nil }!
        var planted = results[plantedIndex].objectValue!
        let plantedID = planted["id"]!.stringValue!
        planted["loss"] = .number(planted["loss"]!.doubleValue! + 1e-9)
        results[plantedIndex] = .object(planted)
        let droppedID = results.removeLast()["id"]!.stringValue!
        try Tool.write(
            JSONWriter.compact(.object(["results": .array(results)])), to: dir.appendingPathComponent("results.json"))
        let verify = try Tool.run([
            "verify", "--vectors", Tool.vectors.path, "--op", "ap_loss",
            "--results", dir.appendingPathComponent("results.json").path,
        ])
        #expect(verify.status == 1)
        let lines = verify.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.contains {
                $0.hasPrefix("FAIL ap_loss \(plantedID) ") && $0.contains("max abs error") && $0.contains("rtol 1e-12")
            },
            "\(verify.stdout)")
        #expect(
            lines.contains { $0.hasPrefix("FAIL ap_loss \(droppedID) ") && $0.contains("no answer") },
            "\(verify.stdout)")
        #expect(lines.last?.hasSuffix(" passed, 2 failed") == true, "\(verify.stdout)")
    }

    @Test func badFilesGetOneLineAndExitTwo() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files: [(String, String, String)] = [
            ("not-json.json", "this is not json", "not valid JSON"),
            ("array.json", "[1, 2]", "expected an object"),
            ("no-cases.json", "{\"tests\": []}", "no \"cases\""),
            ("cases-number.json", "{\"cases\": 3}", "\"cases\" is a number"),
            ("deep.json", String(repeating: "[", count: 10_000), "nesting deeper"),
            ("trailing.json", "{\"cases\": []} x", "unexpected text"),
            ("duplicate.json", "{\"cases\": [], \"cases\": []}", "duplicate key"),
            ("empty.json", "", "unexpected end"),
        ]
        for (name, text, needle) in files {
            try Tool.write(text, to: dir.appendingPathComponent(name))
            let run = try Tool.run(["eval", dir.appendingPathComponent(name).path])
            #expect(run.status == 2, "\(name): exit \(run.status)")
            #expect(
                run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(needle), "\(name): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let missing = try Tool.run(["eval", dir.appendingPathComponent("missing.json").path])
        #expect(missing.status == 2 && missing.stderr.contains("does not exist"))
        let noVectors = try Tool.run([
            "verify", "--vectors", dir.appendingPathComponent("nowhere").path, "--results", "x.json",
        ])
        #expect(noVectors.status == 2 && noVectors.stderr.contains("does not exist"))
        let badResults = try Tool.run([
            "verify", "--vectors", Tool.vectors.path, "--results", dir.appendingPathComponent("array.json").path,
        ])
        #expect(
            badResults.status == 2 && badResults.stderr.contains("expected an object {\"results\""),
            "\(badResults.stderr)")
        for arguments in [
            ["eval"], ["bogus"], ["verify", "--results", "x"], ["generate"],
            ["cases", "--vectors", Tool.vectors.path, "--op", "nope"],
        ] {
            let run = try Tool.run(arguments)
            #expect(run.status == 2 && run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
        }
        for command in ["eval", "generate", "verify", "cases"] {
            let run = try Tool.run([command, "--help"])
            #expect(run.status == 0 && run.stdout.hasPrefix("usage: rambo-reference \(command)"), "\(command) --help")
        }
    }

    @Test func manyMalformedCasesInOneFileEachAnswerWithAnErrorNamingTheField() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text =
            "{\"cases\": [\n" + MalformedCases.all.map { "{\"id\": \"\($0.id)\", \($0.body)}" }.joined(separator: ",\n")
            + ",\n{\"id\": \"fine\", \"op\": \"rank\", \"scores\": [2, 1]}\n]}"
        try Tool.write(text, to: dir.appendingPathComponent("bad.json"))
        let run = try Tool.run(["eval", dir.appendingPathComponent("bad.json").path])
        #expect(run.status == 1, "\(run.stderr)")
        let results = try JSONParser.parse(run.stdout)["results"]!.arrayValue!
        #expect(results.count == MalformedCases.all.count + 1)
        for (expected, answer) in zip(MalformedCases.all, results) {
            #expect(answer["id"]?.stringValue == expected.id)
            let message = answer["error"]?.stringValue ?? "(no error)"
            #expect(message.contains(expected.needle), "\(expected.id): \(message)")
        }
        #expect(results.last == .object(["id": .string("fine"), "ranks": .array([.integer(1), .integer(2)])]))
    }
}
