import Foundation

/// A point of a Hershey glyph in font units: x to the right, y downwards, both relative to the glyph's centre
/// (the letter `R` in the file).
public struct HersheyPoint: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// One glyph of a Hershey font: its number, its left and right bearings, and its strokes (polylines drawn
/// without lifting the pen).
public struct HersheyGlyph: Sendable, Equatable {
    /// The glyph number in the file (a Hershey number, or the placeholder 12345 some files use).
    public var number: Int
    /// The vertex count as written in the file, which includes the left/right bounds pair.
    public var vertexCount: Int
    /// Left and right bearing (spacing), in font units relative to the centre.
    public var left: Int
    public var right: Int
    /// Polylines; a stroke with one point is a dot.
    public var strokes: [[HersheyPoint]]

    /// All points of all strokes.
    public var points: [HersheyPoint] { strokes.flatMap { $0 } }

    /// The bounding box of the ink, or nil for a blank glyph (the space).
    public var inkBounds: (minX: Int, maxX: Int, minY: Int, maxY: Int)? {
        let p = points
        guard let first = p.first else { return nil }
        var b = (minX: first.x, maxX: first.x, minY: first.y, maxY: first.y)
        for q in p {
            b.minX = min(b.minX, q.x)
            b.maxX = max(b.maxX, q.x)
            b.minY = min(b.minY, q.y)
            b.maxY = max(b.maxY, q.y)
        }
        return b
    }
}

/// A Hershey font in James Hurt's `.jhf` format.
///
/// Each glyph record is: a 5-character glyph number, a 3-character vertex count (the bounds pair included), then
/// that many 2-character pairs. The first pair is the left and right bound, every later pair a coordinate; each
/// character encodes `value = character − 'R'`. The pair `" R"` lifts the pen. A record longer than a line wraps
/// onto the following lines (some copies wrap at 72 characters); the reader joins them until the declared pair
/// count is reached.
///
/// In the "western" files shipped by `hershey-fonts-data` (the 12 styles of `latinStyles`) the records are the 96
/// printable ASCII characters in order, from space (32) to `~` (126) and a final record for 127; the glyph numbers
/// in the records are original Hershey numbers (e.g. 501–526 for A–Z in `rowmans`) or the placeholder 12345, so
/// characters are found by record position, not by number.
public struct HersheyFont: Sendable, Equatable {
    public var name: String
    /// The glyphs in file order.
    public var glyphs: [HersheyGlyph]

    /// The 12 Latin styles of `hershey-fonts-data` committed under `Data/hershey/` (the package's other Latin files
    /// duplicate these). Note that `cursive` and `scripts` share their letters: see `distinctLetterStyles`.
    public static let latinStyles = [
        "cursive", "rowmans", "rowmand", "rowmant", "gothiceng", "gothicger",
        "gothicita", "scriptc", "scripts", "timesi", "timesib", "timesr",
    ]

    /// `latinStyles` without `scripts`, whose 52 letters are identical to `cursive`'s (the two files differ only in
    /// their digits, which `cursive` shares with `rowmans` and `scripts` with `scriptc`). Use this when each style
    /// must look different; the digits are shared between several styles in any case (the three gothic fonts
    /// share theirs, as do `scriptc`, `scripts` and `timesi`).
    public static let distinctLetterStyles = latinStyles.filter { $0 != "scripts" }

    /// The 62 Latin characters used as classes, in class order: A–Z (0–25), a–z (26–51), 0–9 (52–61).
    public static let latinCharacters: [Character] =
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { Character(UnicodeScalar($0)) }
        + (UInt8(ascii: "a")...UInt8(ascii: "z")).map { Character(UnicodeScalar($0)) }
        + (UInt8(ascii: "0")...UInt8(ascii: "9")).map { Character(UnicodeScalar($0)) }

    /// `Data/hershey`.
    public static var defaultDirectory: URL { DataDirectory.url.appendingPathComponent("hershey", isDirectory: true) }

    public init(name: String, glyphs: [HersheyGlyph]) {
        self.name = name
        self.glyphs = glyphs
    }

    /// The glyph drawn for an ASCII character (record `code − 32`), or nil if the font has no such record.
    public func glyph(for character: Character) -> HersheyGlyph? {
        guard let ascii = character.asciiValue, ascii >= 32 else { return nil }
        let index = Int(ascii) - 32
        return index < glyphs.count ? glyphs[index] : nil
    }

    /// Parses the text of a `.jhf` file; `name` is used in errors and becomes the font's name.
    public init(parsing data: [UInt8], name: String) throws {
        let lines = Self.lines(data)
        var glyphs: [HersheyGlyph] = []
        var li = 0
        while li < lines.count {
            let reader = JHFRecord(file: name, line: li + 1)
            var record = Array(lines[li])
            li += 1
            if record.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let (number, count) = try reader.header(record)
            // Wrapped records continue on the next lines.
            while record.count < 8 + 2 * count && li < lines.count {
                record.append(contentsOf: lines[li])
                li += 1
            }
            glyphs.append(try reader.glyph(record, number: number, count: count))
        }
        guard !glyphs.isEmpty else { throw DatasetError(file: name, kind: .malformed, problem: "no glyph records") }
        self.name = name
        self.glyphs = glyphs
    }

