import Foundation

/// The rows of a simple comma-separated file: no quoting, `\n` or `\r\n` line ends, blank lines skipped.
/// Each row carries its 1-based line number for error messages.
func csvRows(_ bytes: [UInt8], name: String) throws -> [(line: Int, fields: [Substring])] {
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw DatasetError(file: name, kind: .malformed, problem: "not UTF-8 text")
    }
    var rows: [(Int, [Substring])] = []
    var lineNumber = 0
    // Split on the byte 0x0A, not the Character "\n": Swift reads "\r\n" as one Character, so splitting the
    // text would never see a CRLF line end.
    for rawBytes in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        lineNumber += 1
        let raw = Substring(rawBytes)
        let line = raw.utf8.last == UInt8(ascii: "\r") ? Substring(raw.utf8.dropLast()) : raw
        if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
        rows.append((lineNumber, line.split(separator: ",", omittingEmptySubsequences: false)))
    }
    return rows
}

func parseNumber(_ field: Substring, name: String, line: Int, column: Int) throws -> Double {
    var trimmed = field
    while let c = trimmed.first, c == " " || c == "\t" { trimmed = trimmed.dropFirst() }
    while let c = trimmed.last, c == " " || c == "\t" { trimmed = trimmed.dropLast() }
    guard let v = Double(trimmed), v.isFinite else {
        throw DatasetError(
            file: name, kind: .malformed,
            problem: "line \(line), column \(column): '\(field)' is not a finite number")
    }
    return v
}

/// The UCI optical recognition of handwritten digits data as shipped by scikit-learn (`digits.csv.gz`):
/// 1797 rows of 8×8 images, 64 pixel counts in 0...16 then the digit 0...9, comma-separated, no header.
public enum Digits {
    /// `Data/digits.csv.gz`.
    public static var defaultFile: URL { DataDirectory.url.appendingPathComponent("digits.csv.gz") }

    /// Loads the digits as 8×8 images with pixels scaled to [0, 1] (count / 16) and labels 0–9.
    /// The file may be gzipped or plain; every row must have 65 integer fields in range.
    public static func load(_ url: URL = defaultFile) throws -> LabeledImages {
        let name = url.path
        let rows = try csvRows(try readMaybeGzipped(url), name: name)
        guard !rows.isEmpty else { throw DatasetError(file: name, kind: .malformed, problem: "no rows") }
        var pixels = [Float]()
        pixels.reserveCapacity(rows.count * 64)
        var labels = [Int]()
        labels.reserveCapacity(rows.count)
        for (line, fields) in rows {
            guard fields.count == 65 else {
                throw DatasetError(
                    file: name, kind: .malformed,
                    problem: "line \(line) has \(fields.count) columns, expected 65 (64 pixels + label)")
            }
            for (c, field) in fields.enumerated() {
                let v = try parseNumber(field, name: name, line: line, column: c + 1)
                let limit: Double = c < 64 ? 16 : 9
                guard v >= 0, v <= limit, v == v.rounded() else {
                    throw DatasetError(
                        file: name, kind: .malformed,
                        problem: "line \(line), column \(c + 1): \(field) "
                            + "is not an integer in 0...\(Int(limit))")
                }
                if c < 64 { pixels.append(Float(v) / 16) } else { labels.append(Int(v)) }
            }
        }
        return LabeledImages(
            width: 8, height: 8, pixels: pixels, labels: labels,
            classNames: (0...9).map(String.init))
    }
}

/// The yeast multi-label data (Elisseeff & Weston 2002) as shipped by river (`yeast.csv.gz`): a header
/// `Att1..Att103,Class1..Class14`, then 2417 rows of 103 real features and 14 labels in {0, 1}.
public enum Yeast {
    public static let featureCount = 103
    public static let labelCount = 14
    /// The common split: the first 1500 rows train, the remaining 917 test.
    public static let trainCount = 1500

    /// `Data/yeast.csv.gz`.
    public static var defaultFile: URL { DataDirectory.url.appendingPathComponent("yeast.csv.gz") }

    /// Loads all rows, checking the header names, the column count of every row, and that labels are 0 or 1.
    public static func load(_ url: URL = defaultFile) throws -> MultiLabelData {
        let name = url.path
        let rows = try csvRows(try readMaybeGzipped(url), name: name)
        guard let header = rows.first else { throw DatasetError(file: name, kind: .malformed, problem: "empty file") }
        let expected = (1...featureCount).map { "Att\($0)" } + (1...labelCount).map { "Class\($0)" }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard names == expected else {
            let firstBad =
                (0..<min(names.count, expected.count)).first(where: { names[$0] != expected[$0] })
                ?? min(names.count, expected.count)
            throw DatasetError(
                file: name, kind: .malformed,
                problem: "header has \(names.count) columns, expected "
                    + "\(expected.count) (Att1..Att\(featureCount), Class1..Class\(labelCount)); first difference at column "
                    + "\(firstBad + 1)")
        }
        var features = [[Double]]()
        var labels = [[Bool]]()
        features.reserveCapacity(rows.count - 1)
        labels.reserveCapacity(rows.count - 1)
        for (line, fields) in rows.dropFirst() {
            guard fields.count == expected.count else {
                throw DatasetError(
                    file: name, kind: .malformed,
                    problem: "line \(line) has \(fields.count) columns, expected \(expected.count)")
            }
            var x = [Double]()
            x.reserveCapacity(featureCount)
            for c in 0..<featureCount { x.append(try parseNumber(fields[c], name: name, line: line, column: c + 1)) }
            var y = [Bool]()
            y.reserveCapacity(labelCount)
            for c in featureCount..<expected.count {
                let v = try parseNumber(fields[c], name: name, line: line, column: c + 1)
                guard v == 0 || v == 1 else {
                    throw DatasetError(
                        file: name, kind: .malformed,
                        problem: "line \(line), column \(c + 1) (\(expected[c])): label \(fields[c]) is not 0 or 1")
                }
                y.append(v == 1)
            }
            features.append(x)
            labels.append(y)
        }
        return MultiLabelData(
            features: features, labels: labels,
            featureNames: Array(expected[..<featureCount]), labelNames: Array(expected[featureCount...]))
    }

    /// The common split: rows 1–1500 train, the rest test.
    ///
    /// - Throws: `DatasetError` (`.malformed`) when the file has 1500 rows or fewer: there would be no test row.
    public static func loadSplit(_ url: URL = defaultFile) throws -> (train: MultiLabelData, test: MultiLabelData) {
        let all = try load(url)
        guard all.count > trainCount else {
            throw DatasetError(
                file: url.path, kind: .malformed,
                problem: "\(all.count) data rows, but the common "
                    + "split needs more than \(trainCount) (the first \(trainCount) train, the rest test; the full file has 2417)"
            )
        }
        return (all.rows(0..<trainCount), all.rows(trainCount..<all.count))
    }
}
