import Foundation
import Rambo
import Support
import Testing

@testable import Datasets

/// The uncompressed contents of `GzipFixtures`, generated the same way as the Python that wrote them.
enum FixtureContent {
    static let hello = Array("hello, hello, hello world\n".utf8)
    /// b"".join(b"line %d: %d\n" % (i, i*i % 97) for i in range(200))
    static let lines = Array((0..<200).map { "line \($0): \($0 * $0 % 97)\n" }.joined().utf8)
    /// bytes((i*7) % 251 for i in range(n))
    static func pattern(_ n: Int) -> [UInt8] { (0..<n).map { UInt8($0 * 7 % 251) } }
    /// The C-library-style LCG: s = (s·1103515245 + 12345) mod 2^31, byte = (s >> 16) & 0xFF, from s = 12345.
    static func lcg(_ n: Int) -> [UInt8] {
        var s: UInt64 = 12345
        return (0..<n).map { _ in
            s = (s &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF
            return UInt8((s >> 16) & 0xFF)
        }
    }
    static let far = lcg(1000) + [UInt8](repeating: 0, count: 20000) + lcg(1000)
}

func decode64(_ s: String) -> [UInt8] { [UInt8](Data(base64Encoded: s)!) }

/// Runs `body` and returns the `DatasetError` it throws (nil if it does not throw or throws something else).
func datasetError<T>(_ body: () throws -> T) -> DatasetError? {
    do {
        _ = try body()
        return nil
    } catch let e as DatasetError {
        return e
    } catch {
        return nil
    }
}

@Suite struct GzipTests {
    @Test func crc32KnownVectors() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        // Continuing a checksum over two halves equals the checksum of the whole.
        let whole = FixtureContent.lines
        let half = CRC32.checksum(whole[..<1000])
        #expect(CRC32.checksum(whole[1000...], continuing: half) == CRC32.checksum(whole))
        #expect(CRC32.checksum(whole) == 579_849_427)  // zlib.crc32(lines()) in Python
    }

    @Test(arguments: [
        ("helloLevel9", GzipFixtures.helloLevel9, FixtureContent.hello, 1),
        ("storedPattern", GzipFixtures.storedPattern, FixtureContent.pattern(300), 0),
        ("fixedLines", GzipFixtures.fixedLines, FixtureContent.lines, 1),
        ("dynamicLines", GzipFixtures.dynamicLines, FixtureContent.lines, 2),
        ("level1Lines", GzipFixtures.level1Lines, FixtureContent.lines, 2),
        ("flushedLines", GzipFixtures.flushedLines, FixtureContent.lines, 2),
        ("farMatch", GzipFixtures.farMatch, FixtureContent.far, 2),
        ("empty", GzipFixtures.empty, [], 1),
    ])
    func decompressesFixture(name: String, base64: String, expected: [UInt8], firstBlockType: Int) throws {
        let gz = decode64(base64)
        // The fixture really starts with the block type it is meant to exercise (plain 10-byte header).
        #expect(Int(gz[10] >> 1) & 3 == firstBlockType, "\(name)")
        let out = try Gzip.decompress(gz, name: name)
        #expect(out.count == expected.count, "\(name)")
        #expect(out == expected, "\(name)")
    }

    @Test func headerWithAllOptionalFields() throws {
        let gz = decode64(GzipFixtures.headerFields)
        #expect(gz[3] == 0x1E)  // FHCRC | FEXTRA | FNAME | FCOMMENT
        #expect(try Gzip.decompress(gz) == FixtureContent.hello)
        // A wrong header CRC is caught.
        var bad = gz
        let hcrcAt = 10 + 2 + 6 + 10 + 10  // header, XLEN, extra, "hello.txt\0", "a comment\0"
        bad[hcrcAt] ^= 0xFF
        #expect(datasetError { try Gzip.decompress(bad, name: "h.gz") }?.kind == .checksumMismatch)
    }

