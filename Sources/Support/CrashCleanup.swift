@preconcurrency import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The last-resort cleanup when the process crashes (SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGTRAP, SIGFPE): most often
/// memory exhaustion under `ulimit -v`, which Swift cannot report as an error.
///
/// The handler does only what is safe in a signal handler: it SIGKILLs the child groups and removes the
/// temporary and lock files of `Shutdown`'s registry, read from a copy kept in memory allocated up front (two
/// buffers, the registry writes the idle one and then switches), writes one line naming the signal and, when an
/// address-space or data-size limit is set, the limit, and then hands the signal to the handler installed before
/// (Swift's backtracer), so the crash is reported and the exit status is the signal's as before.
enum CrashCleanup {
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGTRAP, SIGFPE]
    /// Bytes of one snapshot buffer: the child count, the pids, then NUL-terminated paths and an empty one.
    static let capacity = 1 << 16
    static let maximumChildren = 64

    nonisolated(unsafe) static var buffers: UnsafeMutableRawPointer?
    nonisolated(unsafe) static var active: UnsafeMutablePointer<Int32>?
    nonisolated(unsafe) static var note: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var previous: UnsafeMutablePointer<sigaction>?

    /// Allocates the buffers, writes the crash line's text and installs the handler. Called once by `Shutdown`.
    static func install(program: String) {
        buffers = UnsafeMutableRawPointer.allocate(byteCount: 2 * capacity, alignment: 8)
        buffers?.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * capacity)
        active = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        active?.pointee = 0
        note = strdup(crashNote(program: program))
        previous = UnsafeMutablePointer<sigaction>.allocate(capacity: Int(NSIG))
        for sig in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = crashHandler
            action.sa_flags = Int32(SA_ONSTACK)
            sigemptyset(&action.sa_mask)
            sigaction(sig, &action, previous! + Int(sig))
        }
    }

    /// What the crash line says after the signal's name.
    static func crashNote(program: String) -> String {
        var limits = [String]()
        for (resource, flag) in [(RLIMIT_AS, "-v"), (RLIMIT_DATA, "-d")] {
            var limit = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max {
                limits.append("\(limit.rlim_cur >> 20) MB (ulimit \(flag))")
            }
        }
        let cause =
            limits.isEmpty
            ? "" : "; memory is limited to " + limits.joined(separator: " and ") + ", so it most likely ran out"
        return "\(program): crashed\(cause); its temporary files and child processes were removed\n"
    }

    /// Copies the registry into the idle buffer and makes it the active one. Caller holds `Shutdown`'s lock.
    static func snapshot(children: [pid_t], paths: Set<String>) {
        guard let buffers, let active else { return }
        let index = 1 - active.pointee
        let base = buffers + Int(index) * capacity
        let pids = Array(children.prefix(maximumChildren))
        base.storeBytes(of: Int32(pids.count), as: Int32.self)
        for (i, pid) in pids.enumerated() { base.storeBytes(of: pid, toByteOffset: 4 + 4 * i, as: Int32.self) }
        var offset = 4 + 4 * maximumChildren
        for path in paths {
            let bytes = Array(path.utf8) + [0]
            guard offset + bytes.count < capacity else { break }
            bytes.withUnsafeBytes { (base + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += bytes.count
        }
        base.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
        active.pointee = index
    }
}

/// The crash handler: only `kill`, `unlink`, `write`, `sigaction` and `raise`.
private func crashHandler(_ sig: Int32) {
    if let buffers = CrashCleanup.buffers, let active = CrashCleanup.active {
        let base = buffers + Int(active.pointee) * CrashCleanup.capacity
        let count = Int(base.load(as: Int32.self))
        for i in 0..<min(count, CrashCleanup.maximumChildren) {
            kill(-base.load(fromByteOffset: 4 + 4 * i, as: Int32.self), SIGKILL)
        }
        var path = (base + 4 + 4 * CrashCleanup.maximumChildren).assumingMemoryBound(to: CChar.self)
        while path.pointee != 0 {
            unlink(path)
            path += strlen(path) + 1
        }
    }
    if let note = CrashCleanup.note { _ = write(2, note, strlen(note)) }
    if let previous = CrashCleanup.previous { sigaction(sig, previous + Int(sig), nil) }
    raise(sig)
}
