import Foundation
import Support
import Testing
import Walkthrough

/// The executables under faults: bad flags (quick mode included), a full or closed standard output or error,
/// a disk too small for a figure, and two worker threads failing at once. Each must end in a clear error and a
/// non-zero exit, never a trap (exit 132/133/134) and never a half-written file under a final name.
@Suite(.serialized) struct FaultTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `script` with /bin/sh (so redirections like `>&-` and `ulimit` apply to the child), `$B` set to the
    /// folder of the built executables.
    static func shell(_ script: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["B"] = ChapterRunTests.binaries.path
        process.environment = environment
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString).out")
        let err = out.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))
    }

    static func temporaryPath(_ tag: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)").path
    }

    /// Every flag value that used to trap or allocate without bound, and `--quick` with a bad value: one line
    /// naming the flag, exit 2, and the output folder never created.
    @Test(arguments: [
        ("ch01", ["--quick", "--trials", "-1"], "--trials"),
        ("ch02", ["--quick", "--batches", "1"], "--batches"),
        ("ch03", ["--lambda", "5e-324"], "--lambda"),
        ("ch04", ["--lambda", "5e-324"], "--lambda"),
        ("ch03", ["--lambda", "1e308"], "--lambda"),
        ("ch05", ["--lambda", "1e308"], "--lambda"),
        ("ch06", ["--lambda", "1e308"], "--lambda"),
        ("ch05", ["--quick", "--steps", "5"], "--steps"),
        ("ch07", ["--quick", "--seeds", "0"], "--seeds"),
        ("ch08", ["--memory", "99999999999"], "--memory"),
        ("ch08", ["--quick", "--epochs", "0"], "--epochs"),
        ("ch09", ["--quick", "--per-class", "1"], "--per-class"),
        ("ch10", ["--memory", "99999999999"], "--memory"),
        ("ch10", ["--quick", "--batch", "1"], "--batch"),
        ("ch10", ["--search", "maybe"], "--search"),
        ("ch12", ["--quick", "--repeats", "0"], "--repeats"),
        ("ch13", ["--quick", "--draws", "5"], "--draws"),
        ("ch13", ["--vectors", "/nonexistent"], "--vectors"),
    ])
    func badFlagsAreRejectedBeforeAnythingRuns(id: String, arguments: [String], flag: String) throws {
        let out = Self.temporaryPath("\(id)-badflag")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let run = try Self.shell("exec \"$B/\(id)\" \(quoted) --out '\(out)'")
        #expect(run.status == 2, "\(id) \(arguments): exit \(run.status)\n\(run.stderr)")
        #expect(
            run.stderr.hasPrefix("\(id): ") && run.stderr.contains(flag)
                && run.stderr.split(separator: "\n").count == 1, "\(id) \(arguments): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "\(id) created --out before rejecting \(arguments)")
    }

    /// `ch13 --vectors` on an empty folder or one holding a non-JSON file: a clear error, never the package's own
    /// vectors instead, never a trap.
    @Test func chapter13RejectsAVectorsFolderItCannotUse() throws {
        let empty = Self.temporaryPath("vectors-empty")
        let junk = Self.temporaryPath("vectors-junk")
        defer {
            try? FileManager.default.removeItem(atPath: empty)
            try? FileManager.default.removeItem(atPath: junk)
        }
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: junk, withIntermediateDirectories: true)
        for name in [
            "rank", "rank_backward", "recall_loss", "ap_loss", "map_loss", "recall_at_k", "map_at_r",
            "average_precision",
        ] {
            try Data("not json {".utf8).write(to: URL(fileURLWithPath: junk).appendingPathComponent("\(name).json"))
        }
        for (folder, needle) in [(empty, "has no rank.json"), (junk, "rank.json")] {
            let out = Self.temporaryPath("ch13-vectors")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = try Self.shell("exec \"$B/ch13\" --quick --vectors '\(folder)' --out '\(out)'")
            #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
            #expect(run.stderr.hasPrefix("ch13: --vectors") && run.stderr.contains(needle), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// Quick mode uses a flag's quick value only when the user did not pass the flag.
    @Test func quickModeNeverOverridesAGivenFlag() throws {
        let chapter = Chapter(
            "chT", title: "t", flags: [.int("steps", default: 100, quick: 10, in: 1...1000, help: "s")],
            arguments: ["--quick", "--steps", "7"])
        #expect(chapter.int("steps") == 7)
        let quick = Chapter(
            "chT", title: "t", flags: [.int("steps", default: 100, quick: 10, in: 1...1000, help: "s")],
            arguments: ["--quick"])
        #expect(quick.int("steps") == 10)
        let full = Chapter(
            "chT", title: "t", flags: [.int("steps", default: 100, quick: 10, in: 1...1000, help: "s")],
            arguments: [])
        #expect(full.int("steps") == 100)
    }

    /// An `--out` that cannot become a folder (a file of that name, a file as its parent) is refused before any
    /// work, with one line naming it: a long chapter never trains for a minute and then fails to write.
    @Test func anUnusableOutputFolderIsRefusedBeforeAnyWork() throws {
        let file = Self.temporaryPath("ch11-out-is-a-file")
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        for out in [file, file + "/inside"] {
            let run = try Self.shell("exec \"$B/ch11\" --out '\(out)'")
            #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
            #expect(run.stderr.hasPrefix("ch11: cannot write into --out \(out): "), "\(run.stderr)")
            #expect(!run.stdout.contains("Whole chapter"), "the chapter ran before refusing --out")
        }
    }

    /// A full standard output (`> /dev/full`) is a lost answer: exit 2 with a line on stderr, not exit 0.
    @Test func aChapterWritingToAFullStandardOutputExitsTwo() throws {
        let out = Self.temporaryPath("ch01-full")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Self.shell("exec \"$B/ch01\" --quick --out '\(out)' > /dev/full")
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("ch01: cannot write to standard output"), "\(run.stderr)")
        let closed = try Self.shell("exec \"$B/ch01\" --quick --out '\(out)' >&-")
        #expect(closed.status == 2, "exit \(closed.status): \(closed.stderr)")
        #expect(closed.stderr.contains("standard output is closed"), "\(closed.stderr)")
    }

    /// The error path with a closed standard error: the message is lost, the exit code is not (2, not a trap).
    @Test func errorsWithAClosedStandardErrorExitTwo() throws {
        for script in [
            "exec \"$B/ch01\" --bogus 2>&-", "exec \"$B/ch03\" --lambda 5e-324 2>&- >&-",
            "exec \"$B/rambo-bench\" --bogus 2>&-", "exec \"$B/course\" --bogus 2>&-",
        ] {
            let run = try Self.shell(script)
            #expect(run.status == 2, "\(script): exit \(run.status)")
        }
        let bench = try Self.shell("exec \"$B/rambo-bench\" --op rank --n 100 --repeats 1 > /dev/full")
        #expect(bench.status == 2 && bench.stderr.contains("cannot write to standard output"), "\(bench.stderr)")
    }

    /// A disk that takes only 20 KB per file (a file-size limit; gnuplot still exits 0): the truncated PNGs
    /// are reported as failed checks and never appear under their final names, and nothing partial is left.
    @Test func figuresCutShortByAFullDiskAreNeverRenamedIntoPlace() throws {
        let out = Self.temporaryPath("ch02-small-disk")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Self.shell("trap '' XFSZ; ulimit -f 40; exec \"$B/ch02\" --quick --out '\(out)'")
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stdout.contains("incomplete clusters.png"), "\(run.stdout.suffix(2000))")
        let files = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(!files.contains { $0.hasPrefix(".") }, "partial files left: \(files)")
        for png in files where png.hasSuffix(".png") {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(png)))
            #expect(
                Array(bytes.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82],
                "\(png) is incomplete")
        }
        let summary = try Summary.read(from: URL(fileURLWithPath: out).appendingPathComponent("summary.json"))
        #expect(summary.checks.contains { !$0.passed && $0.name == "figure clusters renders" })
    }

    /// ch09 trains two runs on two threads; when both fail they both report and finish. summary.json must be
    /// written once, hold every failed check stdout printed, and no temporary file may be left beside it.
    @Test func twoFailingWorkerThreadsLeaveOneCompleteSummary() throws {
        for attempt in 0..<4 {
            let out = Self.temporaryPath("ch09-race-\(attempt)")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = try Self.shell("exec \"$B/ch09\" --quick --skip-hershey --lr 1e308 --out '\(out)'")
            #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out)
            #expect(!files.contains { $0.hasPrefix(".") }, "temporary files left: \(files)")
            let summary = try Summary.read(from: URL(fileURLWithPath: out).appendingPathComponent("summary.json"))
            let printed = Set(
                run.stdout.split(separator: "\n").compactMap { line -> String? in
                    guard let r = line.range(of: "✗ FAILED: ") else { return nil }
                    return String(line[r.upperBound...].split(separator: " — ").first ?? "")
                })
            let recorded = Set(summary.checks.filter { !$0.passed }.map(\.name))
            #expect(!printed.isEmpty && printed == recorded, "printed \(printed), summary \(recorded)")
        }
    }

    /// The checked file writer: the whole content or nothing under the final name, and an error naming the file.
    @Test func checkedFileWritesReplaceWholeOrThrow() throws {
        let dir = URL(fileURLWithPath: Self.temporaryPath("output"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.txt")
        try Output.writeFile("first", to: file)
        try Output.writeFile("second", to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "second")
        let missing = dir.appendingPathComponent("no/such/folder/b.txt")
        do {
            try Output.writeFile("x", to: missing)
            Issue.record("a write into a missing folder succeeded")
        } catch let error as OutputError {
            #expect(error.description.contains("b.txt") && error.reason == "No such file or directory", "\(error)")
        }
        // Renaming onto a folder fails after the temporary file was written: it is removed again.
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("taken"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("taken/inside").path, contents: Data())
        #expect(throws: OutputError.self) { try Output.writeFile("x", to: dir.appendingPathComponent("taken")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.txt", "taken"])
    }
}
