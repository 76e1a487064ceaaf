import Foundation
import Testing

/// `rambo-reference` with its standard streams full or closed, and `generate` on a disk that fills up: a clear
/// error and exit 2, never a trap and never exit 0 with the output lost, never a partial set of vector files.
@Suite(.serialized) struct ToolFaultTests {
    /// Runs `script` with /bin/sh, `$T` the tool and `$V` the shipped vectors; returns the exit status and stderr.
    static func shell(_ script: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["T"] = Tool.binary.path
        environment["V"] = Tool.vectors.path
        process.environment = environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func fullOrClosedStandardStreamsExitTwo() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = dir.appendingPathComponent("cases.json").path
        let results = dir.appendingPathComponent("results.json").path
        let ready = try Self.shell(
            "\"$T\" cases --vectors \"$V\" --op rank --valid-only > '\(cases)' && "
                + "\"$T\" eval '\(cases)' > '\(results)'")
        #expect(ready.status == 0, "\(ready.stderr)")
        let probes: [(String, String?)] = [
            ("\"$T\" cases --vectors \"$V\" > /dev/full", "cannot write to standard output: No space left on device"),
            ("\"$T\" eval '\(cases)' >&-", "standard output is closed"),
            ("\"$T\" eval /nonexistent 2>&-", nil),
            ("\"$T\" generate --out /proc/x 2>&-", nil),
            (
                "\"$T\" verify --vectors \"$V\" --op rank --results '\(results)' > /dev/full",
                "cannot write to standard output"
            ),
            ("\"$T\" --help > /dev/full", "cannot write to standard output"),
        ]
        for (script, needle) in probes {
            let run = try Self.shell("exec " + script)
            #expect(run.status == 2, "\(script): exit \(run.status)\n\(run.stderr)")
            if let needle { #expect(run.stderr.contains(needle), "\(script): \(run.stderr)") }
        }
    }

    /// A file-size limit below the largest vector file (the disk "fills up" on recall_loss.json): exit 2, one line
    /// naming the file, and not one vector file nor a temporary file left in the folder.
    /// With and without `trap '' XFSZ` (the tool ignores SIGXFSZ itself, so the failed write is reported).
    @Test(arguments: ["trap '' XFSZ; ", ""])
    func generateOnAFullDiskLeavesNoPartialSet(trap: String) throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.shell("\(trap)ulimit -f 100; exec \"$T\" generate --out '\(dir.path)'")
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
        #expect(
            run.stderr.contains("cannot write \(dir.path)/recall_loss.json: File too large")
                && run.stderr.contains("no vector file was written"),
            "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        // With room, the same command writes the complete set.
        let fine = try Self.shell("exec \"$T\" generate --out '\(dir.path)'")
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
                == FileManager.default.contentsOfDirectory(atPath: Tool.vectors.path).filter { $0.hasSuffix(".json") }
                .sorted())
    }

    /// `eval` into a file under a size limit: its answer is cut at the limit, and it says so and exits 2 instead
    /// of dying of SIGXFSZ (or exiting as if the answer were whole).
    @Test func evalUnderAFileSizeLimitSaysItsOutputWasCut() throws {
        let dir = try Tool.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = dir.appendingPathComponent("cases.json").path
        let made = try Self.shell("exec \"$T\" cases --vectors \"$V\" > '\(cases)'")
        #expect(made.status == 0, "\(made.stderr)")
        let results = dir.appendingPathComponent("results.json").path
        let run = try Self.shell("ulimit -f 100; exec \"$T\" eval '\(cases)' > '\(results)'")
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
        #expect(
            run.stderr.contains("rambo-reference: cannot write to standard output: File too large"), "\(run.stderr)")
    }

    /// A cases file larger than the stated limit (here a device that never ends) is refused in one line.
    @Test func aCasesFileAboveTheSizeLimitIsRefused() throws {
        let run = try Self.shell("exec \"$T\" eval /dev/zero")
        #expect(run.status == 2, "exit \(run.status)")
        #expect(run.stderr.contains("is larger than \(256 << 20) bytes, the most this tool reads"), "\(run.stderr)")
    }
}
