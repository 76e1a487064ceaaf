@preconcurrency import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The one way the package runs another program (gnuplot, cmark-gfm, a chapter under `course`), with a hard time
/// limit that nothing the child does can stretch.
///
/// The child starts (`posix_spawn`) in a process group of its own, with an empty signal mask and the default
/// action for SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGXFSZ. Its standard input is `/dev/null` or the bytes given;
/// its standard output and error are `/dev/null`, a descriptor of the caller's (a log file) or captured through
/// pipes that are read with a deadline. Waiting is bounded too: the caller polls the child (`waitpid` with
/// `WNOHANG`) and never reads a pipe to its end, so a grandchild that keeps a descriptor open cannot hold it.
///
/// At the time limit the whole group gets SIGTERM, then SIGKILL `grace` seconds later; when the child exits in
/// time, its group is SIGKILLed anyway, so nothing it started outlives it. The group is registered with
/// `Shutdown` while it runs: a stopping signal taken by this process is forwarded to it.
public enum ChildProcess {
    /// How a child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)
        /// It ran past its time limit (seconds) and its group was stopped.
        case timedOut(Double)

        public var succeeded: Bool { self == .exited(0) }

        /// "exit 3", "killed by SIGTERM", "exit 143 (stopped by SIGTERM)" (a program of this package that took a
        /// stopping signal exits with 128 + the signal) or "stopped after its 2 s time limit".
        public var description: String {
            switch self {
            case .exited(let code) where code > 128 && code - 128 <= 64:
                return "exit \(code) (stopped by \(signalName(code - 128)))"
            case .exited(let code): return "exit \(code)"
            case .signalled(let sig): return "killed by \(signalName(sig))"
            case .timedOut(let seconds): return "stopped after its \(formatSeconds(seconds)) s time limit"
            }
        }
    }

    /// Where a standard stream of the child goes.
    public enum Destination: Sendable {
        /// `/dev/null`.
        case null
        /// A pipe read by the caller (at most `captureLimit` bytes are kept; the rest is read and dropped).
        case capture
        /// A descriptor the caller owns (duplicated into the child; the caller closes its own).
        case descriptor(Int32)
    }

    /// What a run left: how it ended and what it wrote to the captured streams.
    public struct Result: Sendable {
        /// The child's pid (also its process group's id); it was reaped.
        public let pid: pid_t
        public let termination: Termination
        public let standardOutput: [UInt8]
        public let standardError: [UInt8]
        public var outputText: String { String(decoding: standardOutput, as: UTF8.self) }
        public var errorText: String { String(decoding: standardError, as: UTF8.self) }
    }

    /// The bytes of a captured stream that are kept.
    public static let captureLimit = 16 << 20

    /// Runs `executable` with `arguments` and waits for it at most `timeout` seconds (plus `grace` to stop it).
    ///
    /// - Parameters:
    ///   - directory: the child's working folder (the caller's when `nil`).
    ///   - input: the bytes its standard input reads (through a socket, so a child that stops reading never
    ///     raises SIGPIPE here), or `/dev/null` when `nil`.
    ///   - grace: seconds between SIGTERM and SIGKILL, at the time limit and when a stopping signal is forwarded.
    /// - Throws: `ChildProcessError` when it cannot start (a missing program, no descriptor or process left);
    ///   never for how it ended, which is the result's `termination`.
    public static func run(
        _ executable: String, arguments: [String], directory: String? = nil, input: [UInt8]? = nil,
        standardOutput: Destination = .capture, standardError: Destination = .capture, timeout: Double,
        grace: Double = 1
    ) throws(ChildProcessError) -> Result {
        let name = (executable as NSString).lastPathComponent
        var streams = try ChildStreams(input: input, output: standardOutput, error: standardError, program: name)
        defer { streams.closeAll() }
        let start = ProcessClock.monotonicNanoseconds()
        var spawnError: Int32 = 0
        var launched: pid_t?
        // ETXTBSY: the program file is still open for writing in some process (often a child forked by another
        // thread while it was written); it passes in moments, so a few tries.
        for attempt in 0..<5 {
            if attempt > 0 { usleep(UInt32(20_000 << attempt)) }
            launched = Shutdown.launch(grace: grace) { () -> pid_t? in
                let result = spawn(executable, arguments: arguments, directory: directory, streams: streams)
                if case .failure(let failure) = result { spawnError = failure.code }
                return try? result.get()
            }
            if launched != nil || spawnError != ETXTBSY { break }
        }
        guard let pid = launched else {
            throw ChildProcessError(program: name, reason: String(cString: strerror(spawnError)))
        }
        streams.closeChildEnds()
        let deadline = start + UInt64(min(timeout, 1e9) * 1e9)
        let status = streams.pump(until: deadline, child: pid)
        let termination: Termination
        if let status {
            streams.drain()
            kill(-pid, SIGKILL)
            termination = decode(status)
        } else {
            Shutdown.stopChildren([pid], signal: SIGTERM, grace: grace)
            termination = .timedOut(timeout)
        }
        Shutdown.forgetChild(pid)
        return Result(
            pid: pid, termination: termination, standardOutput: streams.output, standardError: streams.error)
    }

    /// Starts the child in a new process group with the streams' descriptors as 0, 1 and 2.
    private static func spawn(
        _ executable: String, arguments: [String], directory: String?, streams: ChildStreams
    ) -> Swift.Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in streams.childDescriptors() {
            switch source {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            case .capture: break
            }
        }
        if let directory {
            guard let addChdir = GNU.addChdir else { return .failure(SpawnFailure(ENOSYS)) }
            _ = addChdir(&actions, directory)
        }
        // Only 0, 1 and 2 reach the child, even a descriptor another thread opened without close-on-exec.
        if let addCloseFrom = GNU.addCloseFrom { _ = addCloseFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in Shutdown.stoppingSignals + [SIGPIPE, SIGXFSZ, SIGQUIT] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        return code == 0 ? .success(pid) : .failure(SpawnFailure(code))
    }

    /// Waits up to `seconds` for the leaders in `alive` to end, reaping them; removes the ones that ended (or that
    /// another thread already reaped). Polls every few milliseconds.
    static func waitFor(_ alive: inout Set<pid_t>, seconds: Double) {
        let deadline = ProcessClock.monotonicNanoseconds() + UInt64(max(0, min(seconds, 1e6)) * 1e9)
        while true {
            for pid in alive {
                var status: Int32 = 0
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid || (r < 0 && errno == ECHILD) { alive.remove(pid) }
            }
            if alive.isEmpty || ProcessClock.monotonicNanoseconds() >= deadline { return }
            usleep(5_000)
        }
    }

    static func decode(_ status: Int32) -> Termination {
        let sig = status & 0x7f
        return sig == 0 ? .exited((status >> 8) & 0xff) : .signalled(sig)
    }

    /// "SIGTERM" for 15, and the like; "signal N" for a number without a name here.
    public static func signalName(_ sig: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
            SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2",
        ]
        return names[sig] ?? "signal \(sig)"
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && seconds < 1e15 ? String(Int(seconds)) : "\(seconds)"
    }
}

/// A program that could not be started, with the system's reason ("Too many open files").
public struct ChildProcessError: Error, CustomStringConvertible, Equatable {
    public let program: String
    public let reason: String
    public var description: String { "cannot start \(program): \(reason)" }
}

/// Two GNU functions the Glibc module does not declare (they need `_GNU_SOURCE`), looked up at run time.
enum GNU {
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) ->
        Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29).
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34).
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }
    /// `pipe2`, which creates both ends close-on-exec at once (no other thread's child can inherit them).
    static let pipe2: Pipe2? = symbol("pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
    }
}

/// The errno of a failed `posix_spawn`.
struct SpawnFailure: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}
