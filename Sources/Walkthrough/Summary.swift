import Foundation

/// The time one phase of a chapter took: a phase is one cell (`cell`, `appendix` or the older `section`), from its
/// call to the next (the first, named "set-up", from the start to the first cell). `seconds` is wall-clock time, what the reader waits; `cpuSeconds`
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
/// plus the chapter's title, its figures with their captions (`captions`, figure name → what to look at), its
/// wall-clock seconds, the time of each phase (`phases`, one per cell), the notebook's cells with what each printed
/// and drew (`cells`, see `CellRecord`) and the paper's claims set against this run's findings (`claims`).
/// `captions`, `phases`, `cells` and `claims` are absent from summaries written before they were recorded and read
/// as empty.
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
    public var cells: [CellRecord] = []
    public var claims: [ClaimRecord] = []

    public init(chapter: String, title: String) {
        self.chapter = chapter
        self.title = title
    }

    private enum CodingKeys: String, CodingKey {
        case chapter, title, checks, metrics, figures, captions, seconds, quick, phases, cells, claims
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
        cells = try c.decodeIfPresent([CellRecord].self, forKey: .cells) ?? []
        claims = try c.decodeIfPresent([ClaimRecord].self, forKey: .claims) ?? []
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
