// The structure check for the PNG files gnuplot writes: enough of the format to tell a complete file from one a
// full disk cut short, a second writer interleaved with, or a program that wrote garbage between a header and a
// trailer, without linking an image library.

enum PNGCheck {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// `nil` when `bytes` is a structurally complete PNG; otherwise what is wrong, with the byte offset.
    ///
    /// Checks: the 8-byte signature; then chunk by chunk, each chunk's length (at most 2³¹ − 1 and within the
    /// file), its type (four ASCII letters) and its CRC-32 over type and data; `IHDR` first with 13 bytes of
    /// data; at least one `IDAT`; exactly one `IEND`, empty and last, with nothing after it. Pixel data is not
    /// decompressed. Linear in the size of the file.
    static func problem(in bytes: [UInt8]) -> String? {
        guard bytes.count >= signature.count, Array(bytes[0..<8]) == signature else {
            return "\(bytes.count) bytes without the PNG signature"
        }
        var offset = 8
        var index = 0
        var sawData = false
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else {
                return "the file ends inside a chunk header at byte \(offset) (\(bytes.count) bytes; a full disk?)"
            }
            let length = Int(bigEndian32(bytes, at: offset))
            let type = Array(bytes[(offset + 4)..<(offset + 8)])
            let name = String(decoding: type, as: UTF8.self)
            guard length <= Int(Int32.max) else { return "chunk \(index) at byte \(offset) claims \(length) bytes" }
            guard type.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                return "chunk \(index) at byte \(offset) has no valid type (garbage in the file?)"
            }
            guard length <= bytes.count - offset - 12 else {
                return
                    "chunk \(name) at byte \(offset) runs past the end of the file (\(bytes.count) bytes; a full disk?)"
            }
            let stored = bigEndian32(bytes, at: offset + 8 + length)
            guard crc32(bytes[(offset + 4)..<(offset + 8 + length)]) == stored else {
                return "chunk \(name) at byte \(offset) fails its CRC"
            }
            if let wrong = orderProblem(name: name, length: length, index: index, offset: offset, sawData: sawData) {
                return wrong
            }
            sawData = sawData || name == "IDAT"
            offset += 12 + length
            index += 1
            if name == "IEND" {
                return offset == bytes.count ? nil : "\(bytes.count - offset) bytes after the IEND chunk"
            }
        }
        return "no IEND chunk (\(bytes.count) bytes; a full disk?)"
    }

    /// What is wrong with chunk `name` at position `index`: IHDR must come first with 13 bytes; IEND must be
    /// empty and follow image data.
    private static func orderProblem(name: String, length: Int, index: Int, offset: Int, sawData: Bool) -> String? {
        if index == 0 && name != "IHDR" { return "the first chunk is \(name), not IHDR" }
        if name == "IHDR" && (index != 0 || length != 13) {
            return "an IHDR chunk at byte \(offset) (chunk \(index), \(length) bytes)"
        }
        if name == "IEND" && length != 0 { return "the IEND chunk at byte \(offset) holds \(length) bytes" }
        if name == "IEND" && !sawData { return "IEND at byte \(offset) before any IDAT chunk" }
        return nil
    }

    private static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// CRC-32 (ISO 3309, the polynomial 0xEDB88320 reflected), as PNG computes it over a chunk's type and data.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
