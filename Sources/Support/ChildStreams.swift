@preconcurrency import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The descriptors between `ChildProcess` and one child: a socket for its input (sent without SIGPIPE), pipes for
/// the streams it captures, read without ever blocking. Every descriptor is close-on-exec, so no other child
/// inherits it.
struct ChildStreams {
    private var input: [UInt8]
    private var sent = 0
    private var parentInput: Int32 = -1
    private var childInput: Int32 = -1
    private var parentOutput: Int32 = -1
    private var childOutput: Int32 = -1
    private var parentError: Int32 = -1
    private var childError: Int32 = -1
    private let outputDestination: ChildProcess.Destination
    private let errorDestination: ChildProcess.Destination
    private(set) var output = [UInt8]()
    private(set) var error = [UInt8]()

    init(
        input: [UInt8]?, output: ChildProcess.Destination, error: ChildProcess.Destination, program: String
    ) throws(ChildProcessError) {
        self.input = input ?? []
        outputDestination = output
        errorDestination = error
        var ok = true
        if input != nil {
            var pair: [Int32] = [-1, -1]
            ok = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0
            (parentInput, childInput) = (pair[0], pair[1])
        }
        if ok, case .capture = output { ok = Self.pipe(&parentOutput, &childOutput) }
        if ok, case .capture = error { ok = Self.pipe(&parentError, &childError) }
        guard ok else {
            let reason = String(cString: strerror(errno))
            closeAll()
            throw ChildProcessError(program: program, reason: reason)
        }
        for fd in [parentInput, parentOutput, parentError] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    private static func pipe(_ read: inout Int32, _ write: inout Int32) -> Bool {
        var fds: [Int32] = [-1, -1]
        guard let pipe2 = GNU.pipe2 else {
            errno = ENOSYS
            return false
        }
        guard pipe2(&fds, O_CLOEXEC) == 0 else { return false }
        (read, write) = (fds[0], fds[1])
        return true
    }

    /// What becomes the child's descriptors 0, 1 and 2.
    func childDescriptors() -> [(Int32, ChildProcess.Destination)] {
        [
            (0, childInput >= 0 ? .descriptor(childInput) : .null),
            (1, childOutput >= 0 ? .descriptor(childOutput) : outputDestination),
            (2, childError >= 0 ? .descriptor(childError) : errorDestination),
        ]
    }

    /// Closes the child's ends after the spawn, so that end of file means the child (and its children) closed
    /// theirs.
    mutating func closeChildEnds() {
        for fd in [childInput, childOutput, childError] where fd >= 0 { close(fd) }
        (childInput, childOutput, childError) = (-1, -1, -1)
        if parentInput >= 0 && input.isEmpty { closeInput() }
    }

    mutating func closeAll() {
        closeChildEnds()
        for fd in [parentInput, parentOutput, parentError] where fd >= 0 { close(fd) }
        (parentInput, parentOutput, parentError) = (-1, -1, -1)
    }

    /// Feeds the input and reads the captured streams until the child `pid` ends (its wait status) or `deadline`
    /// (monotonic nanoseconds) passes (`nil`). Never blocks longer than 50 ms at a time; parks the thread when a
    /// stopping signal was taken (see `Shutdown`).
    mutating func pump(until deadline: UInt64, child pid: pid_t) -> Int32? {
        var slice: UInt64 = 1_000_000
        while true {
            Shutdown.parkIfStopping()
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return status }
            if reaped < 0 && errno == ECHILD { return 0 }
            let now = ProcessClock.monotonicNanoseconds()
            guard now < deadline else { return nil }
            let wait = min(slice, deadline - now)
            var fds = [parentInput, parentOutput, parentError].filter { $0 >= 0 }.map { fd in
                pollfd(fd: fd, events: Int16(fd == parentInput ? POLLOUT : POLLIN), revents: 0)
            }
            slice = min(slice * 2, 50_000_000)
            if fds.isEmpty {
                usleep(useconds_t(wait / 1000))
            } else if poll(&fds, nfds_t(fds.count), Int32(max(1, wait / 1_000_000))) > 0 {
                for p in fds where p.revents != 0 { service(p.fd) }
                // A pipe at its end: the child is most likely exiting, so look again soon.
                if fds.contains(where: { $0.fd != parentOutput && $0.fd != parentError && $0.fd != parentInput }) {
                    slice = 1_000_000
                }
            }
        }
    }

    /// Reads what the captured streams hold now, without waiting (after the child ended).
    mutating func drain() {
        if parentOutput >= 0 { service(parentOutput) }
        if parentError >= 0 { service(parentError) }
    }

    private mutating func service(_ fd: Int32) {
        if fd == parentInput {
            feed()
        } else if fd == parentOutput {
            if !read(fd, into: &output) {
                close(fd)
                parentOutput = -1
            }
        } else if fd == parentError {
            if !read(fd, into: &error) {
                close(fd)
                parentError = -1
            }
        }
    }

    /// Sends what the socket takes now; closes it when all is sent or the child stopped reading.
    private mutating func feed() {
        while sent < input.count {
            let n = input.withUnsafeBytes { raw in
                send(parentInput, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n > 0 {
                sent += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                break
            }
        }
        closeInput()
    }

    private mutating func closeInput() {
        close(parentInput)
        parentInput = -1
    }

    /// Reads until the pipe is empty; false at end of file or on an error. Keeps at most `captureLimit` bytes.
    private func read(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress, raw.count) }
            if n > 0 {
                let room = max(0, ChildProcess.captureLimit - buffer.count)
                buffer.append(contentsOf: chunk[0..<min(n, room)])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
            }
        }
    }
}
