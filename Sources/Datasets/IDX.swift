import Foundation

/// An IDX array (the MNIST file format): big-endian magic `00 00 08 NN` (unsigned bytes, `NN` dimensions), then
/// `NN` big-endian 32-bit sizes, then the bytes in row-major order.
public struct IDXArray: Sendable, Equatable {
    /// The sizes, outermost first (`[60000, 28, 28]` for Fashion-MNIST's training images).
    public var dimensions: [Int]
    /// The payload, `dimensions.reduce(1, *)` bytes.
    public var bytes: [UInt8]

    /// Parses an IDX file's bytes (already decompressed).
    /// - Parameters:
    ///   - expectedDimensions: if given, the number of dimensions the file must have (1 for labels, 3 for images).
    ///   - name: the file name used in errors.
    public init(parsing data: [UInt8], expectedDimensions: Int? = nil, name: String = "<memory>") throws {
        func fail(_ kind: DatasetError.Kind, _ problem: String) -> DatasetError {
            DatasetError(file: name, kind: kind, problem: problem)
        }
        guard data.count >= 4 else { throw fail(.truncated, "IDX header truncated (\(data.count) bytes)") }
        let magic = UInt32(data[0]) << 24 | UInt32(data[1]) << 16 | UInt32(data[2]) << 8 | UInt32(data[3])
        guard data[0] == 0, data[1] == 0 else {
            throw fail(.badMagic, "bad IDX magic " + hex32(magic) + " (expected 0x000008NN)")
        }
        guard data[2] == 0x08 else {
            throw fail(.unsupported, "IDX element type 0x\(String(data[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(data[3])
        if let expected = expectedDimensions, rank != expected {
            throw fail(
                .badMagic,
                "IDX magic " + hex32(magic) + " has \(rank) dimensions, expected "
                    + hex32(0x800 | UInt32(expected)))
        }
        guard rank >= 1 else { throw fail(.malformed, "IDX file declares 0 dimensions") }
        guard data.count >= 4 + 4 * rank else {
            throw fail(.truncated, "IDX header truncated: \(rank) dimension sizes need \(4 + 4 * rank) bytes")
        }
        var dims = [Int]()
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(
                UInt32(data[o]) << 24 | UInt32(data[o + 1]) << 16 | UInt32(data[o + 2]) << 8
                    | UInt32(data[o + 3]))
            dims.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 40 else { throw fail(.malformed, "IDX dimensions \(dims) are too large") }
            total = product
        }
        let header = 4 + 4 * rank
        guard data.count - header == total else {
            let kind: DatasetError.Kind = data.count - header < total ? .truncated : .malformed
            throw fail(kind, "IDX dimensions \(dims) need \(total) data bytes, the file has \(data.count - header)")
        }
        dimensions = dims
        bytes = Array(data[header...])
    }

    /// Reads an IDX file, gunzipping it if it is gzipped.
    public static func load(_ url: URL, expectedDimensions: Int? = nil) throws -> IDXArray {
        try IDXArray(parsing: try readMaybeGzipped(url), expectedDimensions: expectedDimensions, name: url.path)
    }
}

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28×28 grey images of clothing in 10 classes, 60,000 training and
/// 10,000 test images, read from the Debian package `dataset-fashion-mnist` (gzipped IDX files).
public enum FashionMNIST {
    public enum Split: String, Sendable, CaseIterable {
        case train, test
        /// The file-name prefix of the split (`train` / `t10k`).
        public var filePrefix: String { self == .train ? "train" : "t10k" }
        /// The number of images in the split.
        public var size: Int { self == .train ? 60_000 : 10_000 }
    }

    /// The ten class names, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
        "Sneaker", "Bag", "Ankle boot",
    ]

    /// Where the Debian package puts the files.
    public static let packageDirectory = "/usr/share/datasets/fashion-mnist"

    /// The directory to read from: `RAMBO_FASHION_MNIST_DIR` if set, else the Debian package's directory.
    public static var defaultDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["RAMBO_FASHION_MNIST_DIR"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        return URL(fileURLWithPath: packageDirectory, isDirectory: true)
    }

    /// Whether both splits' files are present in `directory`.
    public static func isAvailable(in directory: URL = defaultDirectory) -> Bool {
        Split.allCases.allSatisfy { split in
            ["images-idx3-ubyte", "labels-idx1-ubyte"].allSatisfy { file(directory, split, $0) != nil }
        }
    }

    /// Loads one split as 28×28 images in [0, 1] (byte / 255) with labels 0–9.
    /// - Parameters:
    ///   - directory: where `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` live.
    ///   - limit: keep only the first `limit` images (all if nil).
    public static func load(
        _ split: Split, directory: URL = defaultDirectory, limit: Int? = nil
    ) throws
        -> LabeledImages
    {
        let hint = "install the Debian package dataset-fashion-mnist (make setup) or set RAMBO_FASHION_MNIST_DIR"
        func locate(_ kind: String) throws -> URL {
            if let url = file(directory, split, kind) { return url }
            throw DatasetError(
                file: directory.appendingPathComponent("\(split.filePrefix)-\(kind).gz").path,
                kind: .missing, problem: "file not found; \(hint)")
        }
        let imageURL = try locate("images-idx3-ubyte")
        let labelURL = try locate("labels-idx1-ubyte")
        let images = try IDXArray.load(imageURL, expectedDimensions: 3)
        let labels = try IDXArray.load(labelURL, expectedDimensions: 1)
        guard images.dimensions[1] == 28, images.dimensions[2] == 28 else {
            throw DatasetError(
                file: imageURL.path, kind: .malformed,
                problem: "images are \(images.dimensions[1])×\(images.dimensions[2]), expected 28×28")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError(
                file: labelURL.path, kind: .malformed,
                problem: "\(labels.dimensions[0]) labels for "
                    + "\(images.dimensions[0]) images in \(imageURL.lastPathComponent)")
        }
        if let bad = labels.bytes.firstIndex(where: { $0 > 9 }) {
            throw DatasetError(
                file: labelURL.path, kind: .malformed,
                problem: "label \(labels.bytes[bad]) at index \(bad) is outside 0...9")
        }
        let n = min(limit ?? images.dimensions[0], images.dimensions[0])
        let pixels = images.bytes[0..<n * 784].map { Float($0) * (1 / 255) }
        return LabeledImages(
            width: 28, height: 28, pixels: pixels, labels: labels.bytes[0..<n].map { Int($0) },
            classNames: classNames)
    }

    static func file(_ directory: URL, _ split: Split, _ kind: String) -> URL? {
        let base = directory.appendingPathComponent("\(split.filePrefix)-\(kind)")
        for url in [base.appendingPathExtension("gz"), base] where FileManager.default.fileExists(atPath: url.path) {
            return url
        }
        return nil
    }
}
