import Foundation

/// Maths in the chapters' Markdown: `$…$` inline and `$$…$$` display formulas, in TeX for KaTeX.
///
/// Markdown and TeX disagree about `_`, `*` and `\`, so the formulas are taken out before the Markdown goes through
/// cmark-gfm and put back after, as `<span class="math">…</span>` (`class="math display"` for `$$`) holding the
/// TeX escaped for HTML; the book's script renders each span with KaTeX. Rules (pandoc's): an inline formula opens
/// at a `$` not followed by a space and closes at the next `$` not preceded by a space nor followed by a digit, within
/// one paragraph and before any backtick; `\$` is a dollar sign; nothing inside code spans or fenced code is maths.
public enum MathText {
    /// One formula: its TeX and whether it is a display formula.
    public struct Formula: Sendable, Equatable {
        public var tex: String
        public var display: Bool
    }

    /// The placeholder that stands for formula `index` while the Markdown goes through cmark: letters and digits
    /// only, so Markdown leaves it alone.
    static func placeholder(_ index: Int) -> String { "MATHPLACEHOLDER\(index)X" }

    /// `markdown` with every formula outside code replaced by its placeholder, and the formulas in order.
    public static func protect(_ markdown: String) -> (text: String, formulas: [Formula]) {
        let chars = Array(markdown)
        var out = ""
        var formulas = [Formula]()
        var i = 0
        var lineStart = true
        var inFence = false
        while i < chars.count {
            if lineStart, let end = fenceLineEnd(chars, i) {
                inFence.toggle()
                out += String(chars[i..<end])
                i = end
                continue
            }
            lineStart = chars[i] == "\n"
            if inFence {
                out.append(chars[i])
                i += 1
            } else if chars[i] == "`" {
                let end = codeSpanEnd(chars, i)
                out += String(chars[i..<end])
                i = end
            } else if chars[i] == "\\" && i + 1 < chars.count && chars[i + 1] == "$" {
                out += "\\$"
                i += 2
            } else if chars[i] == "$", let (formula, end) = formula(chars, i) {
                out += placeholder(formulas.count)
                formulas.append(formula)
                i = end
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return (out, formulas)
    }

    /// If a fence line (``` or ~~~ after up to 3 spaces) starts at `i`, the index after its newline.
    private static func fenceLineEnd(_ chars: [Character], _ i: Int) -> Int? {
        var j = i
        while j < chars.count && j - i < 3 && chars[j] == " " { j += 1 }
        guard j + 2 < chars.count, chars[j] == chars[j + 1], chars[j] == chars[j + 2],
            chars[j] == "`" || chars[j] == "~"
        else { return nil }
        while j < chars.count && chars[j] != "\n" { j += 1 }
        return min(j + 1, chars.count)
    }

    /// The index after the code span that opens at `i` (a run of n backticks closed by the next run of exactly n),
    /// or after the opening run when it is never closed.
    private static func codeSpanEnd(_ chars: [Character], _ i: Int) -> Int {
        var n = 0
        while i + n < chars.count && chars[i + n] == "`" { n += 1 }
        var j = i + n
        while j < chars.count {
            guard chars[j] == "`" else {
                j += 1
                continue
            }
            var m = 0
            while j + m < chars.count && chars[j + m] == "`" { m += 1 }
            if m == n { return j + m }
            j += m
        }
        return i + n
    }

    /// The formula that opens at `chars[i] == "$"` and the index after it, or nil when none opens there.
    private static func formula(_ chars: [Character], _ i: Int) -> (Formula, Int)? {
        let display = i + 1 < chars.count && chars[i + 1] == "$"
        let open = display ? 2 : 1
        guard i + open < chars.count, !chars[i + open].isWhitespace || display, chars[i + open] != "$" else {
            return nil
        }
        var j = i + open
        while j < chars.count {
            // A formula ends within its paragraph and never reaches into a code span.
            if chars[j] == "`" || (chars[j] == "\n" && j + 1 < chars.count && chars[j + 1] == "\n") { return nil }
            if chars[j] == "\\" {
                j += 2
                continue
            }
            if chars[j] == "$" {
                if display {
                    guard j + 1 < chars.count && chars[j + 1] == "$" else { return nil }
                    let tex = String(chars[(i + 2)..<j]).trimmingCharacters(in: .whitespacesAndNewlines)
                    return tex.isEmpty ? nil : (Formula(tex: tex, display: true), j + 2)
                }
                let closes = !chars[j - 1].isWhitespace && !(j + 1 < chars.count && chars[j + 1].isNumber)
                if closes { return (Formula(tex: String(chars[(i + 1)..<j]), display: false), j + 1) }
                return nil
            }
            j += 1
        }
        return nil
    }

    /// Markdown with each formula as plain text for the search index: TeX commands of Greek letters as the letters
    /// (`\\lambda` → λ), other commands and braces dropped (`\\operatorname{rk}(y)` → rk(y)).
    public static func plain(_ markdown: String) -> String {
        let (text, formulas) = protect(markdown)
        var out = text
        for (index, formula) in formulas.enumerated() {
            var tex = formula.tex
            for (command, letter) in greek { tex = tex.replacingOccurrences(of: "\\" + command, with: letter) }
            var plain = ""
            var chars = Substring(tex)
            while let ch = chars.first {
                chars = chars.dropFirst()
                if ch == "\\" {
                    chars = chars.drop { $0.isLetter }
                } else if ch != "{" && ch != "}" {
                    plain.append(ch)
                }
            }
            out = out.replacingOccurrences(of: placeholder(index), with: plain)
        }
        return out
    }

    static let greek: [(String, String)] = [
        ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ε"), ("lambda", "λ"),
        ("mu", "μ"), ("pi", "π"), ("Pi", "Π"), ("sigma", "σ"), ("tau", "τ"), ("theta", "θ"), ("xi", "ξ"),
    ]

    /// `html` with every placeholder replaced by its formula's `<span class="math">`.
    static func restore(_ html: String, _ formulas: [Formula]) -> String {
        guard !formulas.isEmpty else { return html }
        var out = html
        for (index, formula) in formulas.enumerated() {
            let span =
                "<span class=\"math\(formula.display ? " display" : "")\">\(Book.escape(formula.tex))</span>"
            out = out.replacingOccurrences(of: placeholder(index), with: span)
        }
        return out
    }
}

extension Book {
    /// Markdown with maths → HTML: the formulas are kept out of cmark-gfm and come back as `<span class="math">`
    /// (see `MathText`).
    public static func proseHTML(_ markdown: String) -> String {
        let (text, formulas) = MathText.protect(markdown)
        return MathText.restore(markdownToHTML(text), formulas)
    }
}
