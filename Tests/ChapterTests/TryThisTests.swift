import Foundation
import Testing
import Walkthrough

/// Runs every experiment a chapter offers under "## Try this", in quick mode, so that no chapter suggests a command
/// line it rejects or cannot finish, and checks each answer of a notebook chapter against the output (its `Expect:`
/// lines, see `NotebookSource.TryThis`).
///
/// For a chapter not yet written as cells, the experiments come from its README:
/// An experiment is a line of a fenced code block in that section that starts with `swift run -c release chNN`;
/// what follows `#` on the line is the question, not an argument. The test runs the built executable with the
/// line's arguments plus `--quick --out <temp dir>` (an `--out` or `--quick` already on the line is dropped) and
/// requires exit status 0 and a `summary.json` from that chapter. Runs are serial: each takes seconds.
@Suite(.serialized) struct TryThisTests {
    /// The package root: this file is `Tests/ChapterTests/TryThisTests.swift`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The command lines of a README's "## Try this" section, each split into the executable name and its
    /// arguments (without the question after `#`).
    static func experiments(inReadme text: String) -> [(executable: String, arguments: [String])] {
        var inSection = false
        var inFence = false
        var found = [(executable: String, arguments: [String])]()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !inFence && trimmed.hasPrefix("## ") {
                inSection = trimmed == "## Try this"
                continue
            }
            if trimmed.hasPrefix("```") {
                inFence.toggle()
                continue
            }
            guard inSection && inFence && trimmed.hasPrefix("swift run -c release ch") else { continue }
            let command = trimmed.split(separator: "#", maxSplits: 1)[0]
            let words = command.split(separator: " ").map(String.init)
            found.append((executable: words[4], arguments: Array(words.dropFirst(5))))
        }
        return found
    }

    /// The arguments with `--quick` and any `--out DIR` removed.
    static func withoutQuickAndOut(_ arguments: [String]) -> [String] {
        var kept = [String]()
        var skipNext = false
        for argument in arguments {
            if skipNext {
                skipNext = false
            } else if argument == "--out" {
                skipNext = true
            } else if argument != "--quick" && !argument.hasPrefix("--out=") {
                kept.append(argument)
            }
        }
        return kept
    }

    @Test func theExtractorReadsOnlyTheTryThisSectionAndDropsTheQuestion() {
        let readme = """
            # Chapter 99
            ```sh
            swift run -c release ch99 --not-an-experiment 1
            ```
            ## Try this

            ```sh
            swift run -c release ch99 --lambda 0.05 --out x   # what happens?
            swift run -c release ch99
            ```
            ## Where the code lives
            ```sh
            swift run -c release ch99 --also-not 2
            ```
            """
        let found = Self.experiments(inReadme: readme)
        #expect(found.map(\.executable) == ["ch99", "ch99"])
        #expect(found.map(\.arguments) == [["--lambda", "0.05", "--out", "x"], []])
        let arguments = ["--quick", "--lambda", "0.05", "--out", "x", "--out=y"]
        #expect(Self.withoutQuickAndOut(arguments) == ["--lambda", "0.05"])
    }

    @Test func expectationsAreSubstringsOrRegularExpressions() {
        let output = "  ✓ rank = argmin\n  7  5040  1000/1000  1000/1000\n"
        #expect(NotebookSource.TryThis.expectation("✓ rank = argmin", holdsIn: output))
        #expect(!NotebookSource.TryThis.expectation("✗ rank", holdsIn: output))
        #expect(NotebookSource.TryThis.expectation("/7 +5040 +1000/1000 +1000/1000/", holdsIn: output))
        #expect(!NotebookSource.TryThis.expectation("/7 +5040 +999/", holdsIn: output))
        #expect(!NotebookSource.TryThis.expectation("/(unclosed/", holdsIn: output))
        #expect(NotebookSource.TryThis.expectation("/", holdsIn: "a/b"))
    }

    /// A chapter written as cells: each "Try this" command runs in quick mode and its output holds every `Expect:`
    /// of the answer. Any other chapter: each command of its README's "## Try this" runs in quick mode.
    @Test(arguments: Catalog.chapters)
    func everyTryThisCommandRunsAndItsAnswerHolds(chapter: ChapterInfo) throws {
        let folder = Self.root.appendingPathComponent("Chapters/\(chapter.folder)")
        let source = NotebookSource(
            try String(contentsOf: folder.appendingPathComponent("main.swift"), encoding: .utf8))
        let experiments: [(executable: String, arguments: [String], expectations: [String])]
        if source.isNotebook {
            experiments = source.tryThis.map { ($0.executable, $0.arguments, $0.expectations) }
            #expect(!experiments.isEmpty, "\(chapter.id)'s main.swift has no \"## Try this\" items")
        } else {
            let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
            experiments = Self.experiments(inReadme: readme).map { ($0.executable, $0.arguments, []) }
            #expect(!experiments.isEmpty, "\(chapter.folder)/README.md has no \"## Try this\" command lines")
        }
        for experiment in experiments {
            #expect(experiment.executable == chapter.id, "\(chapter.id)'s Try this runs \(experiment.executable)")
            let arguments = Self.withoutQuickAndOut(experiment.arguments)
            let (status, output, summary) = try Self.run(experiment.executable, arguments)
            let shown = ([experiment.executable] + arguments).joined(separator: " ")
            #expect(status == 0, "\(shown) exited \(status):\n\(output.suffix(2000))")
            #expect(summary?.chapter == chapter.id && summary?.quick == true, "\(shown): wrong summary.json")
            for expectation in experiment.expectations {
                #expect(
                    NotebookSource.TryThis.expectation(expectation, holdsIn: output),
                    "\(shown): the answer expects \"\(expectation)\" in the output:\n\(output.suffix(3000))")
            }
        }
    }

    /// Runs a chapter with `arguments` plus `--quick --out <temp>`: exit status, standard output and error, summary.
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, Summary?) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "trythis-\(executable)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = ChapterRunTests.binaries.appendingPathComponent(executable)
        process.arguments = arguments + ["--quick", "--out", out.path]
        process.currentDirectoryURL = Self.root
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let summary = try? Summary.read(from: out.appendingPathComponent("summary.json"))
        return (process.terminationStatus, output, summary)
    }
}