    /// The lines of a file (without their \n and a \r before it), in order, so that index + 1 is the line number.
    static func lines(_ data: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for i in 0...data.count where i == data.count || data[i] == 0x0A {
            var end = i
            if end > start && data[end - 1] == 0x0D { end -= 1 }
            lines.append(data[start..<end])
            start = i + 1
        }
        return lines
    }

    /// Reads a `.jhf` file; the font is named after the file (without extension).
    public static func load(_ url: URL) throws -> HersheyFont {
        var font = try HersheyFont(parsing: try readFileBytes(url), name: url.path)
        font.name = url.deletingPathExtension().lastPathComponent
        return font
    }

    /// Reads `directory/style.jhf` and checks it has a glyph for each of the 62 Latin characters.
    public static func load(style: String, directory: URL = defaultDirectory) throws -> HersheyFont {
        let url = directory.appendingPathComponent(style + ".jhf")
        let font = try load(url)
        guard font.glyphs.count >= 95 else {
            throw DatasetError(
                file: url.path, kind: .malformed,
                problem: "\(font.glyphs.count) glyph records; an ASCII font needs at least 95 (space to ~)")
        }
        if let blank = latinCharacters.first(where: { font.glyph(for: $0)?.strokes.isEmpty ?? true }) {
            throw DatasetError(file: url.path, kind: .malformed, problem: "the glyph for '\(blank)' is empty")
        }
        return font
    }

    /// The 12 Latin styles, in `latinStyles` order.
    public static func loadLatinStyles(directory: URL = defaultDirectory) throws -> [HersheyFont] {
        try latinStyles.map { try load(style: $0, directory: directory) }
    }
}

/// One glyph record of a `.jhf` file: a 5-character glyph number, a 3-character vertex count, then one pair of
/// coordinate characters per vertex (the first pair the left and right bounds, " R" a pen-up). Errors name the
/// file and the record's first line.
private struct JHFRecord {
    let file: String
    let line: Int

    func fail(_ kind: DatasetError.Kind, _ problem: String) -> DatasetError {
        DatasetError(file: file, kind: kind, problem: "line \(line): \(problem)")
    }

    /// The glyph number and the vertex count of the record's 8-character header.
    func header(_ record: [UInt8]) throws -> (number: Int, count: Int) {
        guard record.count >= 8 else { throw fail(.truncated, "record shorter than its 8-character header") }
        func field(_ r: Range<Int>, _ what: String) throws -> Int {
            let text = String(decoding: record[r], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let v = Int(text), v >= 0 else {
                throw fail(.malformed, "\(what) '\(String(decoding: record[r], as: UTF8.self))' is not a number")
            }
            return v
        }
        let number = try field(0..<5, "glyph number")
        let count = try field(5..<8, "vertex count")
        guard count >= 1 else { throw fail(.malformed, "glyph \(number) has vertex count 0") }
        return (number, count)
    }

    /// The glyph of a whole record (wrapped lines joined): exactly `count` coordinate pairs after the header.
    func glyph(_ record: [UInt8], number: Int, count: Int) throws -> HersheyGlyph {
        let needed = 8 + 2 * count
        guard record.count >= needed else {
            throw fail(
                .truncated,
                "glyph \(number) declares \(count) vertices but the file ends after \((record.count - 8) / 2)")
        }
        guard record.count == needed else {
            throw fail(
                .malformed,
                "glyph \(number) declares \(count) vertices but has "
                    + "\(record.count - 8) coordinate characters (expected \(2 * count))")
        }
        func value(_ b: UInt8, _ k: Int) throws -> Int {
            guard b >= 0x20 && b <= 0x7E else {
                throw fail(.malformed, "glyph \(number), pair \(k): byte \(b) is not a coordinate character")
            }
            return Int(b) - Int(UInt8(ascii: "R"))
        }
        let left = try value(record[8], 0)
        let right = try value(record[9], 0)
        var strokes: [[HersheyPoint]] = []
        var current: [HersheyPoint] = []
        for k in 1..<count {
            let a = record[8 + 2 * k]
            let b = record[9 + 2 * k]
            if a == 0x20 && b == UInt8(ascii: "R") {
                if !current.isEmpty { strokes.append(current) }
                current = []
            } else {
                current.append(HersheyPoint(x: try value(a, k), y: try value(b, k)))
            }
        }
        if !current.isEmpty { strokes.append(current) }
        return HersheyGlyph(number: number, vertexCount: count, left: left, right: right, strokes: strokes)
    }
}
