// JSON for the port-checking reference (`rambo-reference`): a value type, a strict parser and a deterministic
// writer, in pure Swift (no Foundation), so the tool, the tests and chapter 13 read and write vectors the same way.
//
// - Numbers keep their kind: text without a fraction or exponent that fits `Int` parses as `.integer`, anything
//   else as `.number(Double)` via the standard library's correctly rounded `Double(String)`. Text too large for a
//   Double (`1e400`) parses as ±infinity; the case checks then reject it by name.
// - `NaN`, `Infinity` and `-Infinity` (what Python's `json` module writes for non-finite floats) are accepted as
//   numbers, so a port's NaN is reported per case instead of failing the whole file.
// - Duplicate keys and nesting deeper than `maximumDepth` are parse errors; nothing here can trap on any input.
// - Strings must be valid Unicode: invalid UTF-8 and lone surrogate escapes (`\uD800`) are parse errors, never
//   replaced by U+FFFD (two different ids must never read as one).
// - `parse(bytes:maximumValues:)` counts scalar values while parsing and stops at the limit, so an oversized
//   file is refused after reading at most the limit, not parsed whole.
// - The writer sorts object keys and prints doubles in Swift's shortest round-trip form (`0.1`, `1e-05`,
//   `-0.0`), so the text reads back to exactly the same bits and the same value always gives the same bytes.

/// A JSON value.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A whole number written without fraction or exponent that fits `Int`.
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The numeric value of `.integer` or `.number`; `nil` for anything else.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The members of an object; `nil` for anything else.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements of an array; `nil` for anything else.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The text of a string; `nil` for anything else.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Member access for objects (`nil` for a missing key or a non-object).
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// What kind of value this is, for error messages: "a number", "a string", ...
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// A Double as a JSON value: `.number`.
    public init(_ value: Double) { self = .number(value) }
    /// An array of Doubles as a JSON array.
    public init(_ values: [Double]) { self = .array(values.map(JSONValue.number)) }
    /// A matrix of Doubles as a JSON array of arrays.
    public init(_ rows: [[Double]]) { self = .array(rows.map { JSONValue($0) }) }
}

/// Why a text is not JSON: the problem and where (line, column; both 1-based).
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict JSON parser (RFC 8259) with the NaN/Infinity extension described at the top of this file.
public enum JSONParser {
    /// Objects and arrays nested deeper than this are rejected (the parser recurses once per level).
    public static let maximumDepth = 64

    /// Parses a whole text: exactly one value, surrounded only by whitespace.
    ///
    /// - Throws: `JSONParseError` naming the line and column of the first problem.
    /// - Complexity: O(length of the text).
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses UTF-8 bytes (a file's contents). Invalid UTF-8 is an error, never replaced or trapped on.
    ///
    /// - Parameter maximumValues: the most scalar values (numbers, strings, booleans, nulls) the text may hold;
    ///   parsing stops with an error as soon as one more is met.
    /// - Throws: `JSONParseError` naming the line and column of the first problem.
    public static func parse(bytes: [UInt8], maximumValues: Int = .max) throws -> JSONValue {
        var parser = Parser(bytes: bytes)
        parser.budget = maximumValues
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        var budget = Int.max

        /// Counts one scalar value against the budget.
        mutating func spend() throws {
            guard budget > 0 else { throw error("more values than the limit allows; split the file") }
            budget -= 1
        }

        init(bytes: [UInt8]) { self.bytes = bytes }

        func error(_ message: String) -> JSONParseError {
            var line = 1
            var column = 1
            for b in bytes[..<min(position, bytes.count)] {
                if b == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if b & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return JSONParseError(message: message, line: line, column: column)
        }

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let b = current, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 }
        }

        mutating func expectLiteral(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
                return false
            }
            position += w.count
            return true
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard let b = current else { throw error("unexpected end of text, expected a value") }
            if b != UInt8(ascii: "{") && b != UInt8(ascii: "[") { try spend() }
            switch b {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                if expectLiteral("true") { return .bool(true) }
            case UInt8(ascii: "f"):
                if expectLiteral("false") { return .bool(false) }
            case UInt8(ascii: "n"):
                if expectLiteral("null") { return .null }
            case UInt8(ascii: "N"):
                if expectLiteral("NaN") { return .number(.nan) }
            case UInt8(ascii: "I"):
                if expectLiteral("Infinity") { return .number(.infinity) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if b == UInt8(ascii: "-"), expectLiteral("-Infinity") { return .number(-.infinity) }
                return try number()
            default: break
            }
            throw error("unexpected character '\(printable(b))', expected a value")
        }

        func printable(_ b: UInt8) -> String {
            (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\u{\(String(b, radix: 16))}"
        }

        mutating func object(depth: Int) throws -> JSONValue {
            guard depth <= JSONParser.maximumDepth else {
                throw error("nesting deeper than \(JSONParser.maximumDepth) levels")
            }
            position += 1  // {
            var members = [String: JSONValue]()
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let keyStart = position
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
                position += 1
                skipWhitespace()
                let v = try value(depth: depth)
                guard members[key] == nil else {
                    position = keyStart
                    throw error("duplicate key \"\(key)\"")
                }
                members[key] = v
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"):
                    position += 1
                    return .object(members)
                default: throw error("expected ',' or '}' in an object")
                }
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            guard depth <= JSONParser.maximumDepth else {
                throw error("nesting deeper than \(JSONParser.maximumDepth) levels")
            }
            position += 1  // [
            var elements = [JSONValue]()
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"):
                    position += 1
                    return .array(elements)
                default: throw error("expected ',' or ']' in a list")
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("unfinished \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[position]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw error("bad hex digit in a \\u escape")
                }
                v = v * 16 + digit
                position += 1
            }
            return v
        }

