import Foundation
import Support

#if canImport(Glibc)
import Glibc
#endif

/// Output formats a figure can be rendered to.
public enum OutputFormat: String, Sendable {
    case png, svg
}

/// Writes figures to disk and runs gnuplot-nox on them.
///
/// gnuplot is run as a process on the script file (not fed through stdin), once per output format, through
/// `ChildProcess`: in a process group of its own, with a hard time limit (`timeout`) after which the whole group is
/// stopped, its output and messages captured through pipes read with a deadline (no scratch files anywhere).
///
/// Every file is first written under a temporary name in the same folder and then renamed, so a failure never
/// leaves a half-written `.gp`, `.dat`, `.png` or `.svg` behind. The temporary names are unique to the run
/// (pid and 64 random bits), created exclusively (never an existing file, never through a symbolic link) and
/// removed on every way out, signals included (`Shutdown`). gnuplot 5.4 exits 0 even when it could not write its
/// output (a full disk), so every rendered file is validated before the rename: a PNG is parsed chunk by chunk
/// (`PNGCheck`), an SVG must parse as XML with an `<svg>` root (`SVGCheck`), and it must still be the file this
/// run created.
public enum Gnuplot {
    /// The environment variable that sets `timeout`.
    public static let timeoutVariable = "RAMBO_GNUPLOT_TIMEOUT"

    /// Seconds one gnuplot run may take before its process group is stopped: 120, or `RAMBO_GNUPLOT_TIMEOUT`,
    /// which must be a number of seconds in (0, 86400].
    ///
    /// - Throws: `GnuplotSettingError` naming the variable when it is set to anything else (`abc`, `-5`, `0`,
    ///   `inf`, `nan`).
    public static var timeout: Double {
        get throws { try timeout(environment: ProcessInfo.processInfo.environment) }
    }

    /// `timeout` read from `environment`.
    public static func timeout(environment: [String: String]) throws -> Double {
        guard let text = environment[timeoutVariable] else { return 120 }
        guard let value = Double(text), value.isFinite, value > 0, value <= 86400 else {
            throw GnuplotSettingError(
                "\(timeoutVariable)='\(text)' is not a time limit: give seconds in (0, 86400], e.g. "
                    + "\(timeoutVariable)=120")
        }
        return value
    }

    /// The gnuplot executable found on PATH, or `nil`.
    public static var executable: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("gnuplot")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// Writes `name.gp` and `name.dat` into `directory` (created if needed; a chapter first checks that its
    /// output folder is still the one it claimed, see `OutputFolder`, so a folder deleted during a run is an
    /// error there, never silently re-created).
    ///
    /// - Returns: the script's URL.
    /// - Throws: `GnuplotError.invalidFigure`, or `OutputError` naming the file that could not be written.
    @discardableResult
    public static func write(_ figure: Figure, to directory: URL) throws -> URL {
        try GnuplotScript.validate(figure)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: directory.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let script = directory.appendingPathComponent("\(figure.name).gp")
        try writeAtomically(GnuplotScript.data(for: figure), to: directory.appendingPathComponent("\(figure.name).dat"))
        try writeAtomically(GnuplotScript.script(for: figure), to: script)
        return script
    }

    /// Writes the figure's script and data, then renders each format with gnuplot.
    ///
    /// - Returns: the rendered files (`name.png`, `name.svg`).
    /// - Throws: `GnuplotError.notInstalled` when gnuplot is missing (the .gp and .dat are still written),
    ///   `GnuplotError.failed` carrying gnuplot's message when it rejects the script, `GnuplotSettingError` for a
    ///   bad `RAMBO_GNUPLOT_TIMEOUT`, `OutputError` for a file that could not be written.
    @discardableResult
    public static func render(_ figure: Figure, in directory: URL, formats: [OutputFormat] = [.png]) throws -> [URL] {
        try render(figure, in: directory, formats: formats, gnuplot: executable, timeout: try timeout)
    }

    /// `render` with the gnuplot executable and the time limit given (tests drive a fake gnuplot through it).
    static func render(
        _ figure: Figure, in directory: URL, formats: [OutputFormat], gnuplot: URL?,
        timeout: Double
    ) throws -> [URL] {
        let script = try write(figure, to: directory)
        guard let gnuplot else { throw GnuplotError.notInstalled }
        // A run stopped by a signal while gnuplot works removes this figure's script and data with its
        // temporaries, so it never leaves a .dat without its image.
        let data = script.deletingPathExtension().appendingPathExtension("dat")
        for file in [script, data] { Shutdown.removeUnlessKept(file.path) }
        defer { for file in [script, data] { Shutdown.forgetTemporary(file.path) } }
        return try formats.map { format in
            try render(figure, as: format, in: directory, gnuplot: gnuplot, timeout: timeout)
        }
    }

