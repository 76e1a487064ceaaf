import Foundation
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
/// half-written `.gp`, `.dat`, `.png` or `.svg` behind.
public enum Gnuplot {
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
        try write(figure, to: directory)
        guard let gnuplot = executable else { throw GnuplotError.notInstalled }
        var outputs = [URL]()
        for format in formats {
            let final = directory.appendingPathComponent("\(figure.name).\(format.rawValue)")
            let partial = directory.appendingPathComponent(".\(figure.name).partial.\(format.rawValue)")
            var setup = "outfile='\(partial.lastPathComponent)'"
            if format == .svg {
                setup += "; term_override=1; set terminal svg enhanced size \(figure.width),\(figure.height) "
                    + "font 'DejaVu Sans,10' background rgb 'white'; set output outfile"
            }
            do {
                _ = try run(gnuplot, arguments: ["-e", setup, "\(figure.name).gp"], in: directory,
                            script: "\(figure.name).gp")
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
    public static func ascii(_ figure: Figure, in directory: URL, columns: Int = 100, lines: Int = 30) throws -> String {
        guard let gnuplot = executable else { throw GnuplotError.notInstalled }
        let setup = "term_override=1; set terminal dumb size \(columns),\(lines); set output"
        return try run(gnuplot, arguments: ["-e", setup, "\(figure.name).gp"], in: directory,
                       script: "\(figure.name).gp")
    }

    /// Runs gnuplot, returning its standard output; a non-zero exit becomes `GnuplotError.failed` with the
    /// last lines of its standard error.
    static func run(_ gnuplot: URL, arguments: [String], in directory: URL, script: String) throws -> String {
        let process = Process()
        process.executableURL = gnuplot
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // stdout (the dumb terminal's picture) through a pipe; stderr (gnuplot's complaints) into a scratch
        // file, so neither can block the other.
        let errURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("rambo-gnuplot-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max)).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe()
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? errHandle.close() }
        process.standardOutput = out
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        let stderr = String(decoding: errData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let message = stderr.split(separator: "\n").suffix(4).joined(separator: " | ")
            throw GnuplotError.failed(script: script, message: message.isEmpty ? "exit \(process.terminationStatus)" : message)
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// Writes text under a temporary name beside `url`, then moves it into place.
    public static func writeAtomically(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    /// Moves `partial` onto `final` in one step (POSIX rename: atomic within a folder, replaces `final`).
    static func replace(_ final: URL, with partial: URL) throws {
        guard rename(partial.path, final.path) == 0 else {
            throw GnuplotError.invalidFigure("cannot move \(partial.lastPathComponent) to \(final.lastPathComponent): "
                                             + String(cString: strerror(errno)))
        }
    }
}
