import Foundation
import Gnuplot
import Support

/// The harness every chapter runs in.
///
/// A chapter reads top to bottom like a notebook: cells of prose (playground markup) and code, each cell's code
/// starting with `chapter.cell` (see `docs/notebook-chapters.md`):
///
///     let chapter = Chapter("ch03", flags: [.double("lambda", default: 1, help: "interpolation strength λ")])
///     //: The forward pass ranks the scores ...
///     chapter.cell("Algorithm 1, step by step")
///     chapter.say("rk(y) = ...")
///     chapter.check("gradient equals the slope of f_λ", maxError < 1e-9, "max error \(maxError)")
///     chapter.plot(figure)
///     chapter.finish()
///
/// It parses the command line (`--quick --out --seed --ascii --svg`, the chapter's flags, `--help`), prints the
/// narration, records runtime checks and metrics, renders figures into the output folder, records what each cell
/// printed and drew, and on `finish()` writes `summary.json` and exits non-zero if any check failed.
///
/// Every flag is checked against its declared range before anything runs; the output folder is created only
/// when the first file is written, so a rejected flag leaves nothing behind. Output goes through `Output`: a
/// closed or full standard output or error never traps, and a lost write to standard output makes the chapter
/// exit non-zero. Thread-safe: workers may call `check`, `metric`, `say`, `plot` and `finish` from any thread;
/// `summary.json` is written once, atomically, by the first `finish`.
public final class Chapter: @unchecked Sendable {
    public let id: String
    public let title: String
    public let options: Options
    private let flags: [Flag]
    var summary: Summary
    private let started = Date()
    /// The cell running now and the cells' numbering (Cells.swift).
    var notebook = NotebookState()
    /// The phase running now: its name and when it started (wall and CPU nanoseconds).
    private var phase = (
        name: "set-up", wall: ProcessClock.monotonicNanoseconds(), cpu: ProcessClock.processCPUNanoseconds()
    )
    private var warnedNoGnuplot = false
    private var keyFigureShown = false
    /// The output folder, claimed (locked) when the first file goes into it; see `OutputFolder`.
    private var folder: OutputFolder?
    private var finishing = false
    /// Guards every mutable field and keeps each printed line whole when workers report at once.
    let lock = NSRecursiveLock()

    /// The chapter `id` of the course, titled as `Catalog` titles it (the one list of the chapters). Parses the
    /// command line; prints usage and exits 0 on `--help`, prints one line and exits 2 on a mistake.
    public convenience init(
        _ id: String, flags: [Flag] = [], arguments: [String] = Array(CommandLine.arguments.dropFirst())
    ) {
        self.init(id, title: Catalog.title(of: id), flags: flags, arguments: arguments)
    }

    /// A chapter with its own title (a chapter outside `Catalog`, such as a test's). Parses the command line;
    /// prints usage and exits 0 on `--help`, prints one line and exits 2 on a mistake.
    public init(
        _ id: String, title: String, flags: [Flag] = [],
        arguments: [String] = Array(CommandLine.arguments.dropFirst())
    ) {
        Output.prepare()
        Output.program = id
        self.id = id
        self.title = title
        self.flags = flags
        do {
            options = try Options.parse(arguments, chapter: id, flags: flags)
        } catch {
            Output.error("\(id): \(error)")
            Output.exit(2)
        }
        if options.helpRequested {
            print(Options.usage(chapter: id, title: title, flags: flags))
            Output.exit(0)
        }
        if let problem = Self.outputLocationProblem(options.out) {
            Output.error("\(id): cannot write into --out \(options.out.path): \(problem)")
            Output.exit(2)
        }
        do { _ = try Gnuplot.timeout } catch {
            Output.error("\(id): \(error)")
            Output.exit(2)
        }
        summary = Summary(chapter: id, title: title)
        summary.quick = options.quick
        #if DEBUG
        // `swift run chNN` builds without optimisation, which makes the training chapters many times slower.
        let environment = ProcessInfo.processInfo.environment
        if let refusal = Self.debugRefusal(id, arguments: arguments, quick: options.quick, environment: environment) {
            Output.error(refusal)
            Output.exit(2)
        }
        print(
            "note: debug build; for the speed the chapter is written for, run: swift run -c release "
                + ([id] + arguments).joined(separator: " "))
        #endif
        let banner = "\(id) · \(title)"
        emit(banner)
        emit(String(repeating: "═", count: banner.count))
        emit("output: \(options.out.path)   seed: \(options.seed)\(options.quick ? "   (quick)" : "")")
        // An existing folder is claimed at once, so a second run into it stops before doing any work.
        if FileManager.default.fileExists(atPath: options.out.path) { ensureOutputFolder() }
    }