        mutating func string() throws -> String {
            position += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var run = [UInt8]()  // raw UTF-8 between escapes
            func flush() throws {
                if !run.isEmpty {
                    guard let text = String(validating: run, as: UTF8.self) else {
                        throw error("invalid UTF-8 inside a string")
                    }
                    scalars.append(contentsOf: text.unicodeScalars)
                    run.removeAll(keepingCapacity: true)
                }
            }
            while true {
                guard let b = current else { throw error("unterminated string") }
                position += 1
                if b == UInt8(ascii: "\"") {
                    try flush()
                    return String(scalars)
                }
                if b < 0x20 {
                    position -= 1
                    throw error("control character inside a string")
                }
                guard b == UInt8(ascii: "\\") else {
                    run.append(b)
                    continue
                }
                try flush()
                guard let e = current else { throw error("unterminated escape") }
                position += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), position + 6 <= bytes.count,
                        bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                    {
                        let save = position
                        position += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    guard let scalar = UnicodeScalar(code) else {
                        throw error(
                            "a lone surrogate \\u\(String(code, radix: 16, uppercase: true)) inside a string; "
                                + "JSON strings must be valid Unicode")
                    }
                    scalars.append(scalar)
                default:
                    position -= 1
                    throw error("unknown escape '\\\(printable(e))'")
                }
            }
        }

        mutating func number() throws -> JSONValue {
            let start = position
            var integral = true
            if current == UInt8(ascii: "-") { position += 1 }
            func digits() -> Int {
                var count = 0
                while let b = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) {
                    position += 1
                    count += 1
                }
                return count
            }
            guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                throw error("a number needs a digit after '-'")
            }
            if first == UInt8(ascii: "0") {
                position += 1
                if let b = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) {
                    throw error("numbers may not have leading zeros")
                }
            } else {
                _ = digits()
            }
            if current == UInt8(ascii: ".") {
                integral = false
                position += 1
                guard digits() > 0 else { throw error("a number needs digits after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw error("a number needs digits in its exponent") }
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if integral, let i = Int(text) { return .integer(i) }
            guard let d = Double(text) else { throw error("unreadable number '\(text)'") }
            return .number(d)
        }
    }
}

/// Writes JSON text deterministically: keys sorted by their UTF-8 bytes, shortest round-trip doubles.
public enum JSONWriter {
    /// One line: `{"a": [1, 2.5], "b": null}`.
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented by two spaces per level; lists and objects that hold no object are kept on one line, so a
    /// matrix reads as one line and a file of cases as one block per case.
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: "  ", level: 0)
        return out
    }

    /// A double's text: Swift's shortest round-trip form; non-finite values as `NaN`, `Infinity`, `-Infinity`
    /// (never produced by the reference for valid inputs).
    public static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return d.description
    }

    /// A quoted, escaped string.
    public static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func holdsObject(_ value: JSONValue) -> Bool {
        switch value {
        case .object: return true
        case .array(let a): return a.contains(where: holdsObject)
        default: return false
        }
    }

    private static func sortedKeys(_ o: [String: JSONValue]) -> [String] {
        o.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: String?, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .number(let d): out += number(d)
        case .string(let s): out += string(s)
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            if let indent, a.contains(where: holdsObject) {
                let inner = "\n" + String(repeating: indent, count: level + 1)
                out += "["
                for (k, element) in a.enumerated() {
                    out += (k == 0 ? "" : ",") + inner
                    write(element, into: &out, indent: indent, level: level + 1)
                }
                out += "\n" + String(repeating: indent, count: level) + "]"
            } else {
                out += "["
                for (k, element) in a.enumerated() {
                    if k > 0 { out += ", " }
                    write(element, into: &out, indent: nil, level: 0)
                }
                out += "]"
            }
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            let keys = sortedKeys(o)
            if let indent, o.values.contains(where: holdsObject) || level == 0 || o.count > 4 {
                let inner = "\n" + String(repeating: indent, count: level + 1)
                out += "{"
                for (k, key) in keys.enumerated() {
                    out += (k == 0 ? "" : ",") + inner + string(key) + ": "
                    write(o[key]!, into: &out, indent: indent, level: level + 1)
                }
                out += "\n" + String(repeating: indent, count: level) + "}"
            } else {
                out += "{"
                for (k, key) in keys.enumerated() {
                    if k > 0 { out += ", " }
                    out += string(key) + ": "
                    write(o[key]!, into: &out, indent: nil, level: 0)
                }
                out += "}"
            }
        }
    }
}
