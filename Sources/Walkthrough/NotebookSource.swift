import Foundation

/// A chapter's `main.swift` read as a notebook: the one parser behind the book, the generated README and the
/// notebook tests. The conventions (`docs/notebook-chapters.md` is the guide):
///
/// - **Markup** is Swift playground markup at the start of a line: `//: text` lines and `/*: … */` blocks (nested
///   `/* */` counted as the compiler counts them). Its text is Markdown with `$…$` and `$$…$$` maths.
/// - **Set-up**: markup before the first code is the chapter's introduction; the code up to the first cell (imports,
///   `let chapter = Chapter(…)`, generators) is the set-up cell.
/// - **Cells**: a markup block, then code whose first statement is `chapter.cell("Title")` (or
///   `chapter.appendix("Title")` for an appendix cell), alone on its line with a plain string literal. The cell's
///   code runs to the next markup block or cell call. A cell may have no markup; markup must be followed by a cell.
/// - **Closing** markup after the last code line holds `## Takeaways` (a list of 3–5 items), `## Try this` (items of
///   `Run:`, the question, `Answer:`, `Expect:` lines) and `## Appendix: Title` parts, in any order.
///
/// What breaks these rules is listed in `problems` (with line numbers), never trapped on.
public struct NotebookSource: Sendable {
    /// One cell as the source has it.
    public struct Cell: Sendable, Equatable {
        public var kind: CellKind
        public var title: String
        /// Unique within the chapter; the same as the run's `CellRecord.id` (`NotebookSource.uniqueSlug`).
        public var id: String
        /// The cell's markup as Markdown ("" when it has none).
        public var prose: String
        /// The code shown: the source lines verbatim from the first to the last non-blank one, joined by "\n".
        public var code: String
        /// The 1-based line of `code`'s first line; for a cell or appendix cell, the line of its call.
        public var codeLine: Int
        /// The heading the book, the README and the terminal give it: "§N Title" for the N-th cell, "Appendix AN ·
        /// Title" for the N-th appendix cell, nil for the set-up.
        public var heading: String?

        /// The number of lines of `code`.
        public var codeLineCount: Int {
            code.isEmpty ? 0 : code.split(separator: "\n", omittingEmptySubsequences: false).count
        }
    }

    /// One experiment of the "Try this" part: a command, its question, its answer, and what its output must
    /// contain for the answer to hold (each a literal substring, or `/a regular expression/`).
    public struct TryThis: Sendable, Equatable {
        /// The command as written, e.g. "swift run -c release ch01 --trials 2000".
        public var command: String
        public var question: String
        public var answer: String
        public var expectations: [String]
        /// The executable the command runs ("ch01") and its arguments.
        public var executable: String { words.count > 4 ? words[4] : "" }
        public var arguments: [String] { Array(words.dropFirst(5)) }
        private var words: [String] { command.split(separator: " ").map(String.init) }

