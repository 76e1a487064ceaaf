/// One chapter of the course: how `course`, the book and the chapter itself name it.
public struct ChapterInfo: Sendable {
    /// Executable name, "ch01".
    public let id: String
    /// Folder under `Chapters/`, "01-sorting-and-ranking".
    public let folder: String
    public let title: String
    /// Which runs a debug build (`swift run chNN`, no `-c release`) may start; see `DebugRuns`.
    public let debugRuns: DebugRuns

    public init(id: String, folder: String, title: String, debugRuns: DebugRuns = .all) {
        self.id = id
        self.folder = folder
        self.title = title
        self.debugRuns = debugRuns
    }
}

/// Which runs of a chapter an unoptimised (debug) build may start. Without optimisation the training chapters run
/// 10–50× slower, so a run that takes seconds in release would take minutes; those are refused at once with the
/// release command instead (`Chapter.debugRefusal`). Chosen from measured debug-build times: allowed runs finish
/// in under 30 s on the project's 2-core machine.
public enum DebugRuns: Sendable, Equatable {
    /// Full and `--quick` runs.
    case all
    /// `--quick` runs only.
    case quickOnly
    /// No run: even `--quick` would take minutes.
    case none
}

/// The chapters in reading order: the one list of their titles, which `course`, the book, the chapter tests and
/// each chapter's banner (`Chapter(id)`) read. Package.swift builds one executable per folder of `Chapters/`, and
/// WalkthroughTests check that this list names exactly those folders, in order.
public enum Catalog {
    /// The title of chapter `id`; the id itself for a chapter the catalogue does not list.
    public static func title(of id: String) -> String {
        chapters.first { $0.id == id }?.title ?? id
    }

    public static let chapters: [ChapterInfo] = [
        .init(id: "ch01", folder: "01-sorting-and-ranking", title: "Sorting and ranking"),
        .init(id: "ch02", folder: "02-rank-metrics", title: "Rank-based metrics"),
        .init(id: "ch03", folder: "03-blackbox-gradient", title: "The blackbox gradient"),
        .init(id: "ch04", folder: "04-lambda-interpolation", title: "λ and the interpolation f_λ"),
        .init(id: "ch05", folder: "05-margin", title: "The score margin", debugRuns: .quickOnly),
        .init(id: "ch06", folder: "06-score-memory", title: "Score memory", debugRuns: .none),
        .init(id: "ch07", folder: "07-recall-loss", title: "The recall loss", debugRuns: .none),
        .init(id: "ch08", folder: "08-ap-loss", title: "The AP and mAP losses", debugRuns: .quickOnly),
        .init(id: "ch09", folder: "09-retrieval-real", title: "Retrieval on real images", debugRuns: .none),
        .init(
            id: "ch10", folder: "10-multilabel-ap-real", title: "Multi-label mAP on real data", debugRuns: .none),
        .init(id: "ch11", folder: "11-object-detection", title: "Object detection with the AP loss", debugRuns: .none),
        .init(id: "ch12", folder: "12-speed", title: "Speed", debugRuns: .quickOnly),
        .init(id: "ch13", folder: "13-checking-ports", title: "Checking ports"),
    ]
}
