import Foundation
import Gnuplot

// The notebook side of the harness: a chapter's main.swift is a sequence of cells (see NotebookSource.swift for the
// markup), and at run time each cell's code starts with `chapter.cell("Title")`. The harness then knows which cell
// is running and records, per cell, what it printed, the figures it drew and the time it took (`summary.cells`).

/// What part of a chapter a recorded cell is.
public enum CellKind: String, Codable, Sendable {
    /// Everything before the first cell: the imports, the `Chapter` with its flags, the generators.
    case setUp = "set-up"
    /// A cell of the chapter, started by `Chapter.cell`.
    case cell
    /// A cell of the chapter's appendix, started by `Chapter.appendix`: shown after the takeaways.
    case appendix
    /// A part of a chapter not yet written as cells, started by `Chapter.section` (no source line).
    case section
}

/// One cell of a chapter run, as `summary.json` records it: what the cell printed (one entry per line, without
/// the heading the terminal shows), the figures it drew (names, in order), its wall-clock and CPU seconds, and for
/// a `cell` or `appendix` where its `chapter.cell(…)` call is in the source (`#fileID` and `#line`), which is how
/// the book proves that the code it shows is the code that ran.
public struct CellRecord: Codable, Sendable, Equatable {
    /// The cell's anchor in the book: `NotebookSource.slug` of the title, made unique within the chapter.
    public var id: String
    public var title: String
    public var kind: CellKind
    /// `#fileID` of the cell's call, e.g. "ch01/main.swift"; nil for the set-up and for sections.
    public var file: String?
    /// `#line` of the cell's call (1-based); nil for the set-up and for sections.
    public var line: Int?
    public var output: [String]
    public var figures: [String]
    public var seconds: Double
    public var cpuSeconds: Double

    public init(
        id: String, title: String, kind: CellKind, file: String? = nil, line: Int? = nil, output: [String] = [],
        figures: [String] = [], seconds: Double = 0, cpuSeconds: Double = 0
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.file = file
        self.line = line
        self.output = output
        self.figures = figures
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }

    /// The cell every run starts in.
    static let setUp = CellRecord(id: "set-up", title: "Set-up", kind: .setUp)
}

/// How this run's finding stands to a claim of the paper (see `Chapter.claim`).
public enum ClaimVerdict: String, Codable, Sendable, CaseIterable {
    /// The run finds what the paper claims.
    case agrees
    /// The run finds part of it (e.g. the direction but not the size).
    case partly
    /// The run finds otherwise.
    case differs
    /// The run does not test it (named so that the table says so).
    case untested
}

/// One row of a chapter's "the paper claims / we find" table: recorded from the run by `Chapter.claim`, shown at
/// the top of the chapter's page with a link to the cell that measured it.
public struct ClaimRecord: Codable, Sendable, Equatable {
    /// The paper's claim with its source, e.g. "Table 7: memory adds 1.5–6 points of R@1".
    public var paper: String
    /// What this run measured, with its numbers.
    public var found: String
    public var verdict: ClaimVerdict
    /// The id of the cell that recorded the claim.
    public var cell: String

    public init(paper: String, found: String, verdict: ClaimVerdict, cell: String) {
        self.paper = paper
        self.found = found
        self.verdict = verdict
        self.cell = cell
    }
}

/// The notebook bookkeeping of a running chapter, guarded by the chapter's lock: the cell running now (it collects
/// output and figures until the next cell starts), the cell and appendix counts, and the ids given so far.
struct NotebookState {
    var current = CellRecord.setUp
    var cells = 0
    var appendices = 0
    var ids: Set<String> = ["set-up"]
}

extension Chapter {
    /// Starts the next cell of the notebook: the first statement of every cell's code, right after the cell's
    /// markup. The terminal shows "§N title"; from here on what the chapter prints (`say`, `table`, `check`, …) and
    /// the figures it draws (`plot`) belong to this cell, until the next `cell`, `appendix` or `finish`.
    ///
    /// - Parameters:
    ///   - title: the cell's heading, a plain string literal (the book reads it from the source too).
    ///   - fileID: leave the default: where the call is, recorded so that tests can prove the book shows the
    ///     compiled source.
    ///   - line: leave the default (see `fileID`).
    public func cell(_ title: String, fileID: String = #fileID, line: Int = #line) {
        beginCell(title, kind: .cell, fileID: fileID, line: line)
    }

    /// Starts a cell of the appendix (flag tables, unit bookkeeping, engineering details): like `cell`, but the
    /// book shows it after the chapter's takeaways and it does not count towards the chapter's first result.
    /// Appendix cells come after every `cell` in the source. Parameters as in `cell(_:fileID:line:)`.
    public func appendix(_ title: String, fileID: String = #fileID, line: Int = #line) {
        beginCell(title, kind: .appendix, fileID: fileID, line: line)
    }

    /// Records one row of the chapter's "the paper claims / we find" table (shown at the top of its page), in the
    /// cell running now, and prints it.
    ///
    /// - Parameters:
    ///   - paper: the paper's claim and where it is made ("Table 5: RaMBO beats CE by 0.4–1.5 AP^50").
    ///   - found: what this run measured, with its numbers, in words that stay true for any run that passes the
    ///     chapter's checks.
    ///   - verdict: how the finding stands to the claim.
    public func claim(_ paper: String, found: String, verdict: ClaimVerdict) {
        lock.lock()
        defer { lock.unlock() }
        summary.claims.append(ClaimRecord(paper: paper, found: found, verdict: verdict, cell: notebook.current.id))
        emit("  paper: \(paper)\n  we find: \(found) (\(verdict.rawValue))")
    }

    /// Closes the running cell and opens the next one. A `section` counts with the cells.
    func beginCell(_ title: String, kind: CellKind, fileID: String?, line: Int?) {
        lock.lock()
        defer { lock.unlock() }
        let number: String
        if kind == .appendix {
            notebook.appendices += 1
            number = "A\(notebook.appendices)"
        } else {
            notebook.cells += 1
            number = "\(notebook.cells)"
        }
        let heading = "§\(number) \(title)"
        closePhase(next: heading)
        let id = NotebookSource.uniqueSlug(title, taken: &notebook.ids)
        notebook.current = CellRecord(id: id, title: title, kind: kind, file: fileID, line: line)
        ProgressLine.shared.clear()
        print("\n" + heading)
        print(String(repeating: "─", count: heading.count))
    }

    /// Files the running cell into the summary with its times; `closePhase` calls it. Caller holds the lock.
    func recordCell(seconds: Double, cpuSeconds: Double) {
        notebook.current.seconds = seconds
        notebook.current.cpuSeconds = cpuSeconds
        summary.cells.append(notebook.current)
    }

    /// Prints `text` (clearing a progress line first) and records its lines in the running cell's output.
    /// Caller holds the lock.
    func emit(_ text: String) {
        ProgressLine.shared.clear()
        print(text)
        notebook.current.output += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Records a drawn figure in the summary and in the running cell. Caller holds the lock.
    func recordFigure(_ figure: Figure) {
        summary.figures.append(figure.name)
        summary.captions[figure.name] = figure.caption
        notebook.current.figures.append(figure.name)
    }
}
