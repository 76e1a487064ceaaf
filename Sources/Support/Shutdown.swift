@preconcurrency import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// What a process undoes on its way out, whichever way it leaves: the temporary files it created, the child
/// process groups it started and the output-folder locks it holds.
///
/// `Output.prepare()` installs it. From then on:
///
/// - SIGINT, SIGTERM and SIGHUP are blocked in the main thread (and so in every thread started from it) and taken
///   by one thread that waits for them (`sigwait`). On the first one it forwards the signal to every child group
///   it knows, waits for each for its grace period (then SIGKILLs the group), removes every registered temporary
///   file and lock file, says `PROGRAM: stopped by SIGTERM` on standard error and exits with 128 + the signal.
/// - SIGXFSZ is ignored, so a write beyond `ulimit -f` fails with EFBIG and is reported like a full disk instead
///   of killing the process without a word.
/// - `Output.exit`, and any other exit through `exit()`, removes what is still registered and SIGKILLs any child
///   group still alive.
/// - A crash (memory exhaustion under `ulimit -v`, most often) does the same as far as a signal handler can, and
///   says which memory limit was set (`CrashCleanup`).
///
/// Creating a temporary file (`createTemporary`) and starting a child (`launch`) happen under the registry's lock,
/// and neither starts once a signal has been taken: the calling thread then waits for the process to end. So
/// every temporary file and child that exists when the cleanup runs is in the registry.
///
/// Thread-safe. The registry is small (a handful of entries at a time); every operation is O(entries).
public enum Shutdown {
    /// The signals that stop a run with cleanup.
    public static let stoppingSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static var stoppingSignal: Int32 = 0
    nonisolated(unsafe) private static var temporaries = Set<String>()
    /// Child process group leaders (the group's id is the leader's pid) and the seconds each is given to stop.
    nonisolated(unsafe) private static var children = [pid_t: Double]()
    nonisolated(unsafe) private static var lockFiles = Set<String>()

