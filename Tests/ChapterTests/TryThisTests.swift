import Foundation
import Testing
import Walkthrough

/// Runs every experiment a chapter README offers under "## Try this", in quick mode, so that no README suggests a
/// command line the chapter rejects or cannot finish.
///
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

    @Test(arguments: Catalog.chapters)
    func everyTryThisCommandRunsInQuickMode(chapter: ChapterInfo) throws {
        let readme = Self.root.appendingPathComponent("Chapters/\(chapter.folder)/README.md")
        let experiments = Self.experiments(inReadme: try String(contentsOf: readme, encoding: .utf8))
        #expect(!experiments.isEmpty, "\(chapter.folder)/README.md has no \"## Try this\" command lines")
        for experiment in experiments {
            #expect(experiment.executable == chapter.id, "\(chapter.id)'s README runs \(experiment.executable)")
            let arguments = Self.withoutQuickAndOut(experiment.arguments)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent(
                "trythis-\(chapter.id)-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: out) }
            let process = Process()
            process.executableURL = ChapterRunTests.binaries.appendingPathComponent(experiment.executable)
            process.arguments = arguments + ["--quick", "--out", out.path]
            process.currentDirectoryURL = Self.root
            let log = Pipe()
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let shown = ([experiment.executable] + arguments).joined(separator: " ")
            #expect(
                process.terminationStatus == 0, "\(shown) exited \(process.terminationStatus):\n\(output.suffix(2000))")
            let summary = try Summary.read(from: out.appendingPathComponent("summary.json"))
            #expect(summary.chapter == chapter.id && summary.quick, "\(shown): wrong summary.json")
        }
    }
}
