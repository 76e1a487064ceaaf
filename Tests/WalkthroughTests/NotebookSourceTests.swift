import Foundation
import Testing

@testable import Walkthrough

/// The parser of a chapter's main.swift (playground markup → cells), on hand-written sources.
@Suite struct NotebookSourceTests {
    static let sample = """
        /*:
         The introduction, with $\\operatorname{rk}(y)$.

           An indented line stays indented relative to the block.
         */
        import Walkthrough

        let chapter = Chapter("ch99", title: "t")

        //: The first cell's prose,
        //: on two lines.
        chapter.cell("First: a cell")
        let x = 1

        /*: Prose that starts on the opening line
         and goes on. /* a nested comment */ still prose.
         */

        chapter.cell("Second \\"quoted\\"")
        chapter.say("\\(x)")
        chapter.cell("First: a cell")
        let y = 2
        //: An appendix cell.
        chapter.appendix("Flags")
        chapter.finish()

        /*:
         ## Takeaways

         - one
         - two
         - three

         ## Try this

         Run: swift run -c release ch99 --n 3
         What happens with three?
         It grows.
         Answer: It grows, see the table.
         The second answer line.
         Expect: ✓ grows
         Expect: /n = [0-9]+/

         ## Appendix: Units
         λ in paper units.
         */

        """

