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
/// gnuplot is run as a process on the script file (not fed through stdin), once per output format. Every file
/// is first written under a temporary name in the same folder and then renamed, so a failure never leaves a
/// half-written `.gp`, `.dat`, `.png` or `.svg` behind. gnuplot 5.4 exits 0 even when it could not write its
/// output (a full disk), so every rendered file is validated before the rename: a PNG must start with the PNG
/// signature and end with its `IEND` chunk, an SVG must parse as XML with an `<svg>` root. Every gnuplot run has a
/// time limit (`timeout`); a run that exceeds it is killed and reported as `GnuplotError.timedOut`.
public enum Gnuplot {
    /// Seconds one gnuplot run may take before it is killed (default 120; `RAMBO_GNUPLOT_TIMEOUT` overrides).
    public static var timeout: Double {
        if let text = ProcessInfo.processInfo.environment["RAMBO_GNUPLOT_TIMEOUT"], let v = Double(text), v > 0 {
            return v
        }
        return 120
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

    /// Writes `name.gp` and `name.dat` into `directory` (created if needed).
    ///
    /// - Returns: the script's URL.
    /// - Throws: `GnuplotError.invalidFigure`, or the file system's error.
    @discardableResult
    public static func write(_ figure: Figure, to directory: URL) throws -> URL {
        try GnuplotScript.validate(figure)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("\(figure.name).gp")
        try writeAtomically(GnuplotScript.data(for: figure), to: directory.appendingPathComponent("\(figure.name).dat"))
        try writeAtomically(GnuplotScript.script(for: figure), to: script)
        return script
    }

    /// Writes the figure's script and data, then renders each format with gnuplot.
    ///
    /// - Returns: the rendered files (`name.png`, `name.svg`).
    /// - Throws: `GnuplotError.notInstalled` when gnuplot is missing (the .gp and .dat are still written),
    ///   `GnuplotError.failed` carrying gnuplot's message when it rejects the script.
    @discardableResult
    public static func render(_ figure: Figure, in directory: URL, formats: [OutputFormat] = [.png]) throws -> [URL] {
        try render(figure, in: directory, formats: formats, gnuplot: executable, timeout: timeout)
    }

    /// `render` with the gnuplot executable and the time limit given (tests drive a fake gnuplot through it).
    static func render(
        _ figure: Figure, in directory: URL, formats: [OutputFormat], gnuplot: URL?,
        timeout: Double
    ) throws -> [URL] {
        try write(figure, to: directory)
        guard let gnuplot else { throw GnuplotError.notInstalled }
        var outputs = [URL]()
        for format in formats {
            let final = directory.appendingPathComponent("\(figure.name).\(format.rawValue)")
            let partial = directory.appendingPathComponent(".\(figure.name).partial.\(format.rawValue)")
            var setup = "outfile='\(partial.lastPathComponent)'"
            if format == .svg {
                setup +=
                    "; term_override=1; set terminal svg enhanced size \(figure.width),\(figure.height) "
                    + "font 'DejaVu Sans,10' background rgb 'white'; set output outfile"
            }
            do {
                _ = try run(
                    gnuplot, arguments: ["-e", setup, "\(figure.name).gp"], in: directory,
                    script: "\(figure.name).gp", timeout: timeout)
                try validate(partial, as: format, figure: figure.name)
                try replace(final, with: partial)
            } catch {
                try? FileManager.default.removeItem(at: partial)
                throw error
            }
            outputs.append(final)
        }
        return outputs
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
            script: "\(figure.name).gp", timeout: timeout)
    }

    /// The last 12 bytes of every complete PNG: the empty `IEND` chunk (length 0, type, CRC).
    static let pngTrailer: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Checks that gnuplot wrote a complete file: a PNG has its signature and ends with `IEND`; an SVG is
    /// well-formed XML whose root is `<svg>`. Throws `GnuplotError.incompleteOutput` otherwise (gnuplot exits 0
    /// when a full disk cut its output short).
    static func validate(_ url: URL, as format: OutputFormat, figure: String) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw GnuplotError.incompleteOutput(figure: figure, format: format.rawValue, why: "no file was written")
        }
        switch format {
        case .png:
            let bytes = [UInt8](data)
            guard bytes.count >= pngSignature.count + pngTrailer.count,
                Array(bytes.prefix(8)) == pngSignature, Array(bytes.suffix(12)) == pngTrailer
            else {
                throw GnuplotError.incompleteOutput(
                    figure: figure, format: "png",
                    why: "\(bytes.count) bytes without the PNG signature and final IEND chunk (a full disk?)")
            }
        case .svg:
            if let problem = SVGCheck.problem(in: data) {
                throw GnuplotError.incompleteOutput(figure: figure, format: "svg", why: problem)
            }
        }
    }

    /// Runs gnuplot, returning its standard output; a non-zero exit becomes `GnuplotError.failed` with the
    /// last lines of its standard error, a run longer than `timeout` seconds is killed (SIGTERM, then SIGKILL
    /// after one second) and becomes `GnuplotError.timedOut`.
    static func run(
        _ gnuplot: URL, arguments: [String], in directory: URL, script: String,
        timeout: Double
    ) throws -> String {
        let process = Process()
        process.executableURL = gnuplot
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // stdout (the dumb terminal's picture) and stderr (gnuplot's complaints) into scratch files, so neither
        // can block the other and a hung gnuplot cannot block a pipe read.
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "rambo-gnuplot-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))")
        let outURL = scratch.appendingPathExtension("out")
        let errURL = scratch.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        defer { try? outHandle.close() }
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? errHandle.close() }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if finished.wait(timeout: .now() + 1) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
            throw GnuplotError.timedOut(script: script, seconds: timeout)
        }
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        let stderr = String(decoding: errData, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let message = stderr.split(separator: "\n").suffix(4).joined(separator: " | ")
            let status =
                process.terminationReason == .exit
                ? "exit \(process.terminationStatus)"
                : "killed by signal \(process.terminationStatus)"
            throw GnuplotError.failed(script: script, message: message.isEmpty ? status : message)
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// Writes text under a temporary name beside `url`, then moves it into place.
    public static func writeAtomically(_ text: String, to url: URL) throws {
        try Output.writeFile(text, to: url)
    }

    /// Moves `partial` onto `final` in one step (POSIX rename: atomic within a folder, replaces `final`).
    static func replace(_ final: URL, with partial: URL) throws {
        guard rename(partial.path, final.path) == 0 else {
            throw GnuplotError.invalidFigure(
                "cannot move \(partial.lastPathComponent) to \(final.lastPathComponent): "
                    + String(cString: strerror(errno)))
        }
    }
}
