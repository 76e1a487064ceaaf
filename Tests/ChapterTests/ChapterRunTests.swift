import Foundation
import Gnuplot
import Testing
import Walkthrough

/// Runs every chapter as a user would (`chNN --quick --out DIR`) and checks what it leaves behind.
/// The chapter executables are built beside the test binary by `swift test`.
@Suite(.serialized) struct ChapterRunTests {
    static let binaries: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On Linux the tests run from .build/<config>/<Package>PackageTests.xctest; walk up to the folder
        // that holds the chapter executables.
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("ch01").path) {
            dir.deleteLastPathComponent()
        }
        return dir
    }()

    @Test(arguments: Catalog.chapters.map(\.id))
    func quickRunPassesItsChecksAndWritesEveryFigure(id: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(id)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent(id)
        process.arguments = ["--quick", "--out", out.path]
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(id) exited \(process.terminationStatus):\n\(output.suffix(2000))")

        let summary = try Summary.read(from: out.appendingPathComponent("summary.json"))
        #expect(summary.chapter == id)
        #expect(summary.quick)
        #expect(!summary.checks.isEmpty, "\(id) verifies none of its claims")
        for check in summary.checks where !check.passed { Issue.record("\(id): \(check.name): \(check.detail)") }
        #expect(!summary.figures.isEmpty, "\(id) draws no figure")
        // One phase per section, in order, after the set-up phase; together they cover the run.
        let sections = output.split(separator: "\n").filter { $0.hasPrefix("§") }.map(String.init)
        #expect(summary.phases.map(\.phase) == ["set-up"] + sections, "\(id): phases do not follow the sections")
        let phaseTotal = summary.phases.reduce(0) { $0 + $1.seconds }
        #expect(
            abs(phaseTotal - summary.seconds) <= 0.05 + 0.01 * Double(summary.phases.count),
            "\(id): phases \(phaseTotal) s of \(summary.seconds) s")
        #expect(output.contains("time per phase (wall s, CPU s):"), "\(id) does not say where its time went")
        // One cell per phase, with its time; every figure drawn in the cell that drew it; every printed line of a
        // cell (its heading aside) in the terminal's output.
        #expect(summary.cells.map(\.seconds) == summary.phases.map(\.seconds), "\(id): cells and phases differ")
        #expect(summary.cells.first?.kind == .setUp, "\(id): the first cell is not the set-up")
        #expect(summary.cells.flatMap(\.figures) == summary.figures, "\(id): figures outside their cells")
        for cell in summary.cells {
            for line in cell.output where !line.isEmpty {
                #expect(output.contains(line), "\(id) cell \(cell.id): \"\(line)\" was never printed")
            }
        }
        for figure in summary.figures {
            for ext in ["png", "gp", "dat"] {
                let file = out.appendingPathComponent("\(figure).\(ext)")
                #expect(FileManager.default.fileExists(atPath: file.path), "\(id) lacks \(figure).\(ext)")
            }
            // The caption the book prints, recorded with the figure.
            let caption = summary.captions[figure] ?? ""
            #expect(FigureRules.captionProblem(caption) == nil, "\(id)/\(figure): \(caption)")
        }
        // Every figure the run wrote follows the figure rules, read back from its .gp, .dat and .png.
        let (linted, findings) = try FigureLint.check(folder: out)
        #expect(Set(linted) == Set(summary.figures), "\(id): linted \(linted), drew \(summary.figures)")
        for finding in findings { Issue.record("\(id): \(finding)") }
    }

    @Test func badFlagsGetOneClearLineAndExitTwo() throws {
        for (arguments, needle) in [(["--bogus"], "unknown option --bogus"), (["--seed", "x"], "--seed needs")] {
            let process = Process()
            process.executableURL = Self.binaries.appendingPathComponent("ch01")
            process.arguments = arguments
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2)
            #expect(text.hasPrefix("ch01: ") && text.contains(needle) && text.split(separator: "\n").count == 1)
        }
    }
}