    @Test func badMagicNamesTheFile() {
        var gz = decode64(GzipFixtures.dynamicLines)
        gz[1] = 0x8c
        let e = datasetError { try Gzip.decompress(gz, name: "/data/x.gz") }
        #expect(e?.kind == .badMagic)
        #expect(e?.description.hasPrefix("/data/x.gz: ") == true)
        #expect(datasetError { try Gzip.decompress([], name: "e.gz") }?.kind == .badMagic)
        #expect(datasetError { try Gzip.decompress(Array("plain text".utf8)) }?.kind == .badMagic)
    }

    @Test func everyTruncationIsReportedAsTruncated() {
        for fixture in [GzipFixtures.dynamicLines, GzipFixtures.storedPattern, GzipFixtures.fixedLines] {
            let gz = decode64(fixture)
            for cut in 2..<gz.count {
                let e = datasetError { try Gzip.decompress(Array(gz[..<cut]), name: "cut.gz") }
                #expect(e?.kind == .truncated, "cut at \(cut) of \(gz.count): \(String(describing: e))")
                #expect(e?.file == "cut.gz")
            }
        }
    }

    @Test func checksumAndSizeMismatches() {
        let gz = decode64(GzipFixtures.storedPattern)
        var crc = gz
        crc[gz.count - 8] ^= 1
        let e1 = datasetError { try Gzip.decompress(crc, name: "crc.gz") }
        #expect(e1?.kind == .checksumMismatch)
        #expect(e1?.problem.contains("CRC-32") == true)
        var size = gz
        size[gz.count - 4] ^= 1
        #expect(datasetError { try Gzip.decompress(size, name: "s.gz") }?.kind == .checksumMismatch)
        // A flipped byte inside a stored block changes the data, not its structure: only the CRC can tell.
        var data = gz
        data[100] ^= 0x40
        #expect(datasetError { try Gzip.decompress(data, name: "d.gz") }?.kind == .checksumMismatch)
    }

    @Test func trailingBytes() throws {
        let gz = decode64(GzipFixtures.helloLevel9)
        #expect(try Gzip.decompress(gz + [0, 0, 0]) == FixtureContent.hello)  // zero padding is fine
        #expect(datasetError { try Gzip.decompress(gz + gz) }?.kind == .unsupported)  // a second member
    }

    @Test func invalidStreamsAreCorruptNotTraps() {
        // Block type 3 is reserved.
        let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        #expect(datasetError { try Gzip.decompress(header + [0x07, 0, 0, 0, 0, 0, 0, 0, 0]) }?.kind == .corrupt)
        // Stored block whose NLEN is not the complement of LEN.
        #expect(
            datasetError { try Gzip.decompress(header + [0x01, 5, 0, 5, 0] + [UInt8](repeating: 0, count: 13)) }?
                .kind == .corrupt)
        // Fixed block that starts with a match at distance 1 into an empty output (length 3, distance code 0).
        // Bits: BFINAL 1, BTYPE 01, symbol 257 = 0000001 (7 bits), distance code 00000.
        #expect(datasetError { try Gzip.decompress(header + [0x03, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]) }?.kind == .corrupt)
    }

    @Test func randomCorruptionNeverTraps() {
        let gz = decode64(GzipFixtures.dynamicLines)
        var rng = SplitMix64(seed: 7)
        var kinds: [DatasetError.Kind: Int] = [:]
        for _ in 0..<400 {
            var bad = gz
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = 10 + Int(rng.next() % UInt64(gz.count - 18))  // inside the compressed data
                bad[at] ^= UInt8(1 + rng.next() % 255)
            }
            if let e = datasetError({ try Gzip.decompress(bad, name: "fuzz.gz") }) {
                kinds[e.kind, default: 0] += 1
                #expect(e.file == "fuzz.gz")
            }
        }
        // Damage is detected one way or another: by the stream structure, or by the checksum.
        #expect(kinds.values.reduce(0, +) == 400)
        #expect((kinds[.corrupt] ?? 0) > 0)
        #expect((kinds[.checksumMismatch] ?? 0) + (kinds[.truncated] ?? 0) > 0)
    }

    @Test func rawDeflateReportsWhereTheStreamEnds() throws {
        let gz = decode64(GzipFixtures.dynamicLines)
        let (out, end) = try Deflate.inflate(gz, from: 10)
        #expect(out == FixtureContent.lines)
        #expect(end == gz.count - 8)  // the trailer follows
    }
}
