/// Gzip (RFC 1952) and DEFLATE (RFC 1951) decompression in pure Swift.
///
/// The data the walkthrough reads is gzipped (Fashion-MNIST's IDX files, sklearn's digits CSV, river's yeast CSV),
/// and only the standard library and Foundation are allowed, so the package carries its own inflater. It handles
/// stored, fixed-Huffman and dynamic-Huffman blocks, parses the gzip header (FEXTRA, FNAME, FCOMMENT, FHCRC) and
/// verifies the CRC-32 and the ISIZE trailer. One member per file; trailing zero padding is accepted, a second
/// member is reported as unsupported.
///
/// Every read is bounds-checked: corrupt or truncated input throws a `DatasetError` naming the input, never traps.
/// The output is capped (`Gzip.defaultOutputCap`, 256 MiB): a small file that would inflate beyond the
/// cap (a decompression bomb) throws `DatasetError` of kind `.tooLarge` naming the cap, after at most the cap's
/// worth of memory.
/// Decoding uses a 10-bit lookup table per Huffman code with a canonical bit-by-bit fallback for longer codes;
/// time and memory are linear in the output size.
public enum Gzip {
    /// The most bytes `decompress` produces by default: 256 MiB, five times the largest file the walkthrough
    /// reads (Fashion-MNIST's training images, 47 MB). Larger output throws `.tooLarge`.
    public static let defaultOutputCap = 256 << 20

    /// Decompresses a single-member gzip file.
    /// - Parameters:
    ///   - bytes: the whole `.gz` file.
    ///   - name: the file name used in error messages.
    ///   - outputCap: the most output bytes accepted (default `defaultOutputCap`, 256 MiB); beyond it the
    ///     inflater stops and throws `DatasetError` of kind `.tooLarge`.
    public static func decompress(
        _ bytes: [UInt8], name: String = "<memory>",
        outputCap: Int = defaultOutputCap
    ) throws -> [UInt8] {
        let n = bytes.count
        func fail(_ kind: DatasetError.Kind, _ problem: String) -> DatasetError {
            DatasetError(file: name, kind: kind, problem: problem)
        }
        guard n >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else {
            throw fail(.badMagic, "not a gzip file (the first two bytes are not 1f 8b)")
        }
        guard n >= 10 else { throw fail(.truncated, "gzip header truncated (\(n) bytes)") }
        guard bytes[2] == 8 else {
            throw fail(.unsupported, "gzip compression method \(bytes[2]) is not DEFLATE (8)")
        }
        let flags = bytes[3]
        guard flags & 0xE0 == 0 else { throw fail(.corrupt, "reserved gzip header flag bits are set") }
        var pos = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard pos + 2 <= n else { throw fail(.truncated, "gzip extra field truncated") }
            let xlen = Int(bytes[pos]) | Int(bytes[pos + 1]) << 8
            pos += 2 + xlen
            guard pos <= n else { throw fail(.truncated, "gzip extra field truncated") }
        }
        for (flag, what) in [(UInt8(0x08), "file name"), (UInt8(0x10), "comment")] where flags & flag != 0 {
            while pos < n && bytes[pos] != 0 { pos += 1 }
            guard pos < n else { throw fail(.truncated, "gzip header \(what) is not terminated") }
            pos += 1
        }
        if flags & 0x02 != 0 {  // FHCRC: the low 16 bits of the CRC-32 of the header so far
            guard pos + 2 <= n else { throw fail(.truncated, "gzip header CRC truncated") }
            let stored = UInt32(bytes[pos]) | UInt32(bytes[pos + 1]) << 8
            let actual = CRC32.checksum(bytes[0..<pos]) & 0xFFFF
            guard stored == actual else { throw fail(.checksumMismatch, "gzip header CRC mismatch") }
            pos += 2
        }
        // The trailer's ISIZE (when the file is intact) sizes the output buffer up front.
        var sizeHint = 4 * n
        if n >= pos + 8 {
            let isize = Int(
                UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16
                    | UInt32(bytes[n - 1]) << 24)
            // DEFLATE expands at most ~1032:1, so a larger claim is a damaged trailer: don't reserve for it.
            if isize > 0 && isize <= 1032 * n + 1024 { sizeHint = isize }
        }
        let (output, end) = try Deflate.inflate(
            bytes, from: pos, name: name, sizeHint: min(sizeHint, outputCap),
            outputCap: outputCap)
        guard end + 8 <= n else {
            throw fail(.truncated, "gzip trailer truncated (\(n - end) of 8 bytes after the compressed data)")
        }
        let storedCRC =
            UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16
            | UInt32(bytes[end + 3]) << 24
        let storedSize =
            UInt32(bytes[end + 4]) | UInt32(bytes[end + 5]) << 8 | UInt32(bytes[end + 6]) << 16
            | UInt32(bytes[end + 7]) << 24
        guard storedSize == UInt32(truncatingIfNeeded: output.count) else {
            throw fail(
                .checksumMismatch,
                "gzip ISIZE mismatch: trailer says \(storedSize) bytes, decompressed \(output.count)")
        }
        let crc = CRC32.checksum(output)
        guard crc == storedCRC else {
            throw fail(
                .checksumMismatch,
                "gzip CRC-32 mismatch: trailer says "
                    + hex32(storedCRC) + ", data gives " + hex32(crc))
        }
        var rest = end + 8
        while rest < n && bytes[rest] == 0 { rest += 1 }
        guard rest == n else {
            throw fail(.unsupported, "\(n - end - 8) bytes after the gzip member (multi-member gzip is not supported)")
        }
        return output
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by gzip and zip; slice-by-4 tables.
public enum CRC32 {
    static let tables: [[UInt32]] = {
        var t0 = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t0[i] = c
        }
        var tables = [t0]
        for k in 1..<4 {
            tables.append(
                (0..<256).map { i in
                    let prev = tables[k - 1][i]
                    return t0[Int(prev & 0xFF)] ^ (prev >> 8)
                })
        }
        return tables
    }()

