import Foundation
import Rambo
import RamboReference
import Testing

/// The points SPEC.md settles that a vector file cannot hold (the text of a number, the type of an id, a
/// duplicate key), checked on the literal JSON text a port would send.
struct SpecPointsTests {
    static func answer(_ text: String) throws -> JSONValue {
        Reference.answer(case: try JSONParser.parse(text))
    }

    /// Every number is the Float64 nearest to its text, and the checks apply to that double, alike for relevance,
    /// labels and k: 0.99999999999999999 reads as 1 everywhere; 2^53 + 1 reads as 2^53 and is refused as a label.
    @Test func numbersAreReadAsTheirNearestDoubleInEveryField() throws {
        let ap = try Self.answer(
            #"{"id": "a", "op": "average_precision", "scores": [2, 1], "relevance": [0.99999999999999999, 1e0]}"#)
        #expect(ap["ap"] == .number(1))
        let recall = try Self.answer(
            #"{"id": "r", "op": "recall_at_k", "embeddings": [[1, 0], [1, 0.5], [0, 1]], "#
                + #""labels": [0.99999999999999999, 1e0, 2.0], "k": [1e0, 1.0]}"#)
        #expect(recall["recall_at_k"] == .object(["1": .number(1)]))
        for label in ["9007199254740993", "9007199254740992.0", "4503599627370495.5", "true"] {
            let refused = try Self.answer(
                #"{"id": "l", "op": "map_at_r", "embeddings": [[1, 0], [0, 1]], "labels": [0, "# + label + "]}")
            #expect(refused["error"] != nil, "label \(label) was accepted")
        }
        let zero = try Self.answer(
            #"{"id": "k", "op": "recall_at_k", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0], "k": [0.4e0]}"#)
        #expect(zero["error"] != nil)
    }

    /// An id is a string or a finite number; any other id answers an error and is echoed as given.
    @Test func idsAreStringsOrFiniteNumbers() throws {
        for id in [#""x""#, "7", "2.5", "-0.0"] {
            let answered = try Self.answer(#"{"id": "# + id + #", "op": "rank", "scores": [1, 2]}"#)
            let given = try JSONParser.parse(id)
            #expect(answered["ranks"] != nil && answered["id"] == given, "id \(id)")
        }
        for id in ["true", "null", "[1]", #"{"a": 1}"#] {
            let refused = try Self.answer(#"{"id": "# + id + #", "op": "rank", "scores": [1, 2]}"#)
            let given = try JSONParser.parse(id)
            #expect(refused["error"] != nil && refused["id"] == given, "id \(id)")
        }
        let nan = try Self.answer(#"{"id": NaN, "op": "rank", "scores": [1, 2]}"#)
        #expect(nan["error"] != nil && nan["id"] == .null)
        #expect(try Self.answer(#"{"op": "rank", "scores": [1, 2]}"#)["error"] != nil)
    }

    /// A duplicate key anywhere makes the whole text invalid, not one case.
    @Test func aDuplicateKeyRejectsTheWholeFile() {
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(#"{"cases": [{"id": "a", "op": "rank", "scores": [1], "scores": [2]}]}"#)
        }
    }

    /// An output that overflows is an error, not an answer: −(1 − 2)/5e-324 = ∞.
    @Test func anOverflowingGradientIsAnError() throws {
        let overflow = try Self.answer(
            #"{"id": "g", "op": "rank_backward", "scores": [0, 0], "upstream": [-1, 1], "lambda": 5e-324}"#)
        #expect(overflow["error"]?.stringValue?.contains("not finite") == true)
        let fine = try Self.answer(
            #"{"id": "g", "op": "rank_backward", "scores": [0, 0], "upstream": [-1, 1], "lambda": 1e-300}"#)
        #expect(fine["grad"] == JSONValue([1 / 1e-300, -1 / 1e-300]))
    }
}
