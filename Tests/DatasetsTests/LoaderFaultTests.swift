import Foundation
import Testing

@testable import Datasets

/// Loaders under hostile input: a well-formed Yeast file too short for the split, CRLF line ends, and a gzip
/// bomb.
@Suite struct LoaderFaultTests {
    static let header = ((1...103).map { "Att\($0)" } + (1...14).map { "Class\($0)" }).joined(separator: ",")

    static func yeastText(rows: Int, lineEnd: String) -> String {
        var lines = [header]
        for r in 0..<rows {
            let features = (0..<103).map { c in "\(Double((r * 7 + c) % 13) / 4)" }
            let labels = (0..<14).map { c in (r + c) % 3 == 0 ? "1" : "0" }
            lines.append((features + labels).joined(separator: ","))
        }
        return lines.joined(separator: lineEnd) + lineEnd
    }

    @Test func aYeastFileTooShortForTheSplitIsAClearError() throws {
        let dir = try temporaryDirectory("yeast-short")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("yeast.csv")
        try Data(Self.yeastText(rows: 10, lineEnd: "\n").utf8).write(to: url)
        #expect(try Yeast.load(url).count == 10)
        do {
            _ = try Yeast.loadSplit(url)
            Issue.record("a 10-row file was split")
        } catch let error as DatasetError {
            #expect(
                error.kind == .malformed && error.problem.contains("10 data rows")
                    && error.problem.contains("more than 1500"), "\(error)")
        }
    }

    @Test func crlfLineEndsReadLikeLF() throws {
        let dir = try temporaryDirectory("yeast-crlf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lf = dir.appendingPathComponent("lf.csv")
        let crlf = dir.appendingPathComponent("crlf.csv")
        try Data(Self.yeastText(rows: 5, lineEnd: "\n").utf8).write(to: lf)
        try Data(Self.yeastText(rows: 5, lineEnd: "\r\n").utf8).write(to: crlf)
        let a = try Yeast.load(lf)
        let b = try Yeast.load(crlf)
        #expect(b.count == 5 && a.features == b.features && a.labels == b.labels)
        // Line numbers in errors count CRLF lines too.
        let broken = Self.yeastText(rows: 3, lineEnd: "\r\n").replacingOccurrences(of: ",1\r\n", with: ",2\r\n")
        try Data(broken.utf8).write(to: crlf)
        do {
            _ = try Yeast.load(crlf)
            Issue.record("label 2 accepted")
        } catch let error as DatasetError {
            #expect(
                error.problem.hasPrefix("line 2,") || error.problem.hasPrefix("line 3,")
                    || error.problem.hasPrefix("line 4,"), "\(error)")
        }
    }

    /// A fixed-Huffman DEFLATE stream of one literal 0 then `repeats` copies of (length 258, distance 1): 13 bits
    /// per 258 output bytes, a ratio of about 160:1, wrapped in a gzip header (the trailer is never reached).
    static func bomb(repeats: Int) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
        var buffer: UInt64 = 0
        var count = 0
        func bits(_ value: Int, _ n: Int) {  // LSB first
            buffer |= UInt64(value) << UInt64(count)
            count += n
            while count >= 8 {
                out.append(UInt8(buffer & 0xff))
                buffer >>= 8
                count -= 8
            }
        }
        func code(_ value: Int, _ n: Int) {  // Huffman codes go MSB first
            for k in stride(from: n - 1, through: 0, by: -1) { bits((value >> k) & 1, 1) }
        }
        bits(1, 1)
        bits(1, 2)  // BFINAL, fixed Huffman
        code(0x30, 8)  // literal 0
        for _ in 0..<repeats {
            code(0xC5, 8)
            code(0, 5)
        }  // length 258 (symbol 285), distance 1
        code(0, 7)  // end of block
        bits(0, 7)
        return out + [UInt8](repeating: 0, count: 8)
    }

    @Test func aGzipBombStopsAtTheOutputCapAndNamesIt() throws {
        let small = Self.bomb(repeats: 8000)  // 13 KB that inflate to 2 MB
        do {
            _ = try Gzip.decompress(small, name: "bomb.gz", outputCap: 1 << 20)
            Issue.record("the bomb inflated past the cap")
        } catch let error as DatasetError {
            #expect(error.kind == .tooLarge && error.problem.contains("\(1 << 20) bytes"), "\(error)")
        }
        // The default cap: a 1.7 MB file (fixed Huffman, 160:1) that would inflate past 256 MiB stops there.
        let big = Self.bomb(repeats: (256 << 20) / 258 + 1000)
        #expect(big.count < 2_000_000)
        do {
            _ = try Gzip.decompress(big, name: "bomb.gz")
            Issue.record("the bomb inflated past the default cap")
        } catch let error as DatasetError {
            #expect(error.kind == .tooLarge && error.problem.contains("256 MiB"), "\(error)")
        }
    }
}
