import Foundation
import Testing

@testable import Datasets

/// `Data/` of this checkout, found from this file's path (Tests/DatasetsTests/ → ../../Data).
let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Data", isDirectory: true)

/// A fresh temporary directory for files a test writes.
func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("rambo-datasets-\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func write(_ bytes: [UInt8], _ url: URL) throws { try Data(bytes).write(to: url) }

@Suite struct DigitsTests {
    @Test func committedFileShapeAndLabels() throws {
        let d = try Digits.load(dataDirectory.appendingPathComponent("digits.csv.gz"))
        #expect(d.count == 1797)
        #expect(d.width == 8 && d.height == 8 && d.pixelCount == 64)
        #expect(d.classCounts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
        #expect(Array(d.image(0).prefix(8)).map { Int($0 * 16) } == [0, 0, 5, 13, 9, 1, 0, 0])
        #expect(d.labels[0] == 0 && d.labels[1] == 1)
        #expect(d.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(d.pixels.contains(1))  // some counts reach 16
    }

    @Test func defaultLocationIsTheCheckoutsData() throws {
        #expect(DataDirectory.url.standardizedFileURL.path == dataDirectory.standardizedFileURL.path)
        #expect(try Digits.load().count == 1797)
    }

    @Test func corruptCopiesNameTheFileAndProblem() throws {
        let dir = try temporaryDirectory("digits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try Gzip.decompress(try readFileBytes(dataDirectory.appendingPathComponent("digits.csv.gz")))
        var lines = String(decoding: original, as: UTF8.self).split(separator: "\n").map(String.init)

        // A row with a column missing.
        lines[4] = lines[4].split(separator: ",").dropFirst().joined(separator: ",")
        let short = dir.appendingPathComponent("short.csv")
        try write(Array(lines.joined(separator: "\n").utf8), short)
        let e1 = datasetError { try Digits.load(short) }
        #expect(e1?.kind == .malformed)
        #expect(e1?.file == short.path)
        #expect(e1?.problem.contains("line 5 has 64 columns, expected 65") == true)

        // A pixel out of range.
        let range = dir.appendingPathComponent("range.csv")
        try write(Array("17".utf8) + original.dropFirst(), range)
        #expect(datasetError { try Digits.load(range) }?.problem.contains("line 1, column 1") == true)

        // The gzipped file cut short.
        let gz = try readFileBytes(dataDirectory.appendingPathComponent("digits.csv.gz"))
        let cut = dir.appendingPathComponent("cut.csv.gz")
        try write(Array(gz[..<(gz.count / 2)]), cut)
        let e3 = datasetError { try Digits.load(cut) }
        #expect(e3?.kind == .truncated)
        #expect(e3?.description.hasPrefix(cut.path + ": ") == true)

        // A missing file.
        let missing = dir.appendingPathComponent("nope.csv.gz")
        #expect(datasetError { try Digits.load(missing) }?.kind == .missing)
    }
}

@Suite struct YeastTests {
    @Test func committedFileShapeAndPrevalences() throws {
        let y = try Yeast.load(dataDirectory.appendingPathComponent("yeast.csv.gz"))
        #expect(y.count == 2417)
        #expect(y.features.allSatisfy { $0.count == 103 })
        #expect(y.labels.allSatisfy { $0.count == 14 })
        #expect(y.labelNames.first == "Class1" && y.labelNames.last == "Class14")
        #expect(y.labelCounts == [762, 1038, 983, 862, 722, 597, 428, 480, 178, 253, 289, 1816, 1799, 34])
        // Prevalence 1.4 % ... 75 %, as docs/data-sources.md says.
        #expect(abs(y.prevalences.min()! - 34.0 / 2417) < 1e-12)
        #expect(abs(y.prevalences.max()! - 1816.0 / 2417) < 1e-12)
        #expect(y.features[0][0] == 0.004168 && y.features[0][1] == -0.170975)
        let (train, test) = try Yeast.loadSplit(dataDirectory.appendingPathComponent("yeast.csv.gz"))
        #expect(train.count == 1500 && test.count == 917)
        #expect(test.features[0] == y.features[1500])
    }

    @Test func corruptCopies() throws {
        let dir = try temporaryDirectory("yeast")
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = String(
            decoding: try Gzip.decompress(
                try readFileBytes(dataDirectory.appendingPathComponent("yeast.csv.gz"))), as: UTF8.self)
        var lines = text.split(separator: "\n").prefix(5).map(String.init)

        let header = dir.appendingPathComponent("header.csv")
        try write(
            Array(
                ([lines[0].replacingOccurrences(of: "Class14", with: "Class15")] + lines[1...])
                    .joined(separator: "\n").utf8), header)
        let e1 = datasetError { try Yeast.load(header) }
        #expect(e1?.kind == .malformed && e1?.file == header.path)
        #expect(e1?.problem.contains("column 117") == true)

        lines[3] += ",1"
        let extra = dir.appendingPathComponent("extra.csv")
        try write(Array(lines.joined(separator: "\n").utf8), extra)
        #expect(
            datasetError { try Yeast.load(extra) }?.problem.contains("line 4 has 118 columns, expected 117") == true)

        lines[3] = String(lines[3].dropLast(4)) + ",2"
        let label = dir.appendingPathComponent("label.csv")
        try write(Array(lines.joined(separator: "\n").utf8), label)
        #expect(datasetError { try Yeast.load(label) }?.problem.contains("Class14") == true)
    }
}

/// Builds IDX bytes: magic 0x000008NN, big-endian sizes, payload.
func idx(_ dims: [Int], _ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, 8, UInt8(dims.count)]
    for d in dims { out += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return out + payload
}

@Suite struct IDXTests {
    @Test func parsesLabelsAndImages() throws {
        let labels = try IDXArray(parsing: idx([3], [7, 0, 9]), expectedDimensions: 1)
        #expect(labels.dimensions == [3] && labels.bytes == [7, 0, 9])
        let images = try IDXArray(parsing: idx([2, 2, 3], Array(0..<12)), expectedDimensions: 3)
        #expect(images.dimensions == [2, 2, 3] && images.bytes == Array(0..<12))
    }

    @Test func rejectsBadFiles() {
        // Labels file where images were expected: magic 0x00000801 vs 0x00000803.
        let e1 = datasetError { try IDXArray(parsing: idx([3], [1, 2, 3]), expectedDimensions: 3, name: "imgs") }
        #expect(e1?.kind == .badMagic && e1?.file == "imgs")
        #expect(e1?.problem.contains("0x00000803") == true)
        #expect(datasetError { try IDXArray(parsing: [1, 0, 8, 1, 0, 0, 0, 0]) }?.kind == .badMagic)
        #expect(datasetError { try IDXArray(parsing: idx([4], [1, 2, 3])) }?.kind == .truncated)
        #expect(datasetError { try IDXArray(parsing: idx([2], [1, 2, 3])) }?.kind == .malformed)
        #expect(datasetError { try IDXArray(parsing: [0, 0, 8, 3, 0, 0]) }?.kind == .truncated)
        #expect(datasetError { try IDXArray(parsing: [0, 0, 0x0D, 1, 0, 0, 0, 0]) }?.kind == .unsupported)
    }

    @Test func fashionMNISTLoaderOnATinyDirectory() throws {
        let dir = try temporaryDirectory("fmnist")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pixels = (0..<(3 * 784)).map { UInt8($0 % 256) }
        try write(idx([3, 28, 28], pixels), dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try write(idx([3], [9, 2, 1]), dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let test = try FashionMNIST.load(.test, directory: dir)
        #expect(test.count == 3 && test.labels == [9, 2, 1])
        #expect(test.pixel(1, x: 0, y: 0) == Float(784 % 256) / 255)
        #expect(try FashionMNIST.load(.test, directory: dir, limit: 2).labels == [9, 2])

        // The train split is absent: the error names the file and says how to get it.
        let e1 = datasetError { try FashionMNIST.load(.train, directory: dir) }
        #expect(e1?.kind == .missing)
        #expect(e1?.file.hasSuffix("train-images-idx3-ubyte.gz") == true)
        #expect(e1?.problem.contains("dataset-fashion-mnist") == true)
        #expect(!FashionMNIST.isAvailable(in: dir))

        // Label count disagrees with image count.
        try write(idx([2], [9, 2]), dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let e2 = datasetError { try FashionMNIST.load(.test, directory: dir) }
        #expect(e2?.file.hasSuffix("t10k-labels-idx1-ubyte") == true)
        #expect(e2?.problem.contains("2 labels for 3 images") == true)

        // A label outside 0...9.
        try write(idx([3], [9, 12, 1]), dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        #expect(datasetError { try FashionMNIST.load(.test, directory: dir) }?.problem.contains("label 12") == true)
    }

    @Test(.enabled(if: FashionMNIST.isAvailable(), "needs the Debian package dataset-fashion-mnist"))
    func fashionMNISTTestSplitFromThePackage() throws {
        let test = try FashionMNIST.load(.test)
        #expect(test.count == 10_000 && test.width == 28 && test.height == 28)
        #expect(test.classCounts == [Int](repeating: 1000, count: 10))
        #expect(Array(test.labels.prefix(5)) == [9, 2, 1, 1, 6])
        #expect(test.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        let trainLabels = try IDXArray.load(
            FashionMNIST.defaultDirectory.appendingPathComponent("train-labels-idx1-ubyte.gz"), expectedDimensions: 1)
        #expect(trainLabels.dimensions == [60_000])
        #expect(Array(trainLabels.bytes.prefix(5)) == [9, 0, 0, 3, 0])
    }
}

@Suite struct PGMTests {
    @Test func binaryAndPlain() throws {
        let p5 = Array("P5\n# a comment\n3 2\n255\n".utf8) + [0, 128, 255, 1, 2, 3]
        let a = try PGMImage(parsing: p5)
        #expect(a.width == 3 && a.height == 2 && a.maxValue == 255 && a.samples == [0, 128, 255, 1, 2, 3])
        #expect(a.normalized[2] == 1)
        let p2 = try PGMImage(parsing: Array("P2 2 2 15 # tiny\n0 15\n7 # row two\n 3\n".utf8))
        #expect(p2.samples == [0, 15, 7, 3] && p2.maxValue == 15)
        let wide = try PGMImage(parsing: Array("P5 2 1 1000\n".utf8) + [0x03, 0xE8, 0x00, 0x01])
        #expect(wide.samples == [1000, 1])
    }

    @Test func loadsASmallFileItWrites() throws {
        let dir = try temporaryDirectory("pgm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tiny.pgm")
        try write(Array("P5\n2 3\n# max\n200\n".utf8) + [0, 200, 50, 100, 150, 25], url)
        let image = try PGMImage.load(url)
        #expect(image.width == 2 && image.height == 3 && image.maxValue == 200)
        #expect(image.samples == [0, 200, 50, 100, 150, 25])
        #expect(zip(image.normalized, [0, 1, 0.25, 0.5, 0.75, 0.125] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
        let missing = datasetError { try PGMImage.load(dir.appendingPathComponent("absent.pgm")) }
        #expect(missing?.kind == .missing)
    }

    @Test func rejectsBadFiles() {
        #expect(
            datasetError { try PGMImage(parsing: Array("P6 1 1 255\n".utf8) + [0, 0, 0], name: "c.ppm") }?
                .kind == .badMagic)
        let e = datasetError { try PGMImage(parsing: Array("P5 4 4 255\n".utf8) + [1, 2, 3], name: "t.pgm") }
        #expect(e?.kind == .truncated && e?.description.hasPrefix("t.pgm: ") == true)
        #expect(datasetError { try PGMImage(parsing: Array("P2 2 1 9\n3 10\n".utf8)) }?.kind == .malformed)
        #expect(datasetError { try PGMImage(parsing: Array("P2 2 1 9\n3".utf8)) }?.kind == .truncated)
        #expect(datasetError { try PGMImage(parsing: Array("P5 x 1 9\n".utf8)) }?.kind == .malformed)
    }

    @Test func orlLoaderSaysHowToFetchTheFaces() throws {
        let dir = try temporaryDirectory("orl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let absent = dir.appendingPathComponent("orl")
        let e = datasetError { try ORLFaces.load(directory: absent) }
        #expect(e?.kind == .missing && e?.file == absent.path)
        #expect(e?.problem.contains("scripts/fetch-orl.sh") == true)

        // A tiny fake: person 1 with ten 92×112 images.
        let face = Array("P5\n92 112\n255\n".utf8) + [UInt8](repeating: 51, count: 92 * 112)
        try FileManager.default.createDirectory(
            at: absent.appendingPathComponent("s1"),
            withIntermediateDirectories: true)
        for k in 1...10 { try write(face, absent.appendingPathComponent("s1/\(k).pgm")) }
        let one = try ORLFaces.load(directory: absent, persons: 1...1)
        #expect(one.count == 10 && one.labels == [Int](repeating: 0, count: 10))
        #expect(one.pixels.allSatisfy { abs($0 - 0.2) < 1e-6 })
        let e2 = datasetError { try ORLFaces.load(directory: absent, persons: 1...2) }
        #expect(e2?.file.hasSuffix("s2/1.pgm") == true)
    }

    @Test(.enabled(if: ORLFaces.isAvailable(), "needs the ORL faces in Data/cache/orl (scripts/fetch-orl.sh)"))
    func orlFromTheCache() throws {
        let faces = try ORLFaces.load()
        #expect(faces.count == 400 && faces.width == 92 && faces.height == 112)
        #expect(faces.classCounts == [Int](repeating: 10, count: 40))
    }
}
