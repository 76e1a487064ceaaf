import Foundation

/// A grey image in the Netpbm PGM format: binary `P5` (8- or 16-bit samples) or plain-text `P2`.
public struct PGMImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// The largest sample value the header declares (255 for 8-bit images).
    public var maxValue: Int
    /// Row-major samples in `0...maxValue`.
    public var samples: [Int]

    /// Samples scaled to [0, 1].
    public var normalized: [Float] {
        let scale = 1 / Float(maxValue)
        return samples.map { Float($0) * scale }
    }

    /// Parses a PGM file's bytes. Header comments (`#` to end of line) are skipped.
    public init(parsing data: [UInt8], name: String = "<memory>") throws {
        func fail(_ kind: DatasetError.Kind, _ problem: String) -> DatasetError {
            DatasetError(file: name, kind: kind, problem: problem)
        }
        guard data.count >= 2, data[0] == UInt8(ascii: "P"),
            data[1] == UInt8(ascii: "5") || data[1] == UInt8(ascii: "2")
        else { throw fail(.badMagic, "not a PGM file (expected magic P5 or P2)") }
        let plain = data[1] == UInt8(ascii: "2")
        var pos = 2
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }
        /// The next unsigned decimal number, skipping whitespace and comments.
        func number(_ what: String) throws -> Int {
            while pos < data.count {
                if isSpace(data[pos]) {
                    pos += 1
                } else if data[pos] == UInt8(ascii: "#") {
                    while pos < data.count && data[pos] != 0x0A { pos += 1 }
                } else {
                    break
                }
            }
            guard pos < data.count else { throw fail(.truncated, "file ends before the \(what)") }
            var value = 0
            var digits = 0
            while pos < data.count, data[pos] >= 0x30, data[pos] <= 0x39 {
                value = value * 10 + Int(data[pos] - 0x30)
                digits += 1
                pos += 1
                guard value <= 1 << 30 else { throw fail(.malformed, "the \(what) is too large") }
            }
            guard digits > 0 else { throw fail(.malformed, "expected a number for the \(what) at byte \(pos)") }
            return value
        }
        width = try number("width")
        height = try number("height")
        maxValue = try number("maximum value")
        guard width > 0, height > 0, width * height <= 1 << 28 else {
            throw fail(.malformed, "image size \(width)×\(height) is not allowed")
        }
        guard maxValue >= 1, maxValue <= 65535 else {
            throw fail(.malformed, "maximum value \(maxValue) is not in 1...65535")
        }
        let n = width * height
        var samples = [Int]()
        samples.reserveCapacity(n)
        if plain {
            for i in 0..<n {
                let v = try number("sample \(i)")
                guard v <= maxValue else {
                    throw fail(.malformed, "sample \(i) = \(v) exceeds the maximum \(maxValue)")
                }
                samples.append(v)
            }
        } else {
            // Exactly one whitespace byte separates the header from the binary samples.
            guard pos < data.count, isSpace(data[pos]) else { throw fail(.truncated, "header not followed by data") }
            pos += 1
            let bytesPerSample = maxValue < 256 ? 1 : 2
            guard data.count - pos >= n * bytesPerSample else {
                throw fail(
                    .truncated,
                    "\(width)×\(height) image needs \(n * bytesPerSample) data bytes, "
                        + "the file has \(data.count - pos)")
            }
            for i in 0..<n {
                let v =
                    bytesPerSample == 1
                    ? Int(data[pos + i])
                    : Int(data[pos + 2 * i]) << 8 | Int(data[pos + 2 * i + 1])
                guard v <= maxValue else {
                    throw fail(.malformed, "sample \(i) = \(v) exceeds the maximum \(maxValue)")
                }
                samples.append(v)
            }
        }
        self.samples = samples
    }

    /// Reads a PGM file.
    public static func load(_ url: URL) throws -> PGMImage {
        try PGMImage(parsing: try readFileBytes(url), name: url.path)
    }
}

/// The ORL / AT&T face database (AT&T Laboratories Cambridge): 40 people × 10 images, 92×112 PGM, fetched on
/// request by `scripts/fetch-orl.sh` into `Data/cache/orl/sNN/K.pgm` (never committed; no chapter uses them).
public enum ORLFaces {
    public static let people = 40
    public static let imagesPerPerson = 10
    public static let width = 92
    public static let height = 112

    /// `Data/cache/orl`.
    public static var defaultDirectory: URL { DataDirectory.cache.appendingPathComponent("orl", isDirectory: true) }

    /// Whether the faces have been fetched.
    public static func isAvailable(in directory: URL = defaultDirectory) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("s1/1.pgm").path)
    }

    /// Loads people `persons` (1-based, default all 40), 10 images each, pixels in [0, 1]. Label = person − 1, so
    /// labels stay comparable across subsets; class names are `s1` ... `s40`.
    public static func load(
        directory: URL = defaultDirectory, persons: ClosedRange<Int> = 1...40
    ) throws
        -> LabeledImages
    {
        guard persons.lowerBound >= 1, persons.upperBound <= people else {
            throw DatasetError(
                file: directory.path, kind: .malformed, problem: "persons \(persons) outside 1...\(people)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw DatasetError(
                file: directory.path, kind: .missing,
                problem: "the ORL faces are not there; run scripts/fetch-orl.sh to fetch them")
        }
        var pixels = [Float]()
        pixels.reserveCapacity(persons.count * imagesPerPerson * width * height)
        var labels = [Int]()
        for person in persons {
            for k in 1...imagesPerPerson {
                let url = directory.appendingPathComponent("s\(person)/\(k).pgm")
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw DatasetError(
                        file: url.path, kind: .missing, problem: "file not found; run scripts/fetch-orl.sh")
                }
                let image = try PGMImage.load(url)
                guard image.width == width, image.height == height else {
                    throw DatasetError(
                        file: url.path, kind: .malformed,
                        problem: "image is \(image.width)×\(image.height), expected \(width)×\(height)")
                }
                pixels.append(contentsOf: image.normalized)
                labels.append(person - 1)
            }
        }
        return LabeledImages(
            width: width, height: height, pixels: pixels, labels: labels,
            classNames: (1...people).map { "s\($0)" })
    }
}
