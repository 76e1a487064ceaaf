import Testing

@testable import Gnuplot

/// The chunk-by-chunk PNG check against a hand-built 1 × 1 grey PNG (made with Python's zlib and struct: IHDR,
/// one IDAT, IEND, each CRC from zlib.crc32) and mutations of it.
@Suite struct PNGCheckTests {
    static let onePixel: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00,
        0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0x0F, 0x00, 0x01, 0x01, 0x01, 0x00, 0xB1, 0x38, 0xF6,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]

    @Test func theHandBuiltPNGIsComplete() {
        #expect(PNGCheck.problem(in: Self.onePixel) == nil)
        // CRC-32 of "IEND" is the well-known AE 42 60 82.
        #expect(PNGCheck.crc32(Array("IEND".utf8)[...]) == 0xAE42_6082)
    }

    static func flipped(_ index: Int) -> [UInt8] {
        var bytes = onePixel
        bytes[index] ^= 0x01
        return bytes
    }

    /// (what was done, the bytes, what the check must say).
    static let broken: [(String, [UInt8], String)] = {
        let png = onePixel
        let iend: [UInt8] = Array(png.suffix(12))
        let head: [UInt8] = Array(png.prefix(33))  // the signature and IHDR
        var cases: [(String, [UInt8], String)] = []
        cases.append(("not a PNG", Array("GIF89a".utf8) + png, "without the PNG signature"))
        cases.append(("cut in a header", Array(png.prefix(60)), "ends inside a chunk header"))
        cases.append(("cut in a chunk", Array(png.prefix(50)), "runs past the end"))
        cases.append(("IDAT data changed", flipped(44), "IDAT at byte 33 fails its CRC"))
        cases.append(("IHDR CRC changed", flipped(30), "IHDR at byte 8 fails its CRC"))
        cases.append(("double IEND", png + iend, "12 bytes after the IEND chunk"))
        cases.append(("trailing byte", png + [0], "1 bytes after the IEND chunk"))
        cases.append(("no IEND", Array(png.prefix(55)), "no IEND chunk"))
        cases.append(("IEND first", PNGCheck.signature + iend, "the first chunk is IEND, not IHDR"))
        cases.append(("IEND before data", head + iend, "IEND at byte 33 before any IDAT"))
        cases.append(("second IHDR", head + Array(png[8..<33]) + Array(png[33...]), "an IHDR chunk at byte 33"))
        let garbage: [UInt8] = PNGCheck.signature + [UInt8](repeating: 0x41, count: 30) + iend
        cases.append(("garbage between header and trailer", garbage, "runs past the end"))
        let badType: [UInt8] = head + [0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0] + Array(png[33...])
        cases.append(("bad chunk type", badType, "no valid type"))
        return cases
    }()

    @Test(arguments: PNGCheckTests.broken)
    func brokenFilesAreNamed(label: String, bytes: [UInt8], problem: String) {
        let found = PNGCheck.problem(in: bytes)
        #expect(found?.contains(problem) == true, "\(label): \(found ?? "accepted")")
    }
}