    /// Blocks the stopping signals in the calling thread, starts the thread that takes them and ignores SIGXFSZ.
    /// Idempotent. Call it from the main thread before any other thread starts (`Output.prepare` does).
    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        signal(SIGXFSZ, SIG_IGN)
        // Children are waited for one by one; an inherited SIG_IGN would have the kernel reap them unseen.
        signal(SIGCHLD, SIG_DFL)
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        if pthread_create(&thread, nil, signalThreadMain, nil) != 0 {
            // No thread (a process limit): keep the default actions rather than signals nobody takes.
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        } else {
            pthread_detach(thread)
        }
        CrashCleanup.install(program: Output.program)
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in stoppingSignals { sigaddset(&set, s) }
        return set
    }

    // MARK: - Temporary files

    /// Creates `path` exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`: never an existing file, never through a
    /// symbolic link), opened with `access` (`O_WRONLY` or `O_RDWR`), and registers it for removal. Returns the descriptor (close-on-exec), or -1
    /// with `errno` set. Waits for the end of the process instead when a stopping signal was taken.
    public static func createTemporary(_ path: String, access: Int32 = O_WRONLY, mode: mode_t = 0o644) -> Int32 {
        lock.lock()
        if stoppingSignal != 0 {
            lock.unlock()
            park()
        }
        let fd = open(path, access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        let code = errno
        if fd >= 0 {
            temporaries.insert(path)
            changed()
        }
        lock.unlock()
        errno = code
        return fd
    }

    /// Registers an existing file for removal on every way out until `forgetTemporary` (a figure's script and
    /// data while its image is rendered: a run stopped then leaves neither behind without the image).
    public static func removeUnlessKept(_ path: String) {
        lock.lock()
        temporaries.insert(path)
        changed()
        lock.unlock()
    }

    /// Forgets a temporary file that was renamed into place or removed.
    public static func forgetTemporary(_ path: String) {
        lock.lock()
        temporaries.remove(path)
        changed()
        lock.unlock()
    }

    /// Removes a temporary file and forgets it.
    public static func removeTemporary(_ path: String) {
        lock.lock()
        unlink(path)
        temporaries.remove(path)
        changed()
        lock.unlock()
    }

    // MARK: - Child processes

    /// Runs `start` (which starts a child in its own process group and returns its pid, or `nil`) under the
    /// registry's lock and registers the group with `grace`, the seconds it gets to stop after a forwarded signal.
    static func launch(grace: Double, _ start: () -> pid_t?) -> pid_t? {
        lock.lock()
        if stoppingSignal != 0 {
            lock.unlock()
            park()
        }
        let pid = start()
        if let pid {
            children[pid] = grace
            changed()
        }
        lock.unlock()
        return pid
    }

    /// Forgets a child group whose leader was reaped and whose group was killed.
    static func forgetChild(_ pid: pid_t) {
        lock.lock()
        children[pid] = nil
        changed()
        lock.unlock()
    }

    /// Waits for the end of the process when a stopping signal was taken (the cleanup thread ends it); returns at
    /// once otherwise. Loops that wait for a child call it, so they never go on after their child was stopped.
    public static func parkIfStopping() {
        lock.lock()
        let stopping = stoppingSignal != 0
        lock.unlock()
        if stopping { park() }
    }

    // MARK: - Lock files

    /// Registers a lock file this process holds: it is removed (while still held) on every way out.
    static func holdLockFile(_ path: String) {
        lock.lock()
        lockFiles.insert(path)
        changed()
        lock.unlock()
    }

    /// Forgets a lock file this process no longer holds.
    static func releaseLockFile(_ path: String) {
        lock.lock()
        lockFiles.remove(path)
        changed()
        lock.unlock()
    }

    // MARK: - Leaving

    /// Removes every registered temporary and lock file and kills every registered child group. Called on the
    /// way out of the process (`Output.exit` and the `atexit` hook).
    static func cleanUpAtExit() {
        lock.lock()
        let groups = children
        let paths = temporaries.union(lockFiles)
        children = [:]
        temporaries = []
        lockFiles = []
        changed()
        lock.unlock()
        stopChildren(Array(groups.keys), signal: SIGKILL, grace: 0)
        for path in paths { unlink(path) }
    }

    /// The cleanup on a stopping signal; ends the process with 128 + `sig`.
    static func stop(by sig: Int32) -> Never {
        lock.lock()
        stoppingSignal = sig
        let groups = children
        let paths = temporaries.union(lockFiles)
        lock.unlock()
        Output.error("\(Output.program): stopped by \(ChildProcess.signalName(sig))")
        stopChildren(Array(groups.keys), signal: sig, grace: groups.values.max() ?? 0)
        for path in paths { unlink(path) }
        // What the run printed so far, unless another thread holds standard output (a write blocked on a full
        // pipe must not hold the exit).
        if ftrylockfile(stdout) == 0 {
            fflush(stdout)
            funlockfile(stdout)
        }
        _exit(128 + sig)
    }

    /// Sends `signal` to every group, waits up to `grace` seconds for their leaders, SIGKILLs every group (the
    /// leaders still alive and any process left behind in a group) and reaps the leaders (at most 5 s more).
    static func stopChildren(_ leaders: [pid_t], signal: Int32, grace: Double) {
        guard !leaders.isEmpty else { return }
        for pid in leaders { kill(-pid, signal) }
        var alive = Set(leaders)
        ChildProcess.waitFor(&alive, seconds: grace)
        for pid in leaders { kill(-pid, SIGKILL) }
        ChildProcess.waitFor(&alive, seconds: 5)
    }

    /// Hands the registry to the crash handler (`CrashCleanup`). Caller holds the lock.
    private static func changed() {
        CrashCleanup.snapshot(children: Array(children.keys), paths: temporaries.union(lockFiles))
    }

    /// Blocks the calling thread until the process ends.
    private static func park() -> Never {
        while true { sleep(3600) }
    }
}

/// The thread that takes the stopping signals (they are blocked everywhere else).
private func signalThreadMain(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    var set = Shutdown.signalSet()
    while true {
        var sig: Int32 = 0
        if sigwait(&set, &sig) == 0 { Shutdown.stop(by: sig) }
    }
}
