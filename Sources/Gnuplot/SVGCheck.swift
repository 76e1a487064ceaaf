// A small well-formedness check for the SVG files gnuplot writes: enough XML to tell a complete file from one a
// full disk cut short, without linking an XML library.

enum SVGCheck {
    /// `nil` when `data` is a well-formed XML document whose root element is `svg`; otherwise what is wrong.
    ///
    /// Checks: UTF-8; declarations (`<?…?>`), comments, CDATA and `<!DOCTYPE …>` closed; every start tag closed
    /// by the matching end tag in order; attribute values quoted; exactly one root, named `svg`; only whitespace
    /// after it. Linear in the size of the file.
    static func problem(in data: some Collection<UInt8>) -> String? {
        let b = Array(data)
        guard String(validating: b, as: UTF8.self) != nil else { return "not UTF-8 text" }
        var i = 0
        var stack = [String]()
        var rootSeen = false
        func find(_ needle: String, from start: Int) -> Int? {
            let n = Array(needle.utf8)
            var j = start
            while j + n.count <= b.count {
                if b[j] == n[0] && Array(b[j..<(j + n.count)]) == n { return j }
                j += 1
            }
            return nil
        }
        func isNameByte(_ c: UInt8) -> Bool {
            !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x2F || c == 0x3E || c == 0x3D)
        }
        while i < b.count {
            guard b[i] == 0x3C else {  // text
                if stack.isEmpty && !(b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D) {
                    return "text outside the root element at byte \(i)"
                }
                i += 1
                continue
            }
            let rest = String(decoding: b[i..<min(b.count, i + 9)], as: UTF8.self)
            if rest.hasPrefix("<?") {
                guard let end = find("?>", from: i + 2) else { return "unterminated <? … ?> at byte \(i)" }
                i = end + 2
            } else if rest.hasPrefix("<!--") {
                guard let end = find("-->", from: i + 4) else { return "unterminated comment at byte \(i)" }
                i = end + 3
            } else if rest.hasPrefix("<![CDATA[") {
                guard !stack.isEmpty else { return "CDATA outside the root element" }
                guard let end = find("]]>", from: i + 9) else { return "unterminated CDATA at byte \(i)" }
                i = end + 3
            } else if rest.hasPrefix("<!") {
                var j = i + 2
                var depth = 0
                while j < b.count && !(b[j] == 0x3E && depth == 0) {
                    if b[j] == 0x5B { depth += 1 } else if b[j] == 0x5D { depth -= 1 }
                    j += 1
                }
                guard j < b.count else { return "unterminated <! … > at byte \(i)" }
                i = j + 1
            } else if rest.hasPrefix("</") {
                var j = i + 2
                while j < b.count && isNameByte(b[j]) { j += 1 }
                let name = String(decoding: b[(i + 2)..<j], as: UTF8.self)
                while j < b.count && b[j] != 0x3E { j += 1 }
                guard j < b.count else { return "unterminated end tag </\(name) at byte \(i)" }
                guard stack.last == name else {
                    return "end tag </\(name)> does not close <\(stack.last ?? "nothing")> at byte \(i)"
                }
                stack.removeLast()
                i = j + 1
            } else {
                var j = i + 1
                while j < b.count && isNameByte(b[j]) { j += 1 }
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
            }
        }
        guard rootSeen else { return "no <svg> element" }
        guard stack.isEmpty else { return "the file ends inside <\(stack.last!)> (\(b.count) bytes; a full disk?)" }
        return nil
    }
}