    // MARK: - Options

    public var quick: Bool { options.quick }
    public var seed: UInt64 { options.seed }
    public var out: URL { options.out }

    /// Picks the quick or the full value of a size that is not a flag.
    public func size<T>(quick q: T, full f: T) -> T { options.quick ? q : f }

    /// Why `out` cannot become the output folder, checked before any work without creating anything: it exists
    /// and is not a folder, or its nearest existing ancestor is not a writable folder. `nil` when it can.
    /// The one line a debug build prints instead of starting a run that would take minutes without optimisation
    /// (see `DebugRuns`), naming the release command that runs it; nil when the run may start. Setting
    /// `RAMBO_DEBUG_RUN=1` starts it anyway (for stepping through a chapter in a debugger).
    public static func debugRefusal(
        _ id: String, arguments: [String], quick: Bool, environment: [String: String]
    ) -> String? {
        guard environment["RAMBO_DEBUG_RUN"] != "1" else { return nil }
        let runs = Catalog.chapters.first { $0.id == id }?.debugRuns ?? .all
        let refused: Bool
        switch runs {
        case .all: refused = false
        case .quickOnly: refused = !quick
        case .none: refused = true
        }
        guard refused else { return nil }
        let what = runs == .quickOnly ? "a full run" : "even a --quick run"
        return "\(id): this is a debug build, in which \(what) of \(id) takes minutes; run it optimised with: "
            + "swift run -c release " + ([id] + arguments).joined(separator: " ")
            + (runs == .quickOnly ? " (or add --quick)" : "") + " (RAMBO_DEBUG_RUN=1 runs it in debug anyway)"
    }

