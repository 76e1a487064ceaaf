import Foundation

/// One runtime check of a claim the chapter makes.
public struct CheckResult: Codable, Sendable, Equatable {
    public let name: String
    public let passed: Bool
    public let detail: String
}

/// What a chapter run leaves in `DIR/summary.json`:
/// `{"chapter": "chNN", "checks": [{"name", "passed", "detail"}], "metrics": {DATASET: {METHOD: {METRIC: value}}}}`
/// plus the chapter's title, its figures and its wall-clock seconds.
public struct Summary: Codable, Sendable {
    public var chapter: String
    public var title: String
    public var checks: [CheckResult] = []
    public var metrics: [String: [String: [String: Double]]] = [:]
    public var figures: [String] = []
    public var seconds: Double = 0
    public var quick: Bool = false

    public init(chapter: String, title: String) {
        self.chapter = chapter
        self.title = title
    }

    /// Pretty, key-sorted JSON (stable across runs for the same results).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func read(from url: URL) throws -> Summary {
        try JSONDecoder().decode(Summary.self, from: Data(contentsOf: url))
    }
}
