import Foundation

/// The time one phase of a chapter took: a phase runs from one `section` heading to the next (the first, named
/// "set-up", from the start to the first heading). `seconds` is wall-clock time, what the reader waits; `cpuSeconds`
/// is the process's CPU time in the same span, which exceeds `seconds` when both cores work.
public struct PhaseTime: Codable, Sendable, Equatable {
    public let phase: String
    public let seconds: Double
    public let cpuSeconds: Double
}

/// One runtime check of a claim the chapter makes.
public struct CheckResult: Codable, Sendable, Equatable {
    public let name: String
    public let passed: Bool
    public let detail: String
}

/// What a chapter run leaves in `DIR/summary.json`:
/// `{"chapter": "chNN", "checks": [{"name", "passed", "detail"}], "metrics": {DATASET: {METHOD: {METRIC: value}}}}`
/// plus the chapter's title, its figures with their captions (`captions`, figure name → what to look at; absent in
/// older summaries, read as empty), its wall-clock seconds and the time of each phase (`phases`, one per section;
/// absent in summaries written before phases were recorded, read as empty).
public struct Summary: Codable, Sendable {
    public var chapter: String
    public var title: String
    public var checks: [CheckResult] = []
    public var metrics: [String: [String: [String: Double]]] = [:]
    public var figures: [String] = []
    /// Each figure's caption, as declared with the figure (`Figure.caption`).
    public var captions: [String: String] = [:]
    public var seconds: Double = 0
    public var quick: Bool = false
    public var phases: [PhaseTime] = []

    public init(chapter: String, title: String) {
        self.chapter = chapter
        self.title = title
    }

    private enum CodingKeys: String, CodingKey {
        case chapter, title, checks, metrics, figures, captions, seconds, quick, phases
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chapter = try c.decode(String.self, forKey: .chapter)
        title = try c.decode(String.self, forKey: .title)
        checks = try c.decode([CheckResult].self, forKey: .checks)
        metrics = try c.decode([String: [String: [String: Double]]].self, forKey: .metrics)
        figures = try c.decode([String].self, forKey: .figures)
        captions = try c.decodeIfPresent([String: String].self, forKey: .captions) ?? [:]
        seconds = try c.decode(Double.self, forKey: .seconds)
        quick = try c.decode(Bool.self, forKey: .quick)
        phases = try c.decodeIfPresent([PhaseTime].self, forKey: .phases) ?? []
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
