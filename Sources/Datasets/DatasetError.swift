import Foundation

/// Why a data file was rejected. Every error names the file and says what is wrong with it, so a reader who
/// sees it in a chapter's output knows which file to fix or fetch.
///
/// Loaders never trap on bad input: every read is bounds-checked and a malformed file ends in one of these.
public struct DatasetError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The broad kind of problem; tests and callers can switch on it, readers read `description`.
    public enum Kind: String, Sendable, Equatable {
        /// The file (or directory) does not exist or cannot be read.
        case missing
        /// The file does not start with the magic bytes its format requires.
        case badMagic
        /// The file ends before its format says it should.
        case truncated
        /// The compressed stream is invalid (a bad Huffman table, a distance too far back, ...).
        case corrupt
        /// A stored checksum or length does not match the data.
        case checksumMismatch
        /// The file parses but its contents are not what the loader expects (column count, value range, shape).
        case malformed
        /// A valid file that uses a feature this reader does not implement.
        case unsupported
        /// The data would exceed a stated size cap (a decompression bomb, or a file far larger than any real one).
        case tooLarge
    }

    /// The file the problem is in (a path, or a name such as `<memory>` for in-memory data).
    public var file: String
    public var kind: Kind
    /// What is wrong, in words.
    public var problem: String

    public init(file: String, kind: Kind, problem: String) {
        self.file = file
        self.kind = kind
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}

/// Where the committed data lives.
///
/// `Data/` at the package root holds the small committed files (digits, yeast, Hershey fonts) and `Data/cache/`
/// (git-ignored) the files `make setup` fetches. The directory is found, in order, from the environment variable
/// `RAMBO_DATA_DIR`, from this source file's location in the checkout, and from `./Data` in the current directory.
public enum DataDirectory {
    /// The `Data/` directory of the package.
    public static var url: URL {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["RAMBO_DATA_DIR"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        // Sources/Datasets/DatasetError.swift → ../../Data
        let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data", isDirectory: true)
        if fm.fileExists(atPath: fromSource.path) { return fromSource }
        return URL(fileURLWithPath: fm.currentDirectoryPath, isDirectory: true)
            .appendingPathComponent("Data", isDirectory: true)
    }

    /// `Data/cache/`, filled by `make setup` (never committed).
    public static var cache: URL { url.appendingPathComponent("cache", isDirectory: true) }
}

/// Reads a whole file, turning a missing or unreadable file into a `DatasetError` that names it.
func readFileBytes(_ url: URL, hint: String? = nil) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw DatasetError(
            file: url.path, kind: .missing,
            problem: "file not found" + (hint.map { "; \($0)" } ?? ""))
    }
    do {
        return [UInt8](try Data(contentsOf: url))
    } catch {
        throw DatasetError(
            file: url.path, kind: .missing, problem: "cannot read the file (\(error.localizedDescription))")
    }
}

/// Reads a file and gunzips it when it starts with the gzip magic bytes; returns the bytes unchanged otherwise.
func readMaybeGzipped(_ url: URL, hint: String? = nil) throws -> [UInt8] {
    let bytes = try readFileBytes(url, hint: hint)
    if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
        return try Gzip.decompress(bytes, name: url.path)
    }
    return bytes
}
