/// The book's Swift highlighter: a small lexer that marks comments, string literals, numbers, keywords, type names
/// and attributes, so that the code cells are coloured offline without a script.
///
/// The HTML it writes holds the code verbatim: with the tags removed and the five entities decoded it is the input,
/// character for character (tested). Each source line is a `<span class="line">` (the book numbers them with CSS
/// from the cell's first line); a token that spans lines (a block comment, a multi-line string) is closed at the end
/// of each line and reopened on the next. Linear in the length of the code.
public enum SwiftHighlighter {
    /// A token class, written as `class="hl-…"`.
    public enum Kind: String, Sendable {
        case comment = "c"
        case string = "s"
        case number = "n"
        case keyword = "k"
        case type = "t"
        case attribute = "a"
    }

    static let keywords: Set<String> = [
        "actor", "any", "as", "associatedtype", "async", "await", "break", "case", "catch", "class", "continue",
        "default", "defer", "deinit", "do", "else", "enum", "extension", "fallthrough", "false", "fileprivate", "for",
        "func", "guard", "if", "import", "in", "indirect", "init", "inout", "internal", "is", "let", "lazy", "mutating",
        "nil", "nonisolated", "open", "operator", "override", "private", "protocol", "public", "repeat", "rethrows",
        "return", "self", "Self", "some", "static", "struct", "subscript", "super", "switch", "throw", "throws", "true",
        "try", "typealias", "var", "where", "while", "willSet", "didSet", "get", "set",
    ]

    /// The code as tokens: each a class (nil for plain text) and its characters; together they are `code`.
    public static func tokens(_ code: String) -> [(kind: Kind?, text: String)] {
        let c = Array(code)
        var out = [(kind: Kind?, text: String)]()
        var i = 0
        func add(_ kind: Kind?, _ end: Int) {
            let text = String(c[i..<end])
            if kind == nil, let last = out.last, last.kind == nil {
                out[out.count - 1].text += text
            } else {
                out.append((kind, text))
            }
            i = end
        }
        while i < c.count {
            let ch = c[i]
            let next: Character? = i + 1 < c.count ? c[i + 1] : nil
            if ch == "/" && next == "/" {
                add(.comment, scan(c, from: i) { $0 != "\n" })
            } else if ch == "/" && next == "*" {
                add(.comment, blockCommentEnd(c, i))
            } else if ch == "\"" || (ch == "#" && (next == "\"" || next == "#") && rawStringStart(c, i)) {
                add(.string, stringEnd(c, i))
            } else if ch == "$" && (next?.isNumber ?? false) {
                add(nil, scan(c, from: i + 1) { $0.isNumber })  // a closure's $0 is a name, not a number
            } else if ch.isNumber {
                add(.number, numberEnd(c, i))
            } else if ch.isLetter || ch == "_" {
                let end = scan(c, from: i) { $0.isLetter || $0.isNumber || $0 == "_" }
                let word = String(c[i..<end])
                let kind: Kind? = keywords.contains(word) ? .keyword : word.first!.isUppercase ? .type : nil
                add(kind, end)
            } else if (ch == "@" || ch == "#") && (next?.isLetter ?? false) {
                add(.attribute, scan(c, from: i + 1) { $0.isLetter || $0.isNumber || $0 == "_" })
            } else {
                add(nil, i + 1)
            }
        }
        return out
    }

    /// The highlighted HTML of `code`: one `<span class="line">` per line, "\n" between them.
    public static func html(_ code: String) -> String {
        var lines = [""]
        for token in tokens(code) {
            let pieces = token.text.split(separator: "\n", omittingEmptySubsequences: false)
            for (p, piece) in pieces.enumerated() {
                if p > 0 { lines.append("") }
                guard !piece.isEmpty else { continue }
                let text = Book.escape(String(piece))
                lines[lines.count - 1] += token.kind.map { "<span class=\"hl-\($0.rawValue)\">\(text)</span>" } ?? text
            }
        }
        return lines.map { "<span class=\"line\">\($0)</span>" }.joined(separator: "\n")
    }

    /// The first index from `start` on whose character fails `keep`.
    static func scan(_ c: [Character], from start: Int, while keep: (Character) -> Bool) -> Int {
        var j = start
        while j < c.count && keep(c[j]) { j += 1 }
        return j
    }

    /// The index after the (nested) block comment that opens at `start`.
    static func blockCommentEnd(_ c: [Character], _ start: Int) -> Int {
        var depth = 0
        var j = start
        while j < c.count {
            if c[j] == "/" && j + 1 < c.count && c[j + 1] == "*" {
                depth += 1
                j += 2
            } else if c[j] == "*" && j + 1 < c.count && c[j + 1] == "/" {
                depth -= 1
                j += 2
                if depth == 0 { return j }
            } else {
                j += 1
            }
        }
        return c.count
    }

    /// Whether the `#`s at `start` open a raw string (`#"…"#`).
    static func rawStringStart(_ c: [Character], _ start: Int) -> Bool {
        let hashes = scan(c, from: start) { $0 == "#" }
        return hashes < c.count && c[hashes] == "\""
    }

    /// The index after the string literal that opens at `start`: `"…"`, `"""…"""` or raw `#"…"#`, escapes and
    /// interpolations (with nested literals) included.
    static func stringEnd(_ c: [Character], _ start: Int) -> Int {
        let hashes = scan(c, from: start) { $0 == "#" } - start
        var j = start + hashes
        let multiline = j + 2 < c.count && c[j + 1] == "\"" && c[j + 2] == "\""
        let quotes = multiline ? 3 : 1
        j += quotes
        while j < c.count {
            if c[j] == "\\" && scan(c, from: j + 1, while: { $0 == "#" }) - (j + 1) == hashes {
                let after = j + 1 + hashes
                if after < c.count && c[after] == "(" {
                    j = interpolationEnd(c, after)
                } else {
                    j = after + 1
                }
            } else if c[j] == "\"" && (0..<quotes).allSatisfy({ j + $0 < c.count && c[j + $0] == "\"" })
                && (0..<hashes).allSatisfy({ j + quotes + $0 < c.count && c[j + quotes + $0] == "#" })
            {
                return j + quotes + hashes
            } else if c[j] == "\n" && !multiline {
                return j
            } else {
                j += 1
            }
        }
        return c.count
    }

    /// The index after the `)` that closes the interpolation whose `(` is at `open`.
    static func interpolationEnd(_ c: [Character], _ open: Int) -> Int {
        var depth = 0
        var j = open
        while j < c.count {
            switch c[j] {
            case "(":
                depth += 1
                j += 1
            case ")":
                depth -= 1
                j += 1
                if depth == 0 { return j }
            case "\"":
                j = stringEnd(c, j)
            default:
                j += 1
            }
        }
        return c.count
    }

    /// The index after the number literal at `start` (`12`, `1_000`, `0.5`, `1e-9`, `0x1F`; `1...3` is three tokens).
    static func numberEnd(_ c: [Character], _ start: Int) -> Int {
        var j = scan(c, from: start) { $0.isHexDigit || $0 == "_" || $0 == "x" || $0 == "o" || $0 == "b" }
        if j + 1 < c.count && c[j] == "." && c[j + 1].isNumber {
            j = scan(c, from: j + 1) { $0.isNumber || $0 == "_" || $0 == "e" || $0 == "E" }
        }
        if j < c.count && (c[j] == "-" || c[j] == "+") && j > start && (c[j - 1] == "e" || c[j - 1] == "E") {
            j = scan(c, from: j + 1) { $0.isNumber }
        }
        return j
    }
}
