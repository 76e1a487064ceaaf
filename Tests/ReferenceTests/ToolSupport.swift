import Foundation

/// Runs the built `rambo-reference` binary (built beside the test bundle by `swift test`).
enum Tool {
    static let binary: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/"
            && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("rambo-reference").path)
        {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("rambo-reference")
    }()

    /// The repository's `Data/reference`.
    static let vectors: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/reference")

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs the tool with `arguments`, collecting stdout and stderr.
    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // stderr carries at most a line or two, so reading stdout first cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rambo-reference-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }
}
