import Foundation
import Rambo
import RamboReference
import Testing

/// The reference held against the libraries porters already trust (`Tests/ReferenceTests/Fixtures/ecosystem.json`,
/// written by `make ecosystem` from pytorch-metric-learning, scikit-learn, torchmetrics, SupRank's BlackBoxAPLoss
/// and torch). No PyPI package is needed here: the libraries' answers are frozen. Every entry claims that the
/// reference agrees with the library within the entry's tolerance, or that it does not, and then names a reference
/// case that reproduces the library's answer (the difference, explained). docs/ecosystem.md is the table.
@Suite struct EcosystemFixtureTests {
    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ecosystem.json")

    static func load() throws -> JSONValue {
        try JSONParser.parse(bytes: [UInt8](try Data(contentsOf: fixtureURL)))
    }

    static func matches(_ testCase: JSONValue, _ answer: JSONValue, rtol: Double, atol: Double) -> Bool {
        ReferenceVectors.referenceAnswers(testCase, with: answer, rtol: rtol, atol: atol)
    }

    @Test func theFixtureNamesItsLibrariesAndVersions() throws {
        let provenance = try Self.load()["provenance"] ?? .null
        for library in ["torch", "pytorch-metric-learning", "scikit-learn", "torchmetrics", "numpy", "python"] {
            #expect(provenance[library]?.stringValue?.isEmpty == false, "\(library) has no version")
        }
        #expect(provenance["SupRank"]?["commit"]?.stringValue == "d3d0e3cbceee3e8f295fd411daecbe33c1b881bb")
        #expect(provenance["SupRank"]?["sha256"]?.stringValue?.count == 64)
        // torchmetrics' RetrievalMAP drops items scored ≤ 0 from version 1.9 on: the entries below are that.
        #expect(provenance["torchmetrics"]?.stringValue?.hasPrefix("1.") == true)
    }

    @Test func everyClaimOfTheFixtureHolds() throws {
        let entries = try Self.load()["entries"]?.arrayValue ?? []
        #expect(entries.count >= 200)
        var tally = [String: (agree: Int, differ: Int)]()
        for entry in entries {
            let library = entry["library"]?.stringValue ?? "?"
            let op = entry["op"]?.stringValue ?? "?"
            let comment = entry["comment"]?.stringValue ?? ""
            let answer = entry["library_answer"] ?? .null
            let rtol = entry["rtol"]?.doubleValue ?? 0
            let atol = entry["atol"]?.doubleValue ?? 0
            let agrees = entry["agrees"] == .bool(true)
            let same = Self.matches(entry["case"] ?? .null, answer, rtol: rtol, atol: atol)
            #expect(same == agrees, "\(library) \(op), \(comment): the reference \(same ? "agrees" : "differs")")
            if let explanation = entry["explained_by"] {
                #expect(
                    Self.matches(explanation, answer, rtol: rtol, atol: atol),
                    "\(library) \(op), \(comment): the explanation does not reproduce \(JSONWriter.compact(answer))")
            }
            let key = "\(library) \(op)"
            var row = tally[key] ?? (0, 0)
            if same { row.agree += 1 } else { row.differ += 1 }
            tally[key] = row
        }
        // Each library agrees on its untied random cases, and each documented difference is there.
        for key in [
            "pytorch-metric-learning recall_at_k", "pytorch-metric-learning map_at_r", "scikit-learn average_precision",
            "torchmetrics recall_at_k", "torchmetrics average_precision", "SupRank ap_loss",
        ] {
            #expect((tally[key]?.agree ?? 0) >= 30, "\(key): \(String(describing: tally[key]))")
        }
        for key in ["scikit-learn average_precision", "torchmetrics average_precision", "SupRank ap_loss"] {
            #expect((tally[key]?.differ ?? 0) >= 1, "\(key) shows no difference")
        }
    }

    /// torch.sqrt on float64 is not correctly rounded on every CPU: the recorded input's square root, rounded
    /// correctly (IEEE, as Swift's squareRoot and Python's math.sqrt give it), is one ulp from torch's.
    @Test func torchSqrtIsOneUlpOffOnTheRecordedInput() throws {
        let sqrt = try Self.load()["sqrt"] ?? .null
        let differ = sqrt["differ"]?.doubleValue ?? 0
        let inputs = sqrt["inputs"]?.doubleValue ?? 0
        #expect(inputs >= 100_000 && sqrt["max_ulps"]?.doubleValue ?? 9 <= 1)
        guard differ > 0 else { return }  // a machine whose torch rounds correctly records no example
        let example = sqrt["example"] ?? .null
        let x = try #require(example["input"]?.doubleValue)
        let correct = try #require(example["correctly_rounded"]?.doubleValue)
        let torch = try #require(example["torch"]?.doubleValue)
        #expect(x.squareRoot() == correct)
        #expect(torch == correct.nextUp || torch == correct.nextDown)
    }
}