    /// Renders one format into a fresh temporary file, validates it and renames it into place.
    private static func render(
        _ figure: Figure, as format: OutputFormat, in directory: URL, gnuplot: URL, timeout: Double
    ) throws -> URL {
        let final = directory.appendingPathComponent("\(figure.name).\(format.rawValue)")
        let partial = try PartialFile(beside: final)
        defer { partial.discard() }
        var setup = "outfile='\(partial.url.lastPathComponent)'"
        if format == .svg {
            setup +=
                "; term_override=1; set terminal svg enhanced size \(figure.width),\(figure.height) "
                + "font 'DejaVu Sans,10' background rgb 'white'; set output outfile"
        }
        do {
            _ = try run(
                gnuplot, arguments: ["-e", setup, "\(figure.name).gp"], in: directory, script: "\(figure.name).gp",
                timeout: timeout)
        } catch GnuplotError.failed(_, let message) where message.hasPrefix(fileSizeLimit) {
            throw GnuplotError.incompleteOutput(figure: figure.name, format: format.rawValue, why: message)
        }
        guard let bytes = partial.contents() else {
            throw GnuplotError.incompleteOutput(
                figure: figure.name, format: format.rawValue,
                why: "its temporary file \(partial.url.lastPathComponent) was removed or replaced")
        }
        try validate(bytes, as: format, figure: figure.name)
        try partial.commit(to: final)
        return final
    }

    /// An ASCII preview of the figure from gnuplot's `dumb` terminal (columns × lines characters).
    ///
    /// - Precondition: the figure was written to `directory` (by `write` or `render`).
    public static func ascii(_ figure: Figure, in directory: URL, columns: Int = 100, lines: Int = 30) throws -> String
    {
        guard let gnuplot = executable else { throw GnuplotError.notInstalled }
        let setup = "term_override=1; set terminal dumb size \(columns),\(lines); set output"
        return try run(
            gnuplot, arguments: ["-e", setup, "\(figure.name).gp"], in: directory,
            script: "\(figure.name).gp", timeout: try timeout)
    }

    /// Checks that gnuplot wrote a complete file (`PNGCheck`, `SVGCheck`). Throws `GnuplotError.incompleteOutput`
    /// otherwise (gnuplot exits 0 when a full disk cut its output short).
    static func validate(_ bytes: [UInt8], as format: OutputFormat, figure: String) throws {
        let problem: String?
        switch format {
        case .png: problem = PNGCheck.problem(in: bytes)
        case .svg: problem = SVGCheck.problem(in: bytes)
        }
        if let problem {
            throw GnuplotError.incompleteOutput(figure: figure, format: format.rawValue, why: problem)
        }
    }

    /// How `run` words a gnuplot killed by SIGXFSZ.
    static let fileSizeLimit = "gnuplot was stopped by the file-size limit (ulimit -f)"

    /// Runs gnuplot in `directory`, returning its standard output; a non-zero exit or a signal becomes
    /// `GnuplotError.failed` with the last lines of its standard error, a run longer than `timeout` seconds
    /// (its group gets SIGTERM, then SIGKILL a second later) becomes `GnuplotError.timedOut`.
    static func run(
        _ gnuplot: URL, arguments: [String], in directory: URL, script: String,
        timeout: Double
    ) throws -> String {
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(
                gnuplot.path, arguments: arguments, directory: directory.path, timeout: timeout, grace: 1)
        } catch {
            throw GnuplotError.failed(script: script, message: "\(error)")
        }
        if case .timedOut = result.termination { throw GnuplotError.timedOut(script: script, seconds: timeout) }
        guard result.termination.succeeded else {
            var status = "\(result.termination)"
            if result.termination == .signalled(SIGXFSZ) { status = fileSizeLimit + " (\(status))" }
            let message = result.errorText.split(separator: "\n").suffix(4).joined(separator: " | ")
            throw GnuplotError.failed(script: script, message: message.isEmpty ? status : "\(status): \(message)")
        }
        return result.outputText
    }

    /// Writes text under a temporary name beside `url`, then moves it into place.
    public static func writeAtomically(_ text: String, to url: URL) throws {
        try Output.writeFile(text, to: url)
    }
}

/// A setting of gnuplot's run (an environment variable) that is not valid, said in one line naming it.
public struct GnuplotSettingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The temporary file gnuplot renders into: created by this run (exclusively, registered with `Shutdown`) and kept
/// open, so that what is validated and renamed is the file created here, even if something replaced the name.
private final class PartialFile {
    let url: URL
    private let descriptor: Int32
    private var committed = false

    init(beside final: URL) throws {
        url = Output.temporaryURL(for: final)
        descriptor = Shutdown.createTemporary(url.path, access: O_RDWR)
        guard descriptor >= 0 else { throw OutputError(path: url.path, reason: String(cString: strerror(errno))) }
    }

    /// The file's bytes, read through the descriptor; `nil` when the name no longer leads to this file.
    func contents() -> [UInt8]? {
        var mine = stat()
        var named = stat()
        guard fstat(descriptor, &mine) == 0, lstat(url.path, &named) == 0, mine.st_ino == named.st_ino,
            mine.st_dev == named.st_dev
        else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(mine.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, $0.count - done, done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        return Array(bytes[0..<done])
    }

    /// Renames the file onto `final` (POSIX rename: atomic within a folder, replaces `final`).
    func commit(to final: URL) throws {
        try Output.moveIntoPlace(url, final)
        committed = true
    }

    /// Removes the file unless it was committed, and closes it.
    func discard() {
        if !committed { Output.discard(url) }
        close(descriptor)
    }
}
