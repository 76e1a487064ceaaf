@preconcurrency import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// One checked writer for standard output, standard error and files, shared by every executable.
///
/// A failed or short write is an error, never a trap: nothing here calls `FileHandle.write`, which traps on
/// `EBADF`, `ENOSPC` or `EPIPE`. The contract:
///
/// - Call `prepare()` first thing. A standard stream that is closed at start (`cmd >&-`, `cmd 2>&-`) is
///   replaced by `/dev/full`, so a later `open` cannot take its descriptor number (and silently receive the
///   program's output), and every write to it fails and is counted.
/// - Write standard output with `print` or `Output.write`: both go through C's buffered `stdout`, so their order
///   is kept. Write one-line messages to standard error with `Output.error` (best effort: if standard error is
///   gone too, the exit code still tells).
/// - Leave with `Output.exit(code)`. It flushes standard output; if any write to it was lost (a full disk,
///   `/dev/full`, a closed descriptor) it says so on standard error and exits 2 instead of 0, so a caller never
///   mistakes a lost answer for a success. Any other way out (`exit`, the end of `main`) is caught by an
///   `atexit` hook that `prepare()` installs: a lost write to standard output then also ends in exit 2.
/// - Write files with `Output.writeFile`: a temporary name in the same folder, every byte checked, then a
///   rename, so a failure (a full disk, a size limit, a read-only folder) leaves nothing under the final name.
///
/// Thread-safe: every entry point may be called from any thread.
public enum Output {
    nonisolated(unsafe) private static var lostStandardOutput: String?
    nonisolated(unsafe) private static var prepared = false
    nonisolated(unsafe) private static var standardOutputClosedAtStart = false
    nonisolated(unsafe) private static var exiting = false
    private static let lock = NSLock()
    /// C's `stdout` and `stderr`: the streams never move, and C's stdio locks each one itself.
    nonisolated(unsafe) private static let standardOutput: UnsafeMutablePointer<FILE> = stdout
    nonisolated(unsafe) private static let standardError: UnsafeMutablePointer<FILE> = stderr