    /// The CRC-32 of `bytes`, continuing from `crc` (0 for a fresh checksum). `checksum("123456789") == 0xCBF43926`.
    public static func checksum<C: Collection>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32
    where C.Element == UInt8 {
        if let fast = bytes.withContiguousStorageIfAvailable({ checksum(buffer: $0, continuing: crc) }) { return fast }
        let copy = Array(bytes)
        return copy.withUnsafeBufferPointer { checksum(buffer: $0, continuing: crc) }
    }

    private static func checksum(buffer: UnsafeBufferPointer<UInt8>, continuing crc: UInt32) -> UInt32 {
        var c = ~crc
        let tabs = tables
        return tabs[0].withUnsafeBufferPointer { t0 in
            tabs[1].withUnsafeBufferPointer { t1 in
                tabs[2].withUnsafeBufferPointer { t2 in
                    tabs[3].withUnsafeBufferPointer { t3 in
                        var i = 0
                        let n = buffer.count
                        while i + 4 <= n {
                            c ^=
                                UInt32(buffer[i]) | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2]) << 16
                                | UInt32(buffer[i + 3]) << 24
                            c =
                                t3[Int(c & 0xFF)] ^ t2[Int((c >> 8) & 0xFF)] ^ t1[Int((c >> 16) & 0xFF)]
                                ^ t0[Int(c >> 24)]
                            i += 4
                        }
                        while i < n {
                            c = t0[Int((c ^ UInt32(buffer[i])) & 0xFF)] ^ (c >> 8)
                            i += 1
                        }
                        return ~c
                    }
                }
            }
        }
    }
}

/// Raw DEFLATE (RFC 1951) decoding.
public enum Deflate {
    /// Inflates a raw DEFLATE stream starting at `start`.
    /// - Parameter outputCap: the most output bytes accepted (default `Gzip.defaultOutputCap`, 256 MiB); more
    ///   throws `DatasetError` of kind `.tooLarge` naming the cap.
    /// - Returns: the output and the index of the first input byte after the final block.
    public static func inflate(
        _ bytes: [UInt8], from start: Int = 0, name: String = "<memory>",
        sizeHint: Int = 0, outputCap: Int = Gzip.defaultOutputCap
    ) throws -> (output: [UInt8], end: Int) {
        try bytes.withUnsafeBufferPointer { input in
            var inflater = Inflater(
                input: input, position: min(max(start, 0), input.count), name: name,
                capacity: max(min(sizeHint, outputCap), 1024), limit: max(outputCap, 0))
            try inflater.run()
            return (inflater.sink.array(), inflater.consumedEnd)
        }
    }
}

/// A growable output buffer with unchecked writes after an explicit `reserve`.
final class ByteSink {
    var base: UnsafeMutablePointer<UInt8>
    var count = 0
    var capacity: Int
    /// The most bytes the sink may hold.
    let limit: Int

