import Foundation
import Rambo
import RamboReference
import Testing

/// The reference logic in `Rambo` (JSON, ops, comparison), in-process.
struct LibraryTests {
    static func answer(_ text: String) throws -> JSONValue {
        Reference.answer(case: try JSONParser.parse(text))
    }

    @Test func answersMatchValuesWorkedOutByHand() throws {
        #expect(
            try Self.answer(#"{"id": 1, "op": "rank", "scores": [0.3, 0.9, -0.1, 0.5]}"#)["ranks"]
                == .array([3, 1, 4, 2].map(JSONValue.integer)))
        #expect(
            try Self.answer(#"{"id": 1, "op": "rank", "convention": "official", "scores": [0.3, 0.9, -0.1, 0.5]}"#)[
                "ranks"]
                == JSONValue([0.75, 0.25, 1, 0.5]))
        let ap = try Self.answer(
            #"{"id": 1, "op": "ap_loss", "scores": [[5, 4, 3, 2, 1]], "relevance": [[1, 0, 1, 0, 1]], "lambda": 1}"#)
        #expect(abs(ap["loss"]!.doubleValue! - 11.0 / 45) < 1e-15)
        let official = try Self.answer(
            #"{"id": 1, "op": "ap_loss", "convention": "official", "scores": [[5, 4, 3, 2, 1]], "relevance": [[1, 0, 1, 0, 1]], "lambda": 1}"#
        )
        #expect(abs(official["loss"]!.doubleValue! - 0.24444696) < 1e-8)
        let quirk = try Self.answer(
            #"{"id": 1, "op": "recall_loss", "convention": "official", "scores": [[6, 5, 4, 3, 2, 1]], "relevance": [[0, 0, 1, 1, 0, 0]], "lambda": 1, "weighting": "identity"}"#
        )
        #expect(abs(quirk["loss"]!.doubleValue! - 1.0 / 3) < 1e-7)  // Float32 ranks
        let paper = try Self.answer(
            #"{"id": 1, "op": "recall_loss", "scores": [[6, 5, 4, 3, 2, 1]], "relevance": [[0, 0, 1, 1, 0, 0]], "lambda": 1, "weighting": "identity"}"#
        )
        #expect(paper["loss"] == .number(2))
        #expect(
            try Self.answer(#"{"id": 1, "op": "average_precision", "scores": [1, 2], "relevance": [0, 0]}"#)["ap"]
                == .null)
        #expect(
            try Self.answer(#"{"id": 1, "op": "map_at_r", "embeddings": [[1, 0], [0, 1]], "labels": [0, 1]}"#)[
                "map_at_r"] == .null)
        let recall = try Self.answer(
            #"{"id": 1, "op": "recall_at_k", "embeddings": [[1, 0], [0.75, 0.5], [0, 1], [-0.5, 0.75]], "labels": [0, 1, 1, 0], "k": [1, 3]}"#
        )
        // Every nearest neighbour has the other label; within 3 every query finds its class.
        #expect(recall["recall_at_k"] == .object(["1": .number(0), "3": .number(1)]))
        // The paper backward: y_λ = [1, 2, 1, 3] from y = [0, 1, 2, 3], g = [1, 1, −1, 0], λ = 1.
        let grad = try Self.answer(
            #"{"id": 1, "op": "rank_backward", "scores": [0, 1, 2, 3], "upstream": [1, 1, -1, 0], "lambda": 1}"#)[
                "grad"]
        #expect(grad == JSONValue(rankBackward(scores: [0, 1, 2, 3], upstream: [1, 1, -1, 0], lambda: 1)))
    }

    @Test func malformedCasesAnswerWithErrorsInProcess() throws {
        for c in MalformedCases.all {
            let answer = try Self.answer("{\"id\": \"\(c.id)\", \(c.body)}")
            #expect(answer["id"]?.stringValue == c.id)
            #expect(answer["error"]?.stringValue?.contains(c.needle) == true, "\(c.id): \(JSONWriter.compact(answer))")
        }
        #expect(Reference.answer(case: .integer(3))["error"] != nil)
        #expect(Reference.answer(case: .array([]))["error"] != nil)
        #expect(
            Reference.answer(case: .object(["op": .string("rank"), "scores": JSONValue([1.0])]))["error"]
                == .string("missing field \"id\""))
    }

    @Test func oversizedCasesAreRefused() throws {
        let big = JSONValue([Double](repeating: 1, count: Reference.maximumNumbers + 1))
        let answer = Reference.answer(case: .object(["id": .integer(1), "op": .string("rank"), "scores": big]))
        #expect(answer["error"]?.stringValue?.contains("more than") == true)
        let many = JSONValue((0...Reference.maximumRetrievalItems).map { [Double($0 + 1), 1] })
        let retrieval = Reference.answer(
            case: .object([
                "id": .integer(1), "op": .string("map_at_r"), "embeddings": many,
                "labels": .array((0...Reference.maximumRetrievalItems).map { _ in .integer(0) }),
            ]))
        #expect(retrieval["error"]?.stringValue?.contains("at most") == true)
    }

    @Test func jsonRoundTripsNumbersExactly() throws {
        let values: [Double] = [
            0.1, 1e-5, -0.0, .leastNonzeroMagnitude, 1.7976931348623157e308, 2.0 / 3, 123456789.125, 1e16,
        ]
        let text = JSONWriter.compact(JSONValue(values))
        let back = try JSONParser.parse(text).arrayValue!.map { $0.doubleValue! }
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(
            JSONWriter.compact(.object(["b": .integer(1), "a": .null, "é": .string("x\"\n")]))
                == #"{"a": null, "b": 1, "é": "x\"\n"}"#)
        #expect(try JSONParser.parse("1e400") == .number(.infinity))
        #expect(try JSONParser.parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
        for bad in [
            "", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"abc", "[1] 2", "{\"a\": 1, \"a\": 2}", "tru", "\"\\x\"",
        ] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func theShippedVectorsPassInProcessAndAComparisonCatchesAWrongNumber() throws {
        var tests = [ReferenceVector]()
        for op in ReferenceOp.allCases {
            let url = Tool.vectors.appendingPathComponent("\(op.rawValue).json")
            let file = try JSONParser.parse(bytes: [UInt8](try Data(contentsOf: url)))
            let found = try ReferenceVectors.tests(in: file, name: url.lastPathComponent)
            #expect(!found.isEmpty && found.allSatisfy { $0.op == op })
            tests += found
        }
        #expect(tests.count >= 300)
        #expect(Set(tests.map(\.id)).count == tests.count, "ids are unique across files")
        let results = JSONValue.object(["results": .array(tests.map { Reference.answer(case: $0.caseValue) })])
        let report = try ReferenceVectors.verify(tests, results: results)
        #expect(report.failed == 0, "\(report.lines)")
        let flags = Set(tests.flatMap(\.flags))
        for flag in [
            "ties", "no-positive", "all-positive", "single-item", "large-lambda", "tiny-lambda", "margin-reorders",
            "memory-0", "memory-1", "memory-3", "interclass-0", "interclass-third", "weighting-log",
            "weighting-loglog", "singleton-class", "all-singletons", "row-count-quirk", "ap-epsilon", "invalid",
        ] {
            #expect(flags.contains(flag), "no vector is flagged \(flag)")
        }
        #expect(Set(tests.map(\.convention)) == [.paper, .official])

        // A rank off by one fails an exact test; a gradient off by 1e-6 fails rtol 1e-12.
        let rankTest = tests.first { $0.op == .rank && $0.convention == .paper && $0.valid }!
        var ranks = rankTest.expected["ranks"]!.arrayValue!
        ranks[0] = .integer(ranks[0].doubleValue.map { Int($0) + 1 }!)
        let outcome = ReferenceVectors.compare(
            rankTest, answer: .object(["id": .string(rankTest.id), "ranks": .array(ranks)]))
        #expect(!outcome.passed && outcome.maxAbsoluteError == 1)
        #expect(
            ReferenceVectors.failureLine(rankTest, outcome).hasPrefix(
                "FAIL rank \(rankTest.id) (paper): max abs error 1.0"))
        let shape = ReferenceVectors.compare(rankTest, answer: .object(["ranks": .array([])]))
        #expect(!shape.passed && shape.reason.contains("entries"))
        let invalid = tests.first { !$0.valid }!
        #expect(!ReferenceVectors.compare(invalid, answer: .object(["loss": .number(0)])).passed)
        #expect(ReferenceVectors.compare(invalid, answer: .object(["error": .string("any message")])).passed)
    }
}
