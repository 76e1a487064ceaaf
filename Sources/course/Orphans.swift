// course: what a chapter that was killed outright (SIGKILL, a crash) leaves behind, cleared before the next one.
import Foundation
import Support

/// On Linux, `course` is a child subreaper: a process a chapter leaves behind when it is killed outright (its
/// gnuplot, in a process group of its own) becomes course's child instead of init's, so course can stop it.
enum Orphans {
    /// Makes this process a subreaper (Linux `prctl(PR_SET_CHILD_SUBREAPER)`); false where that is not available.
    @discardableResult
    static func adopt() -> Bool {
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return false }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        return prctl(36, 1, 0, 0, 0) == 0  // PR_SET_CHILD_SUBREAPER
    }

    /// SIGKILLs the process group of every process that is still a child of this one (after the chapter was
    /// reaped, any child left is an orphan it adopted) and reaps them (at most 5 s). Returns how many there were.
    @discardableResult
    static func stop() -> Int {
        let me = getpid()
        var leaders = Set<pid_t>()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After the command's closing parenthesis: state, ppid, pgrp, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[1]) == me, let group = pid_t(fields[2]) else { continue }
            if group != getpgrp() { kill(-group, SIGKILL) }
            kill(pid, SIGKILL)
            leaders.insert(pid)
        }
        let count = leaders.count
        let deadline = ProcessClock.monotonicNanoseconds() + 5_000_000_000
        while !leaders.isEmpty && ProcessClock.monotonicNanoseconds() < deadline {
            for pid in leaders {
                var status: Int32 = 0
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid || (r < 0 && errno == ECHILD) { leaders.remove(pid) }
            }
            usleep(5_000)
        }
        return count
    }

    /// Removes what a chapter (process `pid`) that did not end by itself left in `dir`: its temporary files
    /// (`.NAME.<pid>.<random>.partial`, see `Output.temporaryURL`) and its lock file when nobody holds it.
    static func removeLeftovers(of pid: pid_t, in dir: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".partial") && name.contains(".\(pid).") {
            unlink(dir.appendingPathComponent(name).path)
        }
        if OutputFolder.holder(of: dir) == nil {
            let lock = dir.appendingPathComponent(OutputFolder.lockName)
            let text = (try? String(contentsOf: lock, encoding: .utf8)) ?? ""
            if pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) == pid { unlink(lock.path) }
        }
    }
}