    init(capacity: Int, limit: Int = Int.max) {
        self.capacity = capacity
        self.limit = limit
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more bytes; `false` when that would pass `limit` (nothing is allocated then).
    @inline(__always) func reserve(_ extra: Int) -> Bool {
        if count + extra > capacity { return grow(count + extra) }
        return true
    }

    func grow(_ needed: Int) -> Bool {
        guard needed <= limit else { return false }
        let newCapacity = min(max(needed, capacity * 2), limit)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
        return true
    }

    func array() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// A canonical Huffman code: a `fastBits`-bit lookup table (entry = symbol << 4 | length, 0 = not in the table)
/// and the per-length counts and sorted symbols for codes longer than `fastBits`.
struct HuffmanCode {
    static let fastBits = 10
    var fast: [UInt32]
    var counts: [Int]  // counts[len] for len in 0...15
    var symbols: [Int]  // symbols ordered by (length, value)

    /// Builds the code from per-symbol code lengths (0 = unused). Returns nil if the lengths over-subscribe the
    /// code space. Incomplete codes are accepted; reading an unassigned code is reported when it happens.
    init?(lengths: [Int]) {
        var counts = [Int](repeating: 0, count: 16)
        for l in lengths { counts[l] += 1 }
        counts[0] = 0
        var left = 1
        for len in 1...15 {
            left <<= 1
            left -= counts[len]
            if left < 0 { return nil }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
        var symbols = [Int](repeating: 0, count: max(lengths.count, 1))
        for (sym, l) in lengths.enumerated() where l != 0 {
            symbols[offsets[l]] = sym
            offsets[l] += 1
        }
        // Canonical codes, then the bit-reversed table (DEFLATE sends Huffman codes most-significant bit first).
        var fast = [UInt32](repeating: 0, count: 1 << Self.fastBits)
        var code = 0
        var index = 0
        for len in 1...15 {
            for _ in 0..<counts[len] {
                if len <= Self.fastBits {
                    var reversed = 0
                    for b in 0..<len where code & (1 << b) != 0 { reversed |= 1 << (len - 1 - b) }
                    let entry = UInt32(symbols[index]) << 4 | UInt32(len)
                    var r = reversed
                    while r < fast.count {
                        fast[r] = entry
                        r += 1 << len
                    }
                }
                code += 1
                index += 1
            }
            code <<= 1
        }
        self.fast = fast
        self.counts = counts
        self.symbols = symbols
    }

    static let fixedLiteral: HuffmanCode = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return HuffmanCode(lengths: lengths)!
    }()

    static let fixedDistance = HuffmanCode(lengths: [Int](repeating: 5, count: 30))!
}

private let lengthBase: [Int] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
    115, 131, 163, 195, 227, 258,
]
private let lengthExtra: [Int] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]
private let distanceBase: [Int] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
    1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
]
private let distanceExtra: [Int] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
    12, 12, 13, 13,
]
private let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

struct Inflater {
    let input: UnsafeBufferPointer<UInt8>
    var position: Int
    let name: String
    let sink: ByteSink
    var bitBuffer: UInt64 = 0
    var bitCount = 0

    init(input: UnsafeBufferPointer<UInt8>, position: Int, name: String, capacity: Int, limit: Int = Int.max) {
        self.input = input
        self.position = position
        self.name = name
        sink = ByteSink(capacity: capacity, limit: limit)
    }

    var tooLarge: DatasetError {
        fail(
            .tooLarge,
            "decompressed data exceeds the output cap of \(sink.limit) bytes "
                + "(\(sink.limit >> 20) MiB; Gzip.defaultOutputCap): a decompression bomb or not a walkthrough file")
    }

    /// The first input byte not consumed (whole bytes still held in the bit buffer are given back).
    var consumedEnd: Int { position - bitCount / 8 }

    func fail(_ kind: DatasetError.Kind, _ problem: String) -> DatasetError {
        DatasetError(file: name, kind: kind, problem: problem)
    }

    var truncated: DatasetError {
        fail(.truncated, "compressed data ends early (after \(input.count) bytes, output so far \(sink.count) bytes)")
    }