    static func outputLocationProblem(_ out: URL) -> String? {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: out.path),
            !FileManager.default.fileExists(atPath: out.path)
        {
            return "it is a symbolic link to \(target), which does not exist"
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: out.path, isDirectory: &isFolder) {
            if !isFolder.boolValue { return "a file with that name exists" }
            return FileManager.default.isWritableFile(atPath: out.path) ? nil : "the folder is not writable"
        }
        var ancestor = out.standardizedFileURL.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isFolder) && ancestor.path != "/" {
            ancestor.deleteLastPathComponent()
        }
        if !isFolder.boolValue { return "\(ancestor.path) is not a folder" }
        return FileManager.default.isWritableFile(atPath: ancestor.path) ? nil : "\(ancestor.path) is not writable"
    }

    /// Creates and claims the output folder the first time a file goes into it (`OutputFolder`: a second run
    /// into the same folder is refused) and removes a `summary.json` left by an earlier run, so one found there
    /// is always this run's. Later calls check that the folder is still the one claimed. Exits 2 with one line
    /// naming the folder if it cannot be created, another run holds it, or it vanished.
    public func ensureOutputFolder() {
        lock.lock()
        defer { lock.unlock() }
        do {
            if let folder {
                if let problem = folder.problem() { throw OutputFolderError(problem) }
                return
            }
            folder = try OutputFolder(claiming: options.out)
            unlink(options.out.appendingPathComponent("summary.json").path)
        } catch {
            Output.error("\(id): \(error)")
            Output.exit(2)
        }
    }

    /// The value of a chapter flag declared as `.double`: the one given, else its quick value under `--quick`,
    /// else its default. Every given value was checked against the flag's range.
    public func double(_ name: String) -> Double { Double(value(name)) ?? .nan }
    /// The value of a chapter flag declared as `.int`.
    public func int(_ name: String) -> Int { Int(value(name)) ?? 0 }
    /// The value of a chapter flag declared as `.string`.
    public func string(_ name: String) -> String { value(name) }
    /// Whether a switch declared as `.bool` was given.
    public func bool(_ name: String) -> Bool { options.values[name] != nil }

    /// Whether the user passed `--name` (quick mode never overrides such a flag).
    public func given(_ name: String) -> Bool { options.values[name] != nil }

    private func value(_ name: String) -> String {
        if let v = options.values[name] { return v }
        guard let flag = flags.first(where: { $0.name == name }) else {
            preconditionFailure("\(id) reads flag --\(name) but never declared it")
        }
        return flag.unsetText(quick: options.quick)
    }

    /// Rejects a combination of flags the ranges cannot express: prints one line and exits 2 (before any
    /// file is written, as long as it is called before the first `plot`).
    public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition {
            Output.error("\(id): \(message())")
            Output.exit(2)
        }
    }

    // MARK: - Narration

    /// Starts a numbered part with a heading: the form of chapters not yet written as notebook cells (a cell
    /// without a source line; see `cell`).
    public func section(_ heading: String) {
        beginCell(heading, kind: .section, fileID: nil, line: nil)
    }

    /// A paragraph of narration.
    public func say(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        emit(text)
    }

    /// An aligned text table.
    public func table(_ headers: [String], _ rows: [[String]]) {
        let all = [headers] + rows
        let widths = headers.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: max(0, widths[c] - cell.count))
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        lock.lock()
        defer { lock.unlock() }
        emit("  " + line(headers))
        emit("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in rows { emit("  " + line(row)) }
    }

    // MARK: - Checks and metrics

    /// Records a runtime check of a claim; prints ✓ or ✗ with the detail. A failed check makes the chapter
    /// exit non-zero at `finish()`.
    @discardableResult
    public func check(_ name: String, _ passed: Bool, _ detail: String = "") -> Bool {
        lock.lock()
        defer { lock.unlock() }
        summary.checks.append(CheckResult(name: name, passed: passed, detail: detail))
        emit("  \(passed ? "✓" : "✗ FAILED:") \(name)\(detail.isEmpty ? "" : " — \(detail)")")
        return passed
    }

    /// Records a metric for summary.json: `metrics[dataset][method][name] = value`.
    /// Metric names: R@1 R@2 R@4 R@8 MAP@R mAP (and others where a chapter needs them).
    public func metric(_ dataset: String, _ method: String, _ name: String, _ value: Double) {
        guard value.isFinite else {
            check("metric \(dataset)/\(method)/\(name) is finite", false, "got \(value)")
            return
        }
        lock.lock()
        defer { lock.unlock() }
        summary.metrics[dataset, default: [:]][method, default: [:]][name] = value
    }

    // MARK: - Figures

    /// Writes `name.gp` + `name.dat` and renders `name.png` (and `.svg` with `--svg`) into the output folder,
    /// and records the figure with its caption for the book.
    ///
    /// - Parameter key: the chapter's key figure; with `--ascii` it is also drawn in the terminal.
    /// Without gnuplot the script and data are still written and the chapter says how to install gnuplot;
    /// a gnuplot error is recorded as a failed check. A figure that breaks the figure rules (no caption that
    /// says what to look at, too wide, a method in another's colour, bars not from 0, …; see `FigureRules`)
    /// stops the run: the failed check is recorded and the chapter finishes at once.
    public func plot(_ figure: Figure, key: Bool = false) {
        ensureOutputFolder()
        lock.lock()
        defer { lock.unlock() }
        do {
            try Gnuplot.render(figure, in: options.out, formats: options.svg ? [.png, .svg] : [.png])
            recordFigure(figure)
            emit("  ▸ figure \(options.out.appendingPathComponent(figure.name + ".png").path)")
            for warning in GnuplotScript.warnings(for: figure) { emit("  ! \(warning)") }
            if key && options.ascii && !keyFigureShown {
                keyFigureShown = true
                emit(try Gnuplot.ascii(figure, in: options.out))
            }
        } catch let error as OutputError {
            Output.error("\(id): \(error)")
            Output.exit(2)
        } catch GnuplotError.invalidFigure(let why) {
            check("figure \(figure.name) follows the figure rules", false, why)
            finish()
        } catch GnuplotError.notInstalled {
            recordFigure(figure)
            if !warnedNoGnuplot {
                warnedNoGnuplot = true
                emit(
                    "  ! gnuplot is not installed: writing .gp and .dat only. "
                        + "Install it with: apt-get install -y --no-install-recommends gnuplot-nox")
            }
            emit("  ▸ figure script \(options.out.appendingPathComponent(figure.name + ".gp").path)")
        } catch {
            check("figure \(figure.name) renders", false, "\(error)")
        }
    }

    // MARK: - Phases

    /// Records the time of the phase running now, and files its cell, and starts the phase named `next`. Caller
    /// holds the lock.
    func closePhase(next: String) {
        let wall = ProcessClock.monotonicNanoseconds()
        let cpu = ProcessClock.processCPUNanoseconds()
        let rounded = { (ns: UInt64) in (Double(ns) / 1e7).rounded() / 100 }
        let seconds = rounded(wall - phase.wall)
        let cpuSeconds = rounded(cpu - phase.cpu)
        summary.phases.append(PhaseTime(phase: phase.name, seconds: seconds, cpuSeconds: cpuSeconds))
        recordCell(seconds: seconds, cpuSeconds: cpuSeconds)
        phase = (next, wall, cpu)
    }

    /// The narration's closing list of where the time went: every phase of at least 1 % of the run (and at least
    /// 0.01 s), in order, with wall and CPU seconds.
    private func phaseReport() -> [String] {
        let total = summary.phases.reduce(0) { $0 + $1.seconds }
        let shown = summary.phases.filter { $0.seconds >= max(0.01, 0.01 * total) }
        guard !shown.isEmpty else { return [] }
        let width = shown.map(\.phase.count).max() ?? 0
        return ["time per phase (wall s, CPU s):"]
            + shown.map { p in
                let name = p.phase + String(repeating: " ", count: width - p.phase.count)
                return "  \(name)  \(String(format: "%7.2f", p.seconds))  \(String(format: "%7.2f", p.cpuSeconds))"
            }
    }

    // MARK: - Finish

    /// Writes `summary.json`, prints the tally and exits: 0 when every check passed, 1 otherwise (2 when
    /// standard output was lost).
    ///
    /// Called from several threads at once, the first caller writes the summary and exits; the others wait
    /// (the process ends under them), so the summary holds every check printed before it.
    public func finish() -> Never {
        ensureOutputFolder()
        lock.lock()
        if finishing {
            lock.unlock()
            while true { sleep(60) }
        }
        finishing = true
        closePhase(next: "")
        summary.seconds = (Date().timeIntervalSince(started) * 100).rounded() / 100
        let failed = summary.checks.filter { !$0.passed }
        do {
            try Output.writeFile(try summary.json(), to: options.out.appendingPathComponent("summary.json"))
        } catch {
            Output.error("\(id): cannot write summary.json: \(error)")
            Output.exit(2)
        }
        ProgressLine.shared.clear()
        print("")
        for line in phaseReport() { print(line) }
        print(
            "\(id): \(summary.checks.count - failed.count) of \(summary.checks.count) checks passed, "
                + "\(summary.figures.count) figures, \(String(format: "%.1f", summary.seconds)) s")
        for f in failed { print("  ✗ \(f.name): \(f.detail)") }
        Output.exit(failed.isEmpty ? 0 : 1)
    }
}
