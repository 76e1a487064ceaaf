import Foundation
import Support
import Testing

/// The one child-process runner: what it captures and feeds, how it names an ending, and that its time limit
/// holds against a child whose own child keeps the output pipes open.
@Suite struct ChildProcessTests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func capturesBothStreamsAndFeedsTheInput() throws {
        let result = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", "cat; echo oops >&2; exit 3"], input: Array("hello\n".utf8), timeout: 30)
        #expect(result.termination == .exited(3))
        #expect(result.outputText == "hello\n" && result.errorText == "oops\n")
        #expect("\(result.termination)" == "exit 3")
    }

    /// More input than a socket buffer holds, echoed back through a pipe: neither side may block the other.
    @Test func largeInputAndOutputDoNotDeadlock() throws {
        let input = [UInt8]((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let result = try ChildProcess.run("/bin/cat", arguments: [], input: input, timeout: 60)
        #expect(result.termination.succeeded && result.standardOutput == input)
    }

    @Test func runsInTheFolderGiven() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try ChildProcess.run("/bin/pwd", arguments: [], directory: dir.path, timeout: 30)
        #expect(result.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == dir.resolvingSymlinksInPath().path)
    }

    @Test func aSignalDeathIsNamed() throws {
        let result = try ChildProcess.run("/bin/sh", arguments: ["-c", "kill -TERM $$"], timeout: 30)
        #expect(result.termination == .signalled(SIGTERM))
        #expect("\(result.termination)" == "killed by SIGTERM")
        #expect("\(ChildProcess.Termination.exited(130))" == "exit 130 (stopped by SIGINT)")
        #expect("\(ChildProcess.Termination.timedOut(2))" == "stopped after its 2 s time limit")
    }

    /// The child runs in a process group of its own (its group id is its pid, not ours).
    @Test func theChildLeadsItsOwnProcessGroup() throws {
        let result = try ChildProcess.run("/bin/sh", arguments: ["-c", "echo $$ $(ps -o pgid= -p $$)"], timeout: 30)
        let fields = result.outputText.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        #expect(fields.count == 2 && fields[0] == fields[1] && fields[1] != getpgrp(), "\(result.outputText)")
    }

    /// A child that hangs and whose own child inherited its standard output: stopped at the limit, both gone.
    @Test func theTimeLimitStopsTheWholeGroup() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pids = dir.appendingPathComponent("pids").path
        let script = "sleep 600 & echo $$ $! > '\(pids)'; trap '' TERM; echo started; sleep 600"
        let result = try ChildProcess.run("/bin/sh", arguments: ["-c", script], timeout: 1, grace: 0.5)
        #expect(result.termination == .timedOut(1))
        #expect(result.outputText == "started\n")
        let text = try String(contentsOfFile: pids, encoding: .utf8)
        for pid in text.split(whereSeparator: \.isWhitespace).compactMap({ Int32($0) }) {
            #expect(!isRunning(pid), "\(pid) still runs")
        }
    }

    /// A child that exits at once but leaves a grandchild holding its output: the run returns at the child's exit
    /// and the grandchild is killed with its group.
    @Test func whatAChildLeavesBehindIsKilled() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pid = dir.appendingPathComponent("pid").path
        let result = try ChildProcess.run(
            "/bin/sh", arguments: ["-c", "sleep 600 & echo $! > '\(pid)'; echo done"], timeout: 300)
        #expect(result.termination == .exited(0) && result.outputText == "done\n")
        let grandchild = try #require(
            Int32(try String(contentsOfFile: pid, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(grandchild), "\(grandchild) still runs")
    }

    @Test func aProgramThatCannotStartIsAnError() {
        do {
            _ = try ChildProcess.run("/nonexistent/program", arguments: [], timeout: 30)
            Issue.record("a missing program started")
        } catch {
            #expect(error.description == "cannot start program: No such file or directory", "\(error)")
        }
    }
}

/// The output-folder claim: one holder at a time, a folder that vanishes is noticed, and symbolic links at
/// temporary names are never followed.
@Suite struct OutputFolderTests {
    @Test func aSecondClaimIsRefusedAndAVanishedFolderIsNoticed() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("claim-\(UUID().uuidString)/out")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let first = try OutputFolder(claiming: url)
        #expect(first.problem() == nil)
        #expect(OutputFolder.holder(of: url) == getpid())
        do {
            _ = try OutputFolder(claiming: url)
            Issue.record("a second claim of a held folder succeeded")
        } catch {
            #expect("\(error)".contains("another run (pid \(getpid())) is writing into \(url.path)"), "\(error)")
        }
        try FileManager.default.removeItem(at: url)
        #expect(first.problem() == "the output folder \(url.path) vanished during the run")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        #expect(first.problem() == "the output folder \(url.path) was deleted or replaced during the run")
    }

    @Test func temporariesAreCreatedExclusivelyAndNeverThroughALink() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exclusive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.appendingPathComponent("victim")
        try Data("keep".utf8).write(to: victim)
        let link = dir.appendingPathComponent(".link.partial")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: victim)
        let dangling = dir.appendingPathComponent(".dangling.partial")
        try FileManager.default.createSymbolicLink(
            at: dangling, withDestinationURL: dir.appendingPathComponent("missing"))
        for name in [link, dangling] {
            #expect(throws: OutputError.self) { try Output.writeNew(Data("x".utf8), to: name) }
        }
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing").path))
        // Two temporary names for one file never coincide.
        let names = Set((0..<1000).map { _ in Output.temporaryURL(for: victim).lastPathComponent })
        #expect(names.count == 1000)
    }
}

/// Whether `pid` still runs: it answers signal 0 and is not a zombie waiting for its new parent to reap it. A
/// process just sent SIGKILL takes a moment to die, so this waits up to 10 s for it to stop (a bound for "it
/// ended at all", never a timing assertion).
func isRunning(_ pid: Int32) -> Bool {
    for _ in 0..<200 {
        guard runsNow(pid) else { return false }
        usleep(50_000)
    }
    return true
}

private func runsNow(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}