    @inline(__always) mutating func refill() {
        while bitCount <= 56 && position < input.count {
            bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    @inline(__always) mutating func bits(_ n: Int) throws -> Int {
        if bitCount < n {
            refill()
            if bitCount < n { throw truncated }
        }
        let v = Int(bitBuffer & ((1 << UInt64(n)) &- 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return v
    }

    @inline(__always) mutating func decode(_ code: HuffmanCode) throws -> Int {
        if bitCount < 15 { refill() }
        let entry = code.fast[Int(bitBuffer & UInt64((1 << HuffmanCode.fastBits) - 1))]
        if entry != 0 {
            let len = Int(entry & 15)
            if len > bitCount { throw truncated }
            bitBuffer >>= UInt64(len)
            bitCount -= len
            return Int(entry >> 4)
        }
        return try decodeSlow(code)
    }

    /// Canonical decoding one bit at a time (codes longer than the table, or unassigned codes).
    mutating func decodeSlow(_ code: HuffmanCode) throws -> Int {
        var value = 0
        var first = 0
        var index = 0
        for len in 1...15 {
            if len > bitCount { throw truncated }
            value |= Int((bitBuffer >> UInt64(len - 1)) & 1)
            let count = code.counts[len]
            if value - first < count {
                bitBuffer >>= UInt64(len)
                bitCount -= len
                return code.symbols[index + value - first]
            }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw fail(.corrupt, "invalid Huffman code in the compressed data")
    }

    mutating func run() throws {
        var last = false
        while !last {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try storedBlock()
            case 1: try huffmanBlock(literal: .fixedLiteral, distance: .fixedDistance)
            case 2:
                let (lit, dist) = try dynamicCodes()
                try huffmanBlock(literal: lit, distance: dist)
            default: throw fail(.corrupt, "invalid DEFLATE block type 3")
            }
        }
    }

    mutating func storedBlock() throws {
        _ = try bits(bitCount % 8)  // skip to a byte boundary
        let len = try bits(16)
        let nlen = try bits(16)
        guard len == (~nlen & 0xFFFF) else { throw fail(.corrupt, "stored block length check failed") }
        // Give back whole bytes held in the bit buffer and copy straight from the input.
        position -= bitCount / 8
        bitBuffer = 0
        bitCount = 0
        guard position + len <= input.count else { throw truncated }
        guard sink.reserve(len) else { throw tooLarge }
        if len > 0 {
            (sink.base + sink.count).update(from: input.baseAddress! + position, count: len)
        }
        sink.count += len
        position += len
    }

    mutating func dynamicCodes() throws -> (HuffmanCode, HuffmanCode) {
        let hlit = try bits(5) + 257
        let hdist = try bits(5) + 1
        let hclen = try bits(4) + 4
        guard hlit <= 286, hdist <= 30 else {
            throw fail(.corrupt, "dynamic block declares \(hlit) literal/length and \(hdist) distance codes")
        }
        var clLengths = [Int](repeating: 0, count: 19)
        for i in 0..<hclen { clLengths[codeLengthOrder[i]] = try bits(3) }
        guard let clCode = HuffmanCode(lengths: clLengths) else {
            throw fail(.corrupt, "over-subscribed code-length code")
        }
        var lengths = [Int]()
        lengths.reserveCapacity(hlit + hdist)
        while lengths.count < hlit + hdist {
            let sym = try decode(clCode)
            var repeatValue = 0
            var repeatCount = 0
            switch sym {
            case 0...15:
                lengths.append(sym)
                continue
            case 16:
                guard let previous = lengths.last else {
                    throw fail(.corrupt, "code length repeat with no previous length")
                }
                repeatValue = previous
                repeatCount = 3 + (try bits(2))
            case 17: repeatCount = 3 + (try bits(3))
            default: repeatCount = 11 + (try bits(7))
            }
            guard lengths.count + repeatCount <= hlit + hdist else {
                throw fail(.corrupt, "code length repeat runs past the end of the table")
            }
            lengths.append(contentsOf: repeatElement(repeatValue, count: repeatCount))
        }
        guard lengths[256] != 0 else { throw fail(.corrupt, "dynamic block has no end-of-block code") }
        guard let lit = HuffmanCode(lengths: Array(lengths[0..<hlit])) else {
            throw fail(.corrupt, "over-subscribed literal/length code")
        }
        guard let dist = HuffmanCode(lengths: Array(lengths[hlit...])) else {
            throw fail(.corrupt, "over-subscribed distance code")
        }
        return (lit, dist)
    }

    mutating func huffmanBlock(literal: HuffmanCode, distance: HuffmanCode) throws {
        let sink = self.sink
        while true {
            let sym = try decode(literal)
            if sym < 256 {
                guard sink.reserve(1) else { throw tooLarge }
                sink.base[sink.count] = UInt8(truncatingIfNeeded: sym)
                sink.count += 1
                continue
            }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw fail(.corrupt, "invalid length symbol \(sym)") }
            let length = lengthBase[li] + (try bits(lengthExtra[li]))
            let ds = try decode(distance)
            guard ds < 30 else { throw fail(.corrupt, "invalid distance symbol \(ds)") }
            let dist = distanceBase[ds] + (try bits(distanceExtra[ds]))
            guard dist <= sink.count else {
                throw fail(.corrupt, "back-reference distance \(dist) reaches before the start of the output")
            }
            guard sink.reserve(length) else { throw tooLarge }
            let dst = sink.base + sink.count
            let src = dst - dist
            if dist >= length {
                dst.update(from: src, count: length)
            } else {
                for k in 0..<length { dst[k] = src[k] }
            }
            sink.count += length
        }
    }
}
