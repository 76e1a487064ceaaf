// course: where the chapter texts are, and how one chapter runs (its own process group, a hard time limit, its
// output into log.txt, no summary.json from an earlier run).
import Foundation
import Support
import Walkthrough

/// The repository whose `Chapters/NN-slug/README.md` texts the book shows.
enum Repository {
    /// The first folder that holds every chapter's README: `given` (from `--repo`) alone when set; otherwise the
    /// working folder, then the folders above the course executable (it is built in `.build/…/release` inside
    /// the repository). Throws a one-line reason naming what is missing.
    static func locate(given: String?, executable: URL) throws -> URL {
        if let given {
            let url = URL(fileURLWithPath: given).standardizedFileURL
            if let missing = missingText(in: url) { throw OptionsError("--repo \(given) lacks \(missing)") }
            return url
        }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL]
        var dir = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            candidates.append(dir)
            dir.deleteLastPathComponent()
        }
        if let found = candidates.first(where: { missingText(in: $0) == nil }) { return found }
        throw OptionsError(
            "cannot find the chapter texts (Chapters/NN-slug/README.md) in the working folder or above "
                + "\(executable.deletingLastPathComponent().path); run course from the repository or give --repo DIR")
    }

    /// The first chapter README missing under `root`, as a relative path; `nil` when all are there.
    static func missingText(in root: URL) -> String? {
        for info in Catalog.chapters {
            let path = "Chapters/\(info.folder)/README.md"
            if !FileManager.default.isReadableFile(atPath: root.appendingPathComponent(path).path) { return path }
        }
        return nil
    }

    /// How the book's pages link to the repository: a relative path from `out` when `out` lies inside it,
    /// otherwise a `file://` URL.
    static func link(from out: URL, to root: URL) -> String {
        let outPath = out.standardizedFileURL.path
        guard outPath.hasPrefix(root.path + "/") else { return "file://" + root.path }
        let depth = outPath.dropFirst(root.path.count + 1).split(separator: "/").count
        return Array(repeating: "..", count: depth).joined(separator: "/")
    }
}

enum ChapterRun {
    /// Seconds a chapter gets, after SIGTERM, to stop its gnuplot and remove its temporaries before SIGKILL.
    static let grace = 5.0

    /// Runs `binary --out dir arguments…` with its standard output and error in `dir/log.txt`.
    ///
    /// Any `summary.json` in `dir` is removed first, so the summary read afterwards is this run's or none. The
    /// chapter runs in a process group of its own for at most `timeout` seconds (`ChildProcess`); a stopping
    /// signal taken by `course` is forwarded to it (`Shutdown`). Whatever it leaves running is stopped, and when
    /// it did not end by itself its temporary and lock files are removed (`Orphans`).
    ///
    /// - Throws: a one-line reason when `dir` or its log cannot be written or the chapter cannot start.
    static func run(
        _ binary: URL, into dir: URL, arguments: [String], timeout: Double
    ) throws
        -> ChildProcess.Termination
    {
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw OptionsError("cannot create \(dir.path): \(error.localizedDescription)")
        }
        let summary = dir.appendingPathComponent("summary.json")
        if unlink(summary.path) != 0 && errno != ENOENT {
            throw OptionsError("cannot remove the earlier \(summary.path): \(String(cString: strerror(errno)))")
        }
        let log = dir.appendingPathComponent("log.txt")
        let fd = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OptionsError("cannot write \(log.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let result = try ChildProcess.run(
            binary.path, arguments: ["--out", dir.path] + arguments, standardOutput: .descriptor(fd),
            standardError: .descriptor(fd), timeout: timeout, grace: grace)
        // A chapter killed outright leaves its gnuplot (adopted by course, see `Orphans`) and its temporaries.
        Orphans.stop()
        if !result.termination.succeeded { Orphans.removeLeftovers(of: result.pid, in: dir) }
        return result.termination
    }

    /// The exit status the book shows for a termination: the status, 128 + a signal, 124 for the time limit.
    static func status(_ termination: ChildProcess.Termination) -> Int32 {
        switch termination {
        case .exited(let code): return code
        case .signalled(let sig): return 128 + sig
        case .timedOut: return 124
        }
    }
}