    @Test func cellsCarryTheirTitleProseCodeAndFirstLine() {
        let source = NotebookSource(Self.sample)
        #expect(source.problems.isEmpty, "\(source.problems)")
        #expect(source.isNotebook)
        #expect(source.cells.map(\.kind) == [.setUp, .cell, .cell, .cell, .appendix])
        #expect(
            source.cells.map(\.id) == ["set-up", "first-a-cell", "second-quoted", "first-a-cell-2", "flags"])
        #expect(source.cells[2].title == "Second \"quoted\"")
        let setUp = source.cells[0]
        #expect(
            setUp.prose == "The introduction, with $\\operatorname{rk}(y)$.\n\n  An indented line stays indented "
                + "relative to the block.")
        #expect(setUp.code == "import Walkthrough\n\nlet chapter = Chapter(\"ch99\", title: \"t\")")
        #expect(setUp.codeLine == 6)
        #expect(source.cells[1].prose == "The first cell's prose,\non two lines.")
        #expect(source.cells[1].code == "chapter.cell(\"First: a cell\")\nlet x = 1")
        #expect(source.cells[1].codeLine == 12)
        #expect(
            source.cells[2].prose
                == "Prose that starts on the opening line\nand goes on. /* a nested comment */ still prose.")
        #expect(source.cells[2].codeLine == 19)
        #expect(source.cells[2].code == "chapter.cell(\"Second \\\"quoted\\\"\")\nchapter.say(\"\\(x)\")")
        #expect(source.cells[3].prose.isEmpty && source.cells[3].codeLine == 21)
        #expect(source.cells[4].prose == "An appendix cell." && source.cells[4].codeLineCount == 2)
    }

    @Test func closingMarkupHoldsTakeawaysTryThisAndAppendices() {
        let source = NotebookSource(Self.sample)
        #expect(source.takeawayItems == ["one", "two", "three"])
        #expect(source.tryThis.count == 1)
        let item = source.tryThis[0]
        #expect(item.command == "swift run -c release ch99 --n 3")
        #expect(item.executable == "ch99" && item.arguments == ["--n", "3"])
        #expect(item.question == "What happens with three?\nIt grows.")
        #expect(item.answer == "It grows, see the table.\nThe second answer line.")
        #expect(item.expectations == ["✓ grows", "/n = [0-9]+/"])
        #expect(source.appendices == [NotebookSource.Part(title: "Units", markdown: "λ in paper units.")])
    }

    @Test func theMarkupMaskMarksExactlyTheMarkupLines() {
        let mask = NotebookSource.markupLines(Self.sample)
        let lines = NotebookSource.lines(Self.sample)
        #expect(mask.count == lines.count)
        let markup = lines.indices.filter { mask[$0] }.map { lines[$0] }
        #expect(markup.first == "/*:" && markup.contains("//: on two lines.") && markup.last == " */")
        #expect(!markup.contains { $0.hasPrefix("chapter.") || $0.hasPrefix("import") })
        #expect(markup.count == 5 + 2 + 3 + 1 + 20)
    }

    @Test func breakingTheConventionsIsReportedWithLineNumbers() {
        let source = NotebookSource(
            """
            let chapter = Chapter("ch99", title: "t")
            //: Prose followed by code that is not a cell.
            let x = 1
            chapter.cell("Fine")
            chapter.cell(title)
            chapter.section("old style")
            chapter.appendix("A")
            chapter.cell("After the appendix")
            /*: never closed

            """)
        #expect(source.problems.contains { $0.hasPrefix("line 2: markup must be followed by chapter.cell") })
        #expect(source.problems.contains { $0.hasPrefix("line 5: a cell call needs a plain string literal") })
        #expect(source.problems.contains { $0.hasPrefix("line 6: chapter.section in a notebook") })
        #expect(source.problems.contains { $0.contains("\"After the appendix\" comes after an appendix cell") })
        #expect(source.problems.contains { $0.hasPrefix("line 9: the /*: markup block is never closed") })
        let closing = NotebookSource("chapter.cell(\"A\")\n//: stray text\n//: ## Summary\n")
        #expect(closing.problems.contains { $0.contains("must start with a ## heading") })
        #expect(closing.problems.contains { $0.contains("closing part \"Summary\"") })
        let tryThis = NotebookSource("chapter.cell(\"A\")\n//: ## Try this\n//: Run: make test\n//: Why?\n")
        #expect(tryThis.problems.contains { $0.contains("does not start with swift run -c release chNN") })
        #expect(tryThis.problems.contains { $0.contains("needs a question, an Answer: and at least one Expect:") })
    }

    @Test func aScriptWithoutCellsIsNotANotebook() {
        let source = NotebookSource(
            "// Chapter 03\nlet chapter = Chapter(\"ch03\", title: \"t\")\nchapter.section(\"x\")\n")
        #expect(!source.isNotebook)
        #expect(source.cells.count == 1 && source.cells[0].kind == .setUp)
        #expect(source.problems.isEmpty)
    }

    @Test func slugsAreLowerCaseWordsJoinedByDashesAndUnique() {
        #expect(NotebookSource.slug("Ties: the stable rule") == "ties-the-stable-rule")
        #expect(NotebookSource.slug("λ and the interpolation f_λ") == "λ-and-the-interpolation-f-λ")
        #expect(NotebookSource.slug("  ?! ") == "cell")
        var taken: Set<String> = ["set-up"]
        let ids = ["A b", "a-b", "A B", "Set up"].map { NotebookSource.uniqueSlug($0, taken: &taken) }
        #expect(ids == ["a-b", "a-b-2", "a-b-3", "set-up-2"])
    }

    @Test func wordsCountFormulasAsOneWordAndMarkersAsNone() {
        #expect(NotebookSource.wordCount("One two, three.") == 3)
        #expect(NotebookSource.wordCount("The rank $\\operatorname{rk}(y)_i = 1 + \\#\\{j\\}$ is - here") == 5)
        #expect(NotebookSource.wordCount("## Heading\n\n- item *one*\n- `code span` —") == 5)
        #expect(NotebookSource.wordCount("$$\na + b\n$$") == 1)
    }
}

/// Maths in Markdown: found outside code, kept out of cmark, put back as spans.
@Suite struct MathTextTests {
    @Test func formulasAreFoundByPandocsRules() {
        let (text, formulas) = MathText.protect(
            "a $x_1$ and $$\\sum_i y_i$$, not $ 5 or 5$ nor $4$5, \\$ dollars, `$code$` and\n```\n$fenced$\n```\n")
        #expect(formulas.map(\.tex) == ["x_1", "\\sum_i y_i"])
        #expect(formulas[0] == MathText.Formula(tex: "x_1", display: false))
        #expect(formulas[1] == MathText.Formula(tex: "\\sum_i y_i", display: true))
        #expect(text.contains("`$code$`") && text.contains("$fenced$") && text.contains("not $ 5 or 5$"))
    }

    @Test func aFormulaDoesNotCrossAParagraphAndADollarBeforeADigitDoesNotClose() {
        let (_, across) = MathText.protect("costs $x\n\nand y$")
        #expect(across.isEmpty)
        let (_, digits) = MathText.protect("from $5 to $10")
        #expect(digits.isEmpty)
        let (_, escaped) = MathText.protect("\\$x$ is not a formula but $y$ is")
        #expect(escaped.map(\.tex) == ["y"])
    }

