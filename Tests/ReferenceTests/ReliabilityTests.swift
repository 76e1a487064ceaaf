import Foundation
import Rambo
import RamboReference
import Testing

/// Faults found by fuzzing the reference: each class as a test (ids and strings, labels, limits, bounded work).
@Suite(.serialized) struct ReliabilityTests {
    @Test func invalidUnicodeIsRefusedNeverCollapsedToTheReplacementCharacter() throws {
        // A lone surrogate escape and invalid UTF-8 bytes would both read as U+FFFD: two ids would become one.
        for text in [#""\uD800""#, #""\udc00""#, #""a\uD83Db""#] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(text) }
        }
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParseError.self, "\(bytes)") { try JSONParser.parse(bytes: bytes) }
        }
        // A proper pair and U+FFFD itself are fine and distinct.
        #expect(try JSONParser.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""\uFFFD""#) == .string("\u{FFFD}"))
        // The tool: a cases file with such an id is refused as a whole (exit 2), nothing is answered.
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ids.json")
        try Data(#"{"cases": [{"id": "\uD800", "op": "rank", "scores": [1]}]}"#.utf8).write(to: url)
        let run = try Tool.run(["eval", url.path])
        #expect(run.status == 2 && run.stderr.contains("surrogate") && run.stdout.isEmpty, "\(run.stderr)")
    }

    @Test func nonFiniteIdsAreNeverEchoedAsInvalidJSON() throws {
        for id: JSONValue in [.number(.nan), .number(.infinity), .number(-.infinity)] {
            let answer = Reference.answer(case: .object(["id": id, "op": .string("rank"), "scores": JSONValue([1.0])]))
            #expect(answer["id"] == .null)
            #expect(answer["error"]?.stringValue?.contains("id is") == true)
            // Strict JSON (JSONSerialization refuses bare NaN and Infinity).
            let text = JSONWriter.compact(answer)
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "\(text)")
        }
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("nan-id.json")
        try Tool.write(
            #"{"cases": [{"id": NaN, "op": "rank", "scores": [1]}, {"id": Infinity, "op": "rank", "scores": [1]}]}"#,
            to: url)
        let run = try Tool.run(["eval", url.path])
        #expect(run.status == 1)
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]  // strict JSON
        let results = parsed?["results"] as? [[String: Any]] ?? []
        #expect(results.count == 2 && results.allSatisfy { $0["id"] is NSNull && $0["error"] != nil })
    }

    @Test func labelsBeyondTwoToThe53AreRefusedNotRounded() throws {
        func answer(_ label: String) throws -> JSONValue {
            Reference.answer(
                case: try JSONParser.parse(
                    #"{"id": 1, "op": "map_at_r", "embeddings": [[1, 0], [0.5, 0.5], [0, 1]], "labels": [\#(label), \#(label), 0]}"#
                ))
        }
        for label in ["9007199254740993", "9007199254740992", "-9007199254740993", "9007199254740993.0", "1e300"] {
            #expect(try answer(label)["error"]?.stringValue?.contains("2^53") == true, "\(label)")
        }
        #expect(try answer("9007199254740991")["map_at_r"]?.doubleValue == 1)
        #expect(try answer("-9007199254740991")["error"] == nil)
    }

    @Test func limitsAreCheckedWhileParsing() throws {
        // The parser stops at the limit instead of building the whole value.
        let eleven = "[" + Array(repeating: "1", count: 11).joined(separator: ",") + "]"
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: Array(eleven.utf8), maximumValues: 10) }
        #expect(try JSONParser.parse(bytes: Array(eleven.utf8), maximumValues: 11).arrayValue?.count == 11)
        // The tool: a file with more values than the per-file limit is refused with one line, exit 2.
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "{\"cases\": [{\"id\": 1, \"op\": \"rank\", \"scores\": ["
        text += String(repeating: "1,", count: Reference.maximumFileValues) + "1]}]}"
        let url = dir.appendingPathComponent("huge.json")
        try Tool.write(text, to: url)
        let run = try Tool.run(["eval", url.path])
        #expect(run.status == 2 && run.stderr.contains("limit"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func retrievalWorkIsBoundedAndRepeatedKValuesCountOnce() throws {
        // 2,000 copies of a few k values: each distinct k is computed and answered once.
        let ks = (0..<2000).map { JSONValue.integer([1, 2, 4][$0 % 3]) }
        let embeddings = JSONValue([[1.0, 0], [0.75, 0.5], [0, 1], [-0.5, 0.75]])
        let answer = Reference.answer(
            case: .object([
                "id": .integer(1), "op": .string("recall_at_k"), "embeddings": embeddings,
                "labels": .array([0, 1, 1, 0].map(JSONValue.integer)), "k": .array(ks),
            ]))
        #expect(answer["recall_at_k"] == .object(["1": .number(0), "2": .number(0.5), "4": .number(1)]), "\(answer)")
        // N²·d over the cap: refused before any work, with the cap in the message.
        let n = 4096
        let d = 200
        let big = JSONValue((0..<n).map { i in (0..<d).map { Double(($0 * 7 + i) % 13) + 1 } })
        let refused = Reference.answer(
            case: .object([
                "id": .integer(2), "op": .string("map_at_r"), "embeddings": big,
                "labels": .array((0..<n).map { .integer($0 % 5) }),
            ]))
        #expect(
            refused["error"]?.stringValue?.contains("at most \(Reference.maximumRetrievalCost)") == true,
            "\(refused["error"] ?? .null)")
        // The cap is stated in `eval --help`.
        let help = try Tool.run(["eval", "--help"])
        #expect(help.stdout.contains("\(Reference.maximumRetrievalCost)") && help.stdout.contains("distinct k"))
    }
}