    /// The name that prefixes the messages `exit` writes (the executable's file name by default).
    nonisolated(unsafe) public static var program: String =
        (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "rambo"

    /// Makes the standard streams safe to use: descriptor 0 closed → `/dev/null`; 1 or 2 closed → `/dev/full`
    /// (every write to it then fails with ENOSPC and is recorded). Idempotent; cheap.
    public static func prepare() {
        lock.lock()
        defer { lock.unlock() }
        if !prepared {
            prepared = true
            Shutdown.install()
            atexit {
                Shutdown.cleanUpAtExit()
                if Output.exitingThroughOutput { return }
                if let problem = Output.standardOutputProblem() {
                    Output.error("\(Output.program): cannot write to standard output: \(problem)")
                    _exit(2)
                }
            }
        }
        for fd: Int32 in [0, 1, 2] where fcntl(fd, F_GETFD) == -1 {
            var replacement = open(fd == 0 ? "/dev/null" : "/dev/full", fd == 0 ? O_RDONLY : O_WRONLY)
            if replacement < 0 {
                replacement = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
                if fd == 1 { lostStandardOutput = "standard output is closed" }
            }
            if fd == 1 { standardOutputClosedAtStart = true }
            if replacement >= 0 && replacement != fd {
                dup2(replacement, fd)
                close(replacement)
            }
        }
    }

    /// Writes `text` to standard output (buffered, in order with `print`). A failure is recorded for `exit`.
    public static func write(_ text: String) {
        var text = text
        let ok = text.withUTF8 { bytes in
            bytes.isEmpty || fwrite(bytes.baseAddress, 1, bytes.count, standardOutput) == bytes.count
        }
        if !ok { recordLostOutput(errno) }
    }

    /// Writes one line to standard error. Never traps; if standard error cannot be written the line is lost
    /// (the exit code still carries the outcome).
    public static func error(_ line: String) {
        var text = line.hasSuffix("\n") ? line : line + "\n"
        text.withUTF8 { bytes in
            _ = fwrite(bytes.baseAddress, 1, bytes.count, standardError)
        }
        fflush(standardError)
    }

    /// Whether every write to standard output so far has succeeded (flushes it first). `nil` when all is
    /// well, otherwise the reason.
    public static func standardOutputProblem() -> String? {
        if fflush(standardOutput) != 0 || ferror(standardOutput) != 0 { recordLostOutput(errno) }
        lock.lock()
        defer { lock.unlock() }
        return lostStandardOutput
    }

    /// Flushes standard output and exits with `code`, or with 2 when `code` is 0 but output was lost (after a
    /// line on standard error saying why).
    public static func exit(_ code: Int32) -> Never {
        lock.lock()
        exiting = true
        lock.unlock()
        var status = code
        if let problem = standardOutputProblem() {
            error("\(program): cannot write to standard output: \(problem)")
            if status == 0 { status = 2 }
        }
        fflush(standardError)
        Shutdown.cleanUpAtExit()
        #if canImport(Glibc)
        Glibc.exit(status)
        #else
        Darwin.exit(status)
        #endif
    }

    private static var exitingThroughOutput: Bool {
        lock.lock()
        defer { lock.unlock() }
        return exiting
    }

    private static func recordLostOutput(_ code: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if lostStandardOutput == nil {
            lostStandardOutput =
                standardOutputClosedAtStart
                ? "standard output is closed"
                : code == 0 ? "a write failed" : String(cString: strerror(code))
        }
    }

    // MARK: - Files

    /// Writes `data` to `url` through a temporary file in the same folder, then renames it into place.
    ///
    /// Every `write` is checked for errors and short counts, the file is closed with its error checked, and
    /// only then renamed; on any failure the temporary file is removed and an `OutputError` naming `url` and
    /// the system's reason is thrown. `url` is either the complete new content or untouched.
    public static func writeFile(_ data: Data, to url: URL) throws {
        let temporary = temporaryURL(for: url)
        do {
            try writeNew(data, to: temporary)
        } catch let error as OutputError {
            throw OutputError(path: url.path, reason: error.reason)  // the file the caller asked for
        }
        try moveIntoPlace(temporary, url)
    }

    /// Renames a temporary file written by `writeNew` onto `final` (atomic within a folder) and forgets it; on a
    /// failure removes it and throws an `OutputError` naming `final`.
    public static func moveIntoPlace(_ temporary: URL, _ final: URL) throws {
        guard rename(temporary.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            Shutdown.removeTemporary(temporary.path)
            throw OutputError(path: final.path, reason: reason)
        }
        Shutdown.forgetTemporary(temporary.path)
    }

    /// Removes a temporary file written by `writeNew` that will not be moved into place.
    public static func discard(_ temporary: URL) {
        Shutdown.removeTemporary(temporary.path)
    }

    /// Writes text as UTF-8 (see `writeFile(_:to:)`).
    public static func writeFile(_ text: String, to url: URL) throws {
        try writeFile(Data(text.utf8), to: url)
    }

    /// A fresh temporary name beside `url`: `.name.<pid>.<random>.partial` (hidden, never a final name; 64
    /// random bits, so no other run and no planted file can guess it).
    public static func temporaryURL(for url: URL, extension ext: String = "partial") -> URL {
        let suffix = "\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(suffix).\(ext)")
    }

    /// Creates the temporary file `url` (which must not exist; never through a symbolic link) holding exactly
    /// `data`, registered with `Shutdown` so that every way out of the process removes it until
    /// `moveIntoPlace` or `discard`; on a failure removes it and throws an `OutputError` naming it.
    public static func writeNew(_ data: Data, to url: URL) throws {
        let fd = Shutdown.createTemporary(url.path)
        guard fd >= 0 else { throw OutputError(path: url.path, reason: String(cString: strerror(errno))) }
        var failure: Int32 = 0
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 {
                    failure = EIO
                    return
                }
                offset += n
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            Shutdown.removeTemporary(url.path)
            throw OutputError(path: url.path, reason: String(cString: strerror(failure)))
        }
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}

/// A file that could not be written, with the system's reason ("No space left on device").
public struct OutputError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "cannot write \(path): \(reason)" }
    public var errorDescription: String? { description }
}
