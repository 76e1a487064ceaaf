import Foundation
import Gnuplot

/// The harness every chapter runs in.
///
/// A chapter reads top to bottom like a notebook:
///
///     let chapter = Chapter("ch03", title: "The blackbox gradient",
///                           flags: [.double("lambda", default: 1, help: "interpolation strength λ")])
///     chapter.section("1. Algorithm 1, step by step")
///     chapter.say("The forward pass ranks the scores ...")
///     chapter.check("gradient equals the slope of f_λ", maxError < 1e-9, "max error \(maxError)")
///     chapter.plot(figure)
///     chapter.finish()
///
/// It parses the command line (`--quick --out --seed --ascii --svg`, the chapter's flags, `--help`), prints the
/// narration, records runtime checks and metrics, renders figures into the output folder, and on `finish()`
/// writes `summary.json` and exits non-zero if any check failed.
public final class Chapter {
    public let id: String
    public let title: String
    public let options: Options
    private let flags: [Flag]
    private var summary: Summary
    private let started = Date()
    private var sectionNumber = 0
    private var warnedNoGnuplot = false
    private var keyFigureShown = false

    /// Parses the command line; prints usage and exits 0 on `--help`, prints one line and exits 2 on a mistake.
    public init(_ id: String, title: String, flags: [Flag] = [],
                arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        self.id = id
        self.title = title
        self.flags = flags
        do {
            options = try Options.parse(arguments, chapter: id, flags: flags)
        } catch {
            FileHandle.standardError.write(Data("\(id): \(error)\n".utf8))
            exit(2)
        }
        if options.helpRequested {
            print(Options.usage(chapter: id, title: title, flags: flags))
            exit(0)
        }
        summary = Summary(chapter: id, title: title)
        summary.quick = options.quick
        do {
            try FileManager.default.createDirectory(at: options.out, withIntermediateDirectories: true)
        } catch {
            FileHandle.standardError.write(Data("\(id): cannot create the output folder \(options.out.path): \(error.localizedDescription)\n".utf8))
            exit(2)
        }
        let banner = "\(id) · \(title)"
        print(banner)
        print(String(repeating: "═", count: banner.count))
        print("output: \(options.out.path)   seed: \(options.seed)\(options.quick ? "   (quick)" : "")")
    }

    // MARK: - Options

    public var quick: Bool { options.quick }
    public var seed: UInt64 { options.seed }
    public var out: URL { options.out }

    /// Picks the quick or the full value of a size.
    public func size<T>(quick q: T, full f: T) -> T { options.quick ? q : f }

    /// The value of a chapter flag declared as `.double`.
    public func double(_ name: String) -> Double { Double(value(name)) ?? .nan }
    /// The value of a chapter flag declared as `.int`.
    public func int(_ name: String) -> Int { Int(value(name)) ?? 0 }
    /// The value of a chapter flag declared as `.string`.
    public func string(_ name: String) -> String { value(name) }
    /// Whether a switch declared as `.bool` was given.
    public func bool(_ name: String) -> Bool { options.values[name] != nil }

    private func value(_ name: String) -> String {
        if let v = options.values[name] { return v }
        guard let flag = flags.first(where: { $0.name == name }) else {
            preconditionFailure("\(id) reads flag --\(name) but never declared it")
        }
        return flag.defaultText
    }

    /// Rejects a flag value outside its allowed range: prints one line naming the flag and exits 2.
    public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition {
            FileHandle.standardError.write(Data("\(id): \(message())\n".utf8))
            exit(2)
        }
    }

    // MARK: - Narration

    /// Starts a numbered cell with a heading.
    public func section(_ heading: String) {
        sectionNumber += 1
        print("\n§\(sectionNumber) \(heading)")
        print(String(repeating: "─", count: heading.count + 3 + String(sectionNumber).count))
    }

    /// A paragraph of narration.
    public func say(_ text: String) {
        print(text)
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
        print("  " + line(headers))
        print("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in rows { print("  " + line(row)) }
    }

    // MARK: - Checks and metrics

    /// Records a runtime check of a claim; prints ✓ or ✗ with the detail. A failed check makes the chapter
    /// exit non-zero at `finish()`.
    @discardableResult
    public func check(_ name: String, _ passed: Bool, _ detail: String = "") -> Bool {
        summary.checks.append(CheckResult(name: name, passed: passed, detail: detail))
        print("  \(passed ? "✓" : "✗ FAILED:") \(name)\(detail.isEmpty ? "" : " — \(detail)")")
        return passed
    }

    /// Records a metric for summary.json: `metrics[dataset][method][name] = value`.
    /// Metric names: R@1 R@2 R@4 R@8 MAP@R mAP (and others where a chapter needs them).
    public func metric(_ dataset: String, _ method: String, _ name: String, _ value: Double) {
        guard value.isFinite else {
            check("metric \(dataset)/\(method)/\(name) is finite", false, "got \(value)")
            return
        }
        summary.metrics[dataset, default: [:]][method, default: [:]][name] = value
    }

    // MARK: - Figures

    /// Writes `name.gp` + `name.dat` and renders `name.png` (and `.svg` with `--svg`) into the output folder.
    ///
    /// - Parameter key: the chapter's key figure; with `--ascii` it is also drawn in the terminal.
    /// Without gnuplot the script and data are still written and the chapter says how to install gnuplot;
    /// a gnuplot error is recorded as a failed check.
    public func plot(_ figure: Figure, key: Bool = false) {
        do {
            try Gnuplot.render(figure, in: options.out, formats: options.svg ? [.png, .svg] : [.png])
            summary.figures.append(figure.name)
            print("  ▸ figure \(options.out.appendingPathComponent(figure.name + ".png").path)")
            for warning in GnuplotScript.warnings(for: figure) { print("  ! \(warning)") }
            if key && options.ascii && !keyFigureShown {
                keyFigureShown = true
                print(try Gnuplot.ascii(figure, in: options.out))
            }
        } catch GnuplotError.notInstalled {
            summary.figures.append(figure.name)
            if !warnedNoGnuplot {
                warnedNoGnuplot = true
                print("  ! gnuplot is not installed: writing .gp and .dat only. "
                      + "Install it with: apt-get install -y --no-install-recommends gnuplot-nox")
            }
            print("  ▸ figure script \(options.out.appendingPathComponent(figure.name + ".gp").path)")
        } catch {
            check("figure \(figure.name) renders", false, "\(error)")
        }
    }

    // MARK: - Finish

    /// Writes `summary.json`, prints the tally and exits: 0 when every check passed, 1 otherwise.
    public func finish() -> Never {
        summary.seconds = (Date().timeIntervalSince(started) * 100).rounded() / 100
        let failed = summary.checks.filter { !$0.passed }
        do {
            try summary.json().write(to: options.out.appendingPathComponent("summary.json"), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("\(id): cannot write summary.json: \(error)\n".utf8))
            exit(1)
        }
        print("\n\(id): \(summary.checks.count - failed.count) of \(summary.checks.count) checks passed, "
              + "\(summary.figures.count) figures, \(String(format: "%.1f", summary.seconds)) s")
        for f in failed { print("  ✗ \(f.name): \(f.detail)") }
        exit(failed.isEmpty ? 0 : 1)
    }
}
