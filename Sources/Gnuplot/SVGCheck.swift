// A small well-formedness check for the SVG files gnuplot writes: enough XML to tell a complete file from one a
// full disk cut short, without linking an XML library.

enum SVGCheck {
    /// `nil` when `data` is a well-formed XML document whose root element is `svg`; otherwise what is wrong.
    ///
    /// Checks: UTF-8; declarations (`<?…?>`), comments, CDATA and `<!DOCTYPE …>` closed; every start tag closed
    /// by the matching end tag in order; attribute values quoted; exactly one root, named `svg`; only whitespace
    /// after it. Linear in the size of the file.
    static func problem(in data: some Collection<UInt8>) -> String? {
        let bytes = Array(data)
        guard String(validating: bytes, as: UTF8.self) != nil else { return "not UTF-8 text" }
        var scanner = XMLScanner(bytes)
        return scanner.run()
    }
}

/// One pass over an XML document: the position, the open elements and whether the root was seen.
private struct XMLScanner {
    let b: [UInt8]
    var i = 0
    var stack = [String]()
    var rootSeen = false

    init(_ bytes: [UInt8]) { b = bytes }

    /// Scans to the end; the first problem found, or `nil`.
    mutating func run() -> String? {
        while i < b.count {
            let problem: String?
            if b[i] != 0x3C {
                problem = text()
            } else if starts("<?") {
                problem = skip(to: "?>", from: i + 2, what: "<? … ?>")
            } else if starts("<!--") {
                problem = skip(to: "-->", from: i + 4, what: "comment")
            } else if starts("<![CDATA[") {
                problem = stack.isEmpty ? "CDATA outside the root element" : skip(to: "]]>", from: i + 9, what: "CDATA")
            } else if starts("<!") {
                problem = declaration()
            } else if starts("</") {
                problem = endTag()
            } else {
                problem = startTag()
            }
            if let problem { return problem }
        }
        guard rootSeen else { return "no <svg> element" }
        if let open = stack.last { return "the file ends inside <\(open)> (\(b.count) bytes; a full disk?)" }
        return nil
    }

    private func starts(_ prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        return i + p.count <= b.count && Array(b[i..<(i + p.count)]) == p
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// Whether `c` may be part of an element name (anything but space, `/`, `>` and `=`).
    private static func isNameByte(_ c: UInt8) -> Bool { !(isSpace(c) || c == 0x2F || c == 0x3E || c == 0x3D) }

    /// The first offset at or after `start` where `needle` occurs.
    private func find(_ needle: String, from start: Int) -> Int? {
        let n = Array(needle.utf8)
        var j = start
        while j + n.count <= b.count {
            if b[j] == n[0] && Array(b[j..<(j + n.count)]) == n { return j }
            j += 1
        }
        return nil
    }

    /// One byte of character data: only whitespace is allowed outside the root.
    private mutating func text() -> String? {
        if stack.isEmpty && !Self.isSpace(b[i]) { return "text outside the root element at byte \(i)" }
        i += 1
        return nil
    }

    /// Moves past the next `end` (of a construct that started at `i`).
    private mutating func skip(to end: String, from start: Int, what: String) -> String? {
        guard let found = find(end, from: start) else { return "unterminated \(what) at byte \(i)" }
        i = found + end.utf8.count
        return nil
    }

    /// `<!DOCTYPE …>` and the like, with an internal subset in brackets.
    private mutating func declaration() -> String? {
        var j = i + 2
        var depth = 0
        while j < b.count && !(b[j] == 0x3E && depth == 0) {
            if b[j] == 0x5B { depth += 1 } else if b[j] == 0x5D { depth -= 1 }
            j += 1
        }
        guard j < b.count else { return "unterminated <! … > at byte \(i)" }
        i = j + 1
        return nil
    }

    /// `</name>`, which must close the innermost open element.
    private mutating func endTag() -> String? {
        var j = i + 2
        while j < b.count && Self.isNameByte(b[j]) { j += 1 }
        let name = String(decoding: b[(i + 2)..<j], as: UTF8.self)
        while j < b.count && b[j] != 0x3E { j += 1 }
        guard j < b.count else { return "unterminated end tag </\(name) at byte \(i)" }
        guard stack.last == name else {
            return "end tag </\(name)> does not close <\(stack.last ?? "nothing")> at byte \(i)"
        }
        stack.removeLast()
        i = j + 1
        return nil
    }

    /// `<name attributes>` or `<name attributes/>`, with quoted attribute values; the first is the root.
    private mutating func startTag() -> String? {
        var j = i + 1
        while j < b.count && Self.isNameByte(b[j]) { j += 1 }
        let name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
        guard !name.isEmpty else { return "a '<' that starts no tag at byte \(i)" }
        var quote: UInt8? = nil
        while j < b.count {
            let c = b[j]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == 0x22 || c == 0x27 {
                quote = c
            } else if c == 0x3E {
                break
            }
            j += 1
        }
        guard j < b.count else { return "unterminated start tag <\(name) at byte \(i)" }
        if stack.isEmpty {
            guard !rootSeen else { return "a second root element <\(name)> at byte \(i)" }
            guard name == "svg" else { return "the root element is <\(name)>, not <svg>" }
            rootSeen = true
        }
        if b[j - 1] != 0x2F { stack.append(name) }
        i = j + 1
        return nil
    }
}
