import Foundation
import Rambo
import RamboReference
import Testing

/// The `official` convention against the frozen answers of the authors' code
/// (`Tests/ReferenceTests/Fixtures/authors-official.json`, written by `make oracle` from ranking.py, recall.py and
/// mAP.py run with torch). No torch is needed here: the numbers are the authors', committed.
@Suite struct AuthorsFixtureTests {
    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/authors-official.json")

    struct Entry {
        let source: String
        let testCase: JSONValue
        let answer: JSONValue
        var id: String { testCase["id"]?.stringValue ?? "?" }
    }

    static func load() throws -> (provenance: JSONValue, entries: [Entry]) {
        let file = try JSONParser.parse(bytes: [UInt8](try Data(contentsOf: fixtureURL)))
        let entries = (file["entries"]?.arrayValue ?? []).map {
            Entry(source: $0["source"]?.stringValue ?? "", testCase: $0["case"] ?? .null, answer: $0["answer"] ?? .null)
        }
        return (file["provenance"] ?? .null, entries)
    }

    /// The largest |a − e| / (1e-12 + |e|) over the numbers of two answers, or nil when their shapes, nulls or
    /// fields differ.
    static func distance(_ expected: JSONValue, _ actual: JSONValue) -> Double? {
        switch (expected, actual) {
        case (.null, .null): return 0
        case (.array(let e), .array(let a)):
            guard e.count == a.count else { return nil }
            var worst = 0.0
            for (x, y) in zip(e, a) {
                guard let d = distance(x, y) else { return nil }
                worst = max(worst, d)
            }
            return worst
        case (.object(let e), .object(let a)):
            var worst = 0.0
            for (key, x) in e where key != "id" {
                guard let y = a[key], let d = distance(x, y) else { return nil }
                worst = max(worst, d)
            }
            return worst
        default:
            guard let e = expected.doubleValue, let a = actual.doubleValue, e.isFinite, a.isFinite else { return nil }
            return (a - e).magnitude / (1e-12 + e.magnitude)
        }
    }

    @Test func theFixtureIsTheAuthorsCodeWithItsProvenance() throws {
        let (provenance, entries) = try Self.load()
        #expect(provenance["commit"]?.stringValue == "0152a6df8c819580d800b052ef17f39bdb82eb98")
        #expect(provenance["torch"]?.stringValue?.isEmpty == false)
        #expect(provenance["date"]?.stringValue?.isEmpty == false)
        #expect(provenance["nan"]?.stringValue?.contains("null") == true)
        #expect(entries.filter { $0.source == "random" }.count >= 200)
        #expect(
            entries.allSatisfy { $0.testCase["convention"]?.stringValue == "official" && $0.answer["error"] == nil })
    }

    /// Swift's official answer to every frozen case equals the authors' to 1e-9 relative: Float32 ranks and
    /// backward, their tie order (later index, lists of ≤ 16 items), NaN (null) without a positive.
    @Test func swiftOfficialAnswersWhatTheAuthorsCodeAnswers() throws {
        let (_, entries) = try Self.load()
        #expect(entries.count >= 337)
        var worst = 0.0
        for entry in entries {
            let mine = Reference.answer(case: entry.testCase)
            guard let d = Self.distance(entry.answer, mine) else {
                let authors = String(JSONWriter.compact(entry.answer).prefix(300))
                let swift = String(JSONWriter.compact(mine).prefix(300))
                Issue.record("\(entry.id): authors \(authors) vs swift \(swift)")
                continue
            }
            #expect(d <= 1e-9, "\(entry.id): relative difference \(d)")
            worst = max(worst, d)
        }
        #expect(worst <= 1e-9)
    }

    /// The authors' frozen answers pass every valid official vector, compared the way `verify` compares a port;
    /// and every official vector is in the fixture with the same inputs (else: `make oracle`).
    @Test func theAuthorsAnswersPassEveryOfficialVector() throws {
        let (_, entries) = try Self.load()
        var byID = [String: Entry]()
        for entry in entries where entry.source == "vector" { byID[entry.id] = entry }
        var tests = [ReferenceVector]()
        for op in ReferenceOp.allCases {
            let url = Tool.vectors.appendingPathComponent("\(op.rawValue).json")
            let file = try JSONParser.parse(bytes: [UInt8](try Data(contentsOf: url)))
            tests += try ReferenceVectors.tests(in: file, name: url.lastPathComponent)
        }
        let official = tests.filter { $0.convention == .official && $0.valid }
        #expect(official.count >= 130)
        for test in official {
            guard let entry = byID[test.id], entry.testCase == test.caseValue else {
                Issue.record("\(test.id) is not in the fixture with these inputs: refreeze it with `make oracle`")
                continue
            }
            let outcome = ReferenceVectors.compare(test, answer: entry.answer)
            #expect(outcome.passed, "\(test.id): \(outcome.reason)")
        }
    }
}
