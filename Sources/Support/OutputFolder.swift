@preconcurrency import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// An output folder claimed by one run: a lock file in it that a second run finds, and the folder's identity, so
/// that a folder deleted or replaced during the run is noticed instead of silently re-created.
///
/// The lock is `flock` on `FOLDER/.rambo.lock` (held until the process ends; the file holds the holder's pid).
/// The holder removes the file on every way out (see `Shutdown`) while it still holds the lock, and a run that
/// takes the lock checks that the name still leads to the file it locked, so a lock file removed in between
/// never lets two runs in. A run killed with SIGKILL leaves the file behind, unlocked: the next run takes it.
public final class OutputFolder: @unchecked Sendable {
    /// The lock file's name inside the folder.
    public static let lockName = ".rambo.lock"

    public let url: URL
    private let device: UInt64
    private let inode: UInt64
    private let lockDescriptor: Int32

    /// Creates `url` (and its parents) if needed and claims it.
    ///
    /// - Throws: `OutputFolderError` naming the folder: it cannot be created, or another run (its pid given)
    ///   holds it.
    public init(claiming url: URL) throws {
        self.url = url
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw OutputFolderError("cannot create the output folder \(url.path): \(Self.reason(error))")
        }
        let path = url.appendingPathComponent(Self.lockName).path
        lockDescriptor = try Self.lock(path, folder: url.path)
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            close(lockDescriptor)
            throw OutputFolderError("the output folder \(url.path) vanished as the run started")
        }
        (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
        var pid = "\(getpid())\n"
        _ = ftruncate(lockDescriptor, 0)
        _ = pid.withUTF8 { pwrite(lockDescriptor, $0.baseAddress, $0.count, 0) }
        Shutdown.holdLockFile(path)
    }

    /// Releases the claim: removes the lock file (while still holding it, if it is still this claim's) and closes
    /// it. A run normally keeps its claim until it ends (`Shutdown` then removes the file).
    deinit {
        let path = url.appendingPathComponent(Self.lockName).path
        var locked = stat()
        var named = stat()
        if fstat(lockDescriptor, &locked) == 0, lstat(path, &named) == 0, locked.st_ino == named.st_ino,
            locked.st_dev == named.st_dev
        {
            unlink(path)
        }
        Shutdown.releaseLockFile(path)
        close(lockDescriptor)
    }

    /// Whether another run holds `url` now: its pid, or `nil` when the folder is free (or does not exist).
    /// Takes nothing: the answer may be stale the moment it is given; `init(claiming:)` is the real test.
    public static func holder(of url: URL) -> Int32? {
        let fd = open(url.appendingPathComponent(lockName).path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK else { return nil }
        return readPID(fd) ?? 0
    }

    /// `nil` while the folder is still the one claimed; otherwise one line saying what happened to it.
    public func problem() -> String? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return "the output folder \(url.path) vanished during the run" }
        var lock = stat()
        if UInt64(info.st_dev) != device || UInt64(info.st_ino) != inode
            || (fstat(lockDescriptor, &lock) == 0 && lock.st_nlink == 0)
        {
            return "the output folder \(url.path) was deleted or replaced during the run"
        }
        return nil
    }

    /// Opens and locks the lock file; retries when the name no longer leads to the file locked (its holder
    /// removed it as it finished).
    private static func lock(_ path: String, folder: String) throws -> Int32 {
        for _ in 0..<16 {
            let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw OutputFolderError("cannot create the lock file \(path): \(String(cString: strerror(errno)))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                let pid = readPID(fd)
                close(fd)
                guard code == EWOULDBLOCK else {
                    throw OutputFolderError("cannot lock \(path): \(String(cString: strerror(code)))")
                }
                throw OutputFolderError(
                    "another run\(pid.map { " (pid \($0))" } ?? "") is writing into \(folder); wait for it to "
                        + "finish or choose another output folder")
            }
            var locked = stat()
            var named = stat()
            if fstat(fd, &locked) == 0, lstat(path, &named) == 0, locked.st_ino == named.st_ino,
                locked.st_dev == named.st_dev
            {
                return fd
            }
            close(fd)
        }
        throw OutputFolderError("cannot lock \(path): its lock file keeps being replaced")
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: bytes[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func reason(_ error: Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(posix.code)))
        }
        return error.localizedDescription
    }
}

/// An output folder that cannot be claimed or was lost during the run, said in one line.
public struct OutputFolderError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