        /// Whether the output of a run holds `expectation`: a `/regular expression/` (NSRegularExpression syntax) that
        /// matches somewhere in it, or else a literal substring of it. False for a regular expression that does not
        /// compile.
        public static func expectation(_ expectation: String, holdsIn output: String) -> Bool {
            guard expectation.count > 2, expectation.hasPrefix("/"), expectation.hasSuffix("/") else {
                return output.contains(expectation)
            }
            let pattern = String(expectation.dropFirst().dropLast())
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
            return regex.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)) != nil
        }
    }

    /// A part of the closing markup (an appendix written as prose).
    public struct Part: Sendable, Equatable {
        public var title: String
        public var markdown: String
    }

    /// The file as read.
    public let text: String
    /// The set-up cell first, then the cells and appendix cells in source order.
    public private(set) var cells: [Cell] = []
    /// The Markdown of "## Takeaways" (without the heading), nil when there is none.
    public private(set) var takeaways: String?
    public private(set) var tryThis: [TryThis] = []
    public private(set) var appendices: [Part] = []
    /// Every departure from the conventions, each with its line number.
    public private(set) var problems: [String] = []

    /// Whether the file is written as cells (it has at least one `chapter.cell`).
    public var isNotebook: Bool { cells.contains { $0.kind == .cell } }

    /// The items of the takeaways list (lines starting with "- ", "* " or "N. ").
    public var takeawayItems: [String] {
        (takeaways ?? "").split(separator: "\n").compactMap { line -> String? in
            guard let marker = Self.listMarker(line) else { return nil }
            return String(line.dropFirst(marker)).trimmingCharacters(in: .whitespaces)
        }
    }

    public init(_ text: String) {
        self.text = text
        let lines = Self.lines(text)
        var blocks = [Block]()
        scan(lines, into: &blocks)
        build(lines, blocks)
    }

    // MARK: - Lines and blocks

    /// The file's lines without their "\n" (a final newline does not start a line).
    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") { lines.removeLast() }
        return lines
    }

    /// A run of lines, 0-based `start..<end`: markup (with its Markdown) or code.
    struct Block {
        var start: Int
        var end: Int
        var markdown: String?
        var isMarkup: Bool { markdown != nil }
    }

    /// Which lines of `text` are markup (the playground comments the book shows as prose, not as code).
    public static func markupLines(_ text: String) -> [Bool] {
        let lines = lines(text)
        var blocks = [Block]()
        var scratch = NotebookSource("")
        scratch.scan(lines, into: &blocks)
        var mask = [Bool](repeating: false, count: lines.count)
        for block in blocks where block.isMarkup { for i in block.start..<block.end { mask[i] = true } }
        return mask
    }

    /// Splits the lines into markup and code blocks; markup separated only by blank lines is one block.
    private mutating func scan(_ lines: [String], into blocks: inout [Block]) {
        var i = 0
        while i < lines.count {
            var block: Block
            if lines[i].hasPrefix("//:") {
                var content = [String]()
                var j = i
                while j < lines.count && lines[j].hasPrefix("//:") {
                    let rest = lines[j].dropFirst(3)
                    content.append(String(rest.hasPrefix(" ") ? rest.dropFirst() : rest))
                    j += 1
                }
                block = Block(start: i, end: j, markdown: content.joined(separator: "\n"))
            } else if lines[i].hasPrefix("/*:") {
                block = blockMarkup(lines, from: i)
            } else {
                var j = i
                while j < lines.count && !lines[j].hasPrefix("//:") && !lines[j].hasPrefix("/*:") { j += 1 }
                block = Block(start: i, end: j, markdown: nil)
            }
            i = block.end
            // Markup after markup with only blank lines between: one block (a blank line ends a paragraph).
            if block.isMarkup, blocks.count >= 2, blocks[blocks.count - 2].isMarkup, let gap = blocks.last,
                !gap.isMarkup, (gap.start..<gap.end).allSatisfy({ Self.isBlank(lines[$0]) })
            {
                blocks.removeLast()
                let blank = String(repeating: "\n", count: gap.end - gap.start + 1)
                blocks[blocks.count - 1].markdown! += blank + block.markdown!
                blocks[blocks.count - 1].end = block.end
            } else if block.isMarkup, let last = blocks.last, last.isMarkup {
                blocks[blocks.count - 1].markdown! += "\n" + block.markdown!
                blocks[blocks.count - 1].end = block.end
            } else {
                blocks.append(block)
            }
        }
    }

    /// A `/*: … */` block from line `start`: its Markdown is the text between the markers, dedented.
    private mutating func blockMarkup(_ lines: [String], from start: Int) -> Block {
        var depth = 1
        var content = [String]()
        var j = start
        var rest = Substring(lines[start].dropFirst(3))
        while true {
            var text = ""
            var index = rest.startIndex
            var closedAt: Substring.Index?
            while index < rest.endIndex {
                let next = rest.index(after: index)
                if rest[index] == "/" && next < rest.endIndex && rest[next] == "*" {
                    depth += 1
                } else if rest[index] == "*" && next < rest.endIndex && rest[next] == "/" {
                    depth -= 1
                    if depth == 0 {
                        closedAt = index
                        break
                    }
                }
                index = next
            }
            if let closedAt {
                text = String(rest[..<closedAt])
                let after = rest[rest.index(closedAt, offsetBy: 2)...]
                if !Self.isBlank(after) {
                    problems.append("line \(j + 1): text after the */ that closes the markup block")
                }
                if !Self.isBlank(text) { content.append(text) }
                break
            }
            content.append(String(rest))
            j += 1
            guard j < lines.count else {
                problems.append("line \(start + 1): the /*: markup block is never closed")
                j = lines.count - 1
                break
            }
            rest = Substring(lines[j])
        }
        if let first = content.first, first.hasPrefix(" ") { content[0] = String(first.dropFirst()) }
        return Block(start: start, end: j + 1, markdown: Self.dedent(content, keepingFirst: true))
    }

    /// Removes the common indentation of the non-blank lines (the first line, which follows `/*:`, aside).
    static func dedent(_ lines: [String], keepingFirst: Bool) -> String {
        let body = keepingFirst ? Array(lines.dropFirst()) : lines
        let indent =
            body.filter { !isBlank($0) }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        let dedented = body.map { isBlank($0) ? "" : String($0.dropFirst(indent)) }
        return ((keepingFirst ? Array(lines.prefix(1)) : []) + dedented).joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }

    static func isBlank<S: StringProtocol>(_ line: S) -> Bool { line.allSatisfy { $0 == " " || $0 == "\t" } }

    // MARK: - Cells

    /// The kind and title of a line that starts a cell, nil for any other line; a malformed call is a problem.
    private mutating func cellCall(_ line: String, at index: Int) -> (CellKind, String)? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let kind: CellKind
        let rest: Substring
        if trimmed.hasPrefix("chapter.cell(") {
            kind = .cell
            rest = trimmed.dropFirst("chapter.cell(".count)
        } else if trimmed.hasPrefix("chapter.appendix(") {
            kind = .appendix
            rest = trimmed.dropFirst("chapter.appendix(".count)
        } else {
            return nil
        }
        guard let title = Self.stringLiteral(rest), rest.hasSuffix("\")") else {
            problems.append(
                "line \(index + 1): a cell call needs a plain string literal alone on its line: chapter.cell(\"Title\")"
            )
            return (kind, "Untitled")
        }
        return (kind, title)
    }

    /// The value of the plain string literal that starts `text` (`"…"` with `\"` and `\\` escapes, no
    /// interpolation), or nil.
    static func stringLiteral(_ text: Substring) -> String? {
        guard text.first == "\"" else { return nil }
        var value = ""
        var escaped = false
        for ch in text.dropFirst() {
            if escaped {
                guard ch == "\"" || ch == "\\" else { return nil }
                value.append(ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "\"" {
                return value
            } else {
                value.append(ch)
            }
        }
        return nil
    }

    /// The code of lines `range` without blank lines at either end, and the 1-based line it starts on.
    private static func trimmedCode(_ lines: [String], _ range: Range<Int>) -> (String, Int) {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end && isBlank(lines[start]) { start += 1 }
        while end > start && isBlank(lines[end - 1]) { end -= 1 }
        return (lines[start..<end].joined(separator: "\n"), start + 1)
    }

    private mutating func build(_ lines: [String], _ blocks: [Block]) {
        let lastCode = blocks.lastIndex { block in
            !block.isMarkup && (block.start..<block.end).contains { !Self.isBlank(lines[$0]) }
        }
        var ids: Set<String> = ["set-up"]
        var setUp = Cell(kind: .setUp, title: "Set-up", id: "set-up", prose: "", code: "", codeLine: 1, heading: nil)
        var setUpCode = [Range<Int>]()
        var pending: Block?
        var seenCode = false
        for (b, block) in blocks.enumerated() where b <= (lastCode ?? -1) {
            if let markdown = block.markdown {
                if seenCode {
                    pending = block
                } else {
                    setUp.prose += (setUp.prose.isEmpty ? "" : "\n\n") + markdown
                }
                continue
            }
            var start = block.start
            for i in block.start..<block.end {
                guard let (kind, title) = cellCall(lines[i], at: i) else { continue }
                closeSegment(lines, start..<i, pending: &pending, setUpCode: &setUpCode)
                let opening = (block.start..<i).allSatisfy { Self.isBlank(lines[$0]) }
                let prose = opening ? pending?.markdown ?? "" : ""
                if opening { pending = nil }
                let id = Self.uniqueSlug(title, taken: &ids)
                cells.append(
                    Cell(kind: kind, title: title, id: id, prose: prose, code: "", codeLine: i + 1, heading: nil))
                start = i
            }
            closeSegment(lines, start..<block.end, pending: &pending, setUpCode: &setUpCode)
            seenCode = seenCode || (block.start..<block.end).contains { !Self.isBlank(lines[$0]) }
        }
        if let first = setUpCode.first, let last = setUpCode.last {
            (setUp.code, setUp.codeLine) = Self.trimmedCode(lines, first.lowerBound..<last.upperBound)
        }
        cells.insert(setUp, at: 0)
        var number = (cells: 0, appendices: 0)
        for i in cells.indices where cells[i].kind != .setUp {
            if cells[i].kind == .appendix {
                number.appendices += 1
                cells[i].heading = "Appendix A\(number.appendices) · \(cells[i].title)"
            } else {
                number.cells += 1
                cells[i].heading = "§\(number.cells) \(cells[i].title)"
            }
        }
        for (i, cell) in cells.enumerated()
        where cell.kind == .cell && i > 0
            && cells[..<i].contains(where: {
                $0.kind == .appendix
            })
        {
            problems.append("line \(cell.codeLine): cell \"\(cell.title)\" comes after an appendix cell")
        }
        if isNotebook {
            for (i, line) in lines.enumerated()
            where line.trimmingCharacters(in: .whitespaces).hasPrefix("chapter.section(") {
                problems.append("line \(i + 1): chapter.section in a notebook; start a cell with chapter.cell")
            }
        }
        let closing = blocks.enumerated().filter { $0.offset > (lastCode ?? -1) }.compactMap { $0.element.markdown }
        parseClosing(closing.joined(separator: "\n\n"), firstLine: (lastCode.map { blocks[$0].end } ?? 0) + 1)
    }

    /// Gives the code lines `range` to the cell they belong to: the last cell, or the set-up before any cell.
    private mutating func closeSegment(
        _ lines: [String], _ range: Range<Int>, pending: inout Block?, setUpCode: inout [Range<Int>]
    ) {
        guard range.contains(where: { !Self.isBlank(lines[$0]) }) else { return }
        if let block = pending {
            problems.append(
                "line \(block.start + 1): markup must be followed by chapter.cell(\"…\") (prose inside a cell's "
                    + "code is not shown as prose)")
            pending = nil
        }
        guard !cells.isEmpty else {
            setUpCode.append(range)
            return
        }
        let (code, line) = Self.trimmedCode(lines, cells[cells.count - 1].codeLine - 1..<range.upperBound)
        guard line == cells[cells.count - 1].codeLine else { return }
        cells[cells.count - 1].code = code
    }

    // MARK: - Closing markup

    /// Splits the closing markup into its `## ` parts.
    private mutating func parseClosing(_ markdown: String, firstLine: Int) {
        var parts = [(title: String, body: [String])]()
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") || line.hasPrefix("~~~") { inFence.toggle() }
            if !inFence && line.hasPrefix("## ") {
                parts.append((String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), []))
            } else if parts.isEmpty {
                if !Self.isBlank(line) {
                    problems.append("line \(firstLine) on: closing markup must start with a ## heading")
                }
            } else {
                parts[parts.count - 1].body.append(String(line))
            }
        }
        for part in parts {
            let body = part.body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if part.title == "Takeaways" {
                takeaways = body
            } else if part.title == "Try this" {
                parseTryThis(part.body)
            } else if part.title.hasPrefix("Appendix: ") {
                appendices.append(Part(title: String(part.title.dropFirst("Appendix: ".count)), markdown: body))
            } else {
                problems.append(
                    "closing part \"\(part.title)\": the closing markup holds ## Takeaways, ## Try this and "
                        + "## Appendix: Title only")
            }
        }
    }

    /// Reads the items of "## Try this": `Run: command`, question lines, `Answer: …` lines, `Expect: …` lines.
    private mutating func parseTryThis(_ body: [String]) {
        var answering = false
        for line in body {
            if line.hasPrefix("Run:") {
                let command = line.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: " `"))
                tryThis.append(TryThis(command: command, question: "", answer: "", expectations: []))
                answering = false
                if !command.hasPrefix("swift run -c release ch") {
                    problems.append("Try this: \"\(command)\" does not start with swift run -c release chNN")
                }
            } else if tryThis.isEmpty {
                if !Self.isBlank(line) { problems.append("Try this: text before the first Run: line") }
            } else if line.hasPrefix("Answer:") {
                answering = true
                tryThis[tryThis.count - 1].answer = line.dropFirst(7).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("Expect:") {
                tryThis[tryThis.count - 1].expectations.append(line.dropFirst(7).trimmingCharacters(in: .whitespaces))
            } else if answering {
                tryThis[tryThis.count - 1].answer += "\n" + line
            } else {
                tryThis[tryThis.count - 1].question += (tryThis[tryThis.count - 1].question.isEmpty ? "" : "\n") + line
            }
        }
        for i in tryThis.indices {
            tryThis[i].question = tryThis[i].question.trimmingCharacters(in: .whitespacesAndNewlines)
            tryThis[i].answer = tryThis[i].answer.trimmingCharacters(in: .whitespacesAndNewlines)
            let item = tryThis[i]
            if item.question.isEmpty || item.answer.isEmpty || item.expectations.isEmpty {
                problems.append("Try this: \"\(item.command)\" needs a question, an Answer: and at least one Expect:")
            }
        }
    }

    // MARK: - Words and ids

    /// The number of characters of a list marker that starts `line` ("- ", "* ", "12. "), nil if none.
    static func listMarker<S: StringProtocol>(_ line: S) -> Int? {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return 2 }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") else { return nil }
        return digits.count + 2
    }

    /// The words of a Markdown text as a reader counts them: every `$…$` or `$$…$$` formula is one word, and a word
    /// is a run of non-space characters with a letter or digit in it (so Markdown markers alone do not count).
    public static func wordCount(_ markdown: String) -> Int {
        let (text, _) = MathText.protect(markdown)
        return text.split(whereSeparator: { $0.isWhitespace }).filter { word in
            word.contains { $0.isLetter || $0.isNumber }
        }.count
    }

    /// A cell's anchor: the title in lower case, runs of other characters than letters and digits as one "-"
    /// ("Ties: the stable rule" → "ties-the-stable-rule"); "cell" when nothing is left.
    public static func slug(_ title: String) -> String {
        var out = ""
        var gap = false
        for ch in title.lowercased() {
            if ch.isLetter || ch.isNumber {
                if gap && !out.isEmpty { out += "-" }
                gap = false
                out.append(ch)
            } else {
                gap = true
            }
        }
        return out.isEmpty ? "cell" : out
    }

    /// `slug(title)`, with "-2", "-3", … appended while it is in `taken`; the result is added to `taken`.
    public static func uniqueSlug(_ title: String, taken: inout Set<String>) -> String {
        let base = slug(title)
        var id = base
        var n = 2
        while taken.contains(id) {
            id = "\(base)-\(n)"
            n += 1
        }
        taken.insert(id)
        return id
    }
}