    @Test(.enabled(if: Book.cmark != nil, "cmark-gfm is not installed"))
    func underscoresInsideFormulasSurviveMarkdown() {
        let html = Book.proseHTML("A *b* $a_i b_j < c$ and\n\n$$x_{1} * y_{2}$$\n")
        #expect(html.contains("<em>b</em>"))
        #expect(html.contains("<span class=\"math\">a_i b_j &lt; c</span>"))
        #expect(html.contains("<span class=\"math display\">x_{1} * y_{2}</span>"))
        #expect(!html.contains("MATHPLACEHOLDER"))
    }

    @Test func plainTextForSearchDropsCommandsAndKeepsGreek() {
        #expect(MathText.plain("the $\\lambda_{\\text{code}}$ of $\\operatorname{rk}(y)$") == "the λ_code of rk(y)")
    }
}

/// The Swift highlighter: verbatim text, sensible classes.
@Suite struct SwiftHighlighterTests {
    static func strip(_ html: String) -> String { Book.plainText(html) }

    static let code = #"""
        /// Doc <b>comment</b> & more
        let s = "a \(x["k"] + "\"") b" // trailing
        let raw = #"no \(interpolation) "here""#
        let text = """
            two "lines" \(1 + 2)
            """
        /* block /* nested */ still */ @MainActor func f<T: Sendable>(_ v: T) -> Int { 0x1F + 1_000 + 2.5e-3 }
        for i in 0..<3 where i > 1 { #expect(i == 2) }
        """#

    @Test func theHighlightedHTMLHoldsTheCodeVerbatim() {
        let html = SwiftHighlighter.html(Self.code)
        #expect(Self.strip(html) == Self.code)
        #expect(
            html.split(separator: "\n").allSatisfy { $0.hasPrefix("<span class=\"line\">") && $0.hasSuffix("</span>") })
        #expect(SwiftHighlighter.tokens(Self.code).map(\.text).joined() == Self.code)
    }

    @Test func tokensGetTheirClasses() {
        let tokens = SwiftHighlighter.tokens(Self.code)
        func kind(of text: String) -> SwiftHighlighter.Kind?? { tokens.first { $0.text == text }.map(\.kind) }
        #expect(kind(of: "/// Doc <b>comment</b> & more") == .comment)
        #expect(kind(of: #""a \(x["k"] + "\"") b""#) == .string)
        #expect(kind(of: ##"#"no \(interpolation) "here""#"##) == .string)
        #expect(kind(of: "// trailing") == .comment)
        #expect(kind(of: "/* block /* nested */ still */") == .comment)
        #expect(kind(of: "@MainActor") == .attribute && kind(of: "#expect") == .attribute)
        #expect(kind(of: "let") == .keyword && kind(of: "func") == .keyword && kind(of: "where") == .keyword)
        #expect(kind(of: "Sendable") == .type && kind(of: "Int") == .type)
        #expect(kind(of: "0x1F") == .number && kind(of: "1_000") == .number && kind(of: "2.5e-3") == .number)
        #expect(kind(of: "0") == .number && kind(of: "3") == .number)  // 0..<3 is two numbers and an operator
        let closure = SwiftHighlighter.tokens("xs.map { $0 + $12 }")
        #expect(closure.allSatisfy { $0.kind == nil } && closure.map(\.text).joined() == "xs.map { $0 + $12 }")
        let multiline = tokens.first { $0.text.hasPrefix("\"\"\"") }
        #expect(multiline?.kind == .string && multiline?.text.hasSuffix("\"\"\"") == true)
    }

    @Test func aTokenAcrossLinesIsClosedAndReopenedOnEachLine() {
        let html = SwiftHighlighter.html("/* a\nb */ x")
        #expect(
            html
                == "<span class=\"line\"><span class=\"hl-c\">/* a</span></span>\n"
                + "<span class=\"line\"><span class=\"hl-c\">b */</span> x</span>")
    }
}

/// The glossary's links from prose.
@Suite struct GlossaryTests {
    @Test func theFirstUseOfEachTermIsLinkedOnce() {
        var linked = Set<String>()
        let html = Glossary.link(
            "<p>The <code>λ</code> λ_code and λ, then λ again; mAP not AP</p><h2>AP</h2><p>AP "
                + "<span class=\"math\">\\lambda_{\\text{code}}</span> <span class=\"math\">r_i</span></p>",
            linked: &linked)
        #expect(
            html
                == "<p>The <code>λ</code> <a class=\"term\" href=\"glossary.html#lambda-code\">λ_code</a> and "
                + "<a class=\"term\" href=\"glossary.html#lambda\">λ</a>, then λ again; "
                + "<a class=\"term\" href=\"glossary.html#map\">mAP</a> not "
                + "<a class=\"term\" href=\"glossary.html#ap\">AP</a></p><h2>AP</h2><p>AP "
                + "<span class=\"math\">\\lambda_{\\text{code}}</span> "
                + "<a class=\"term\" href=\"glossary.html#r-i\"><span class=\"math\">r_i</span></a></p>")
        #expect(linked == ["lambda-code", "lambda", "map", "ap", "r-i"])
    }

    @Test func texFormsMatchWholeCommandsOnly() {
        var linked = Set<String>()
        #expect(
            Glossary.link("<span class=\"math\">\\mathbf{r}_i + \\lambdax</span>", linked: &linked).hasPrefix("<span"))
        #expect(linked.isEmpty)
    }

    @Test func everyEntryHasAnIdADefinitionAndAForm() {
        let ids = Glossary.entries.map(\.id)
        #expect(Set(ids).count == ids.count)
        for entry in Glossary.entries {
            #expect(!entry.definition.isEmpty && !(entry.tex.isEmpty && entry.text.isEmpty), "\(entry.id)")
        }
        for term in [
            "lambda", "lambda-code", "alpha", "beta", "tau", "rk", "rk-plus", "w-dif", "l-apc", "recall-at-k",
            "map-at-r",
        ] {
            #expect(ids.contains(term), "\(term)")
        }
    }
}

/// The progress line: its text, its pace, and silence without a terminal.
@Suite struct ProgressTests {
    final class Recorder: @unchecked Sendable {
        var writes = [String]()
        var now: UInt64 = 0
        let lock = NSLock()
        func write(_ s: String) {
            lock.lock()
            writes.append(s)
            lock.unlock()
        }
    }

    @Test func theTextGivesDoneTotalPercentElapsedAndTimeLeft() {
        #expect(
            Progress.text(label: "training", done: 7, total: 15, unit: "runs", elapsed: 12.4)
                == "  training  7/15 runs  46 %  12 s elapsed, about 14 s left")
        #expect(
            Progress.text(label: "x", done: 0, total: 4, unit: "steps", elapsed: 0.2)
                == "  x  0/4 steps  0 %  0 s elapsed")
        #expect(
            Progress.text(label: "x", done: 5, total: 4, unit: "steps", elapsed: 75)
                == "  x  4/4 steps  100 %  1 min 15 s elapsed")
        #expect(Progress.duration(3725) == "1 h 02 min")
    }

    @Test func redrawsAreThrottledAndTheLineIsClearedAtTheEnd() {
        let recorder = Recorder()
        let line = ProgressLine(isTerminal: true) { recorder.write($0) }
        let progress = Progress(label: "p", total: 10, unit: "steps", line: line) { recorder.now }
        for step in 1...10 {
            recorder.now = UInt64(step) * 50_000_000  // every 0.05 s: one redraw in four, and the last
            progress.tick()
        }
        #expect(progress.completed == 10)
        #expect(recorder.writes.count == 4)
        #expect(recorder.writes.first == "\r  p  1/10 steps  10 %  0 s elapsed, about 0 s left\u{1B}[K")
        #expect(recorder.writes.last?.hasPrefix("\r  p  10/10 steps  100 %") == true)
        progress.finish()
        #expect(recorder.writes.last == "\r\u{1B}[K")
        progress.tick()
        #expect(recorder.writes.count == 5)
    }

    @Test func withoutATerminalNothingIsWritten() {
        let recorder = Recorder()
        let line = ProgressLine(isTerminal: false) { recorder.write($0) }
        let progress = Progress(label: "p", total: 3, unit: "runs", line: line) { 0 }
        for _ in 0..<3 { progress.tick() }
        progress.finish()
        line.clear()
        #expect(recorder.writes.isEmpty && progress.completed == 3)
    }
}
