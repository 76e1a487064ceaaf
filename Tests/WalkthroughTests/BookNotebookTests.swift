import Foundation
import Testing

@testable import Walkthrough

/// A notebook chapter's page, built from a hand-written source and the summary a run of it would leave.
@Suite struct BookNotebookTests {
    static let source = NotebookSource(
        """
        /*:
         Intro with $\\lambda$.
         */
        import Walkthrough
        let chapter = Chapter("ch01", title: "t")

        //: First prose: λ again, and mAP.
        chapter.cell("First")
        chapter.say("a < b")

        //: Second prose.
        chapter.cell("Second")
        chapter.plot(figure)
        chapter.appendix("Flags")
        chapter.finish()

        /*:
         ## Takeaways

         - one
         - two
         - three

         ## Try this

         Run: swift run -c release ch01 --trials 5
         Question?
         Answer: Yes, *clearly*.
         Expect: ✓ x

         ## Appendix: Units
         Text.
         */

        """)

    static func chapter(summary: Summary?) -> BookChapter {
        BookChapter(
            info: Catalog.chapters[0], status: summary == nil ? 1 : 0, seconds: 1, summary: summary, textHTML: "",
            narration: "", source: source)
    }

    static var summary: Summary {
        var s = Summary(chapter: "ch01", title: "t")
        s.cells = [
            CellRecord(id: "set-up", title: "Set-up", kind: .setUp, output: ["banner"]),
            CellRecord(
                id: "first", title: "First", kind: .cell, file: "ch01/main.swift", line: 8, output: ["", "a < b", ""]),
            CellRecord(
                id: "second", title: "Second", kind: .cell, file: "ch01/main.swift", line: 12, figures: ["rank-sweep"],
                seconds: 1.5),
            CellRecord(id: "flags", title: "Flags", kind: .appendix, file: "ch01/main.swift", line: 14, output: ["f"]),
        ]
        s.figures = ["rank-sweep", "stray"]
        s.captions = ["rank-sweep": "As one score moves past the others its rank jumps by whole steps."]
        s.claims = [ClaimRecord(paper: "Prop. 1 <holds>", found: "it does", verdict: .agrees, cell: "second")]
        s.checks = [CheckResult(name: "c", passed: true, detail: "")]
        return s
    }

    /// The text of the `<section … id="id">` of a page.
    static func section(_ page: String, id: String) -> String? {
        guard let start = page.range(of: "id=\"\(id)\">") else { return nil }
        let rest = page[start.upperBound...]
        return rest.range(of: "</section>").map { String(rest[..<$0.lowerBound]) }
    }

    @Test func cellsHoldProseCodeOutputAndFiguresInOrder() throws {
        #expect(Self.source.problems.isEmpty, "\(Self.source.problems)")
        let page = Book.chapterPage([Self.chapter(summary: Self.summary)], at: 0)
        #expect(page.contains("<body class=\"notebook\">"))
        let first = try #require(Self.section(page, id: "first"))
        let prose = try #require(first.range(of: "<div class=\"prose\">"))
        let code = try #require(first.range(of: "<pre class=\"code\" data-line=\"8\""))
        let output = try #require(first.range(of: "<pre class=\"output\">a &lt; b</pre>"))
        #expect(prose.lowerBound < code.lowerBound && code.lowerBound < output.lowerBound)
        #expect(first.contains("<h2><a class=\"anchor\" href=\"#first\">§1 First</a>"))
        #expect(first.contains("<code class=\"language-swift\">"))
        let second = try #require(Self.section(page, id: "second"))
        #expect(second.contains("<figure id=\"fig-rank-sweep\"><img src=\"ch01/rank-sweep.png\""))
        #expect(second.contains("<figcaption><strong>rank-sweep</strong>: As one score moves"))
        #expect(second.contains("1.50 s") && !second.contains("class=\"output\""))
        // The figure no cell recorded is still shown, apart.
        #expect(page.contains("Figures drawn outside the cells") && page.contains("fig-stray"))
        #expect(page.components(separatedBy: "fig-rank-sweep").count == 2)
    }

    @Test func theCodeShownIsTheSourceVerbatimWithItsFirstLine() {
        let page = Book.chapterPage([Self.chapter(summary: Self.summary)], at: 0)
        let blocks = Book.codeBlocks(page)
        #expect(blocks.map(\.line) == Self.source.cells.map(\.codeLine))
        #expect(blocks.map(\.code) == Self.source.cells.map(\.code))
        #expect(blocks.map(\.line) == [4, 8, 12, 14])
    }

    @Test func closingPartsClaimsAndSidebar() throws {
        let page = Book.chapterPage([Self.chapter(summary: Self.summary)], at: 0)
        let takeaways = try #require(page.range(of: "<section class=\"takeaways\" id=\"takeaways\">"))
        let appendix = try #require(page.range(of: "<section class=\"cell appendix\" id=\"flags\">"))
        let units = try #require(page.range(of: "id=\"appendix-units\""))
        #expect(takeaways.lowerBound < appendix.lowerBound && appendix.lowerBound < units.lowerBound)
        #expect(page.contains("Appendix A1 · Flags"))
        #expect(page.contains("<pre class=\"command\"><code>swift run -c release ch01 --trials 5</code></pre>"))
        #expect(page.contains("<details><summary>Answer</summary><div class=\"answer\"><p>Yes, <em>clearly</em>.</p>"))
        #expect(!page.contains("Expect:"))
        #expect(page.contains("<td>Prop. 1 &lt;holds&gt;</td><td>it does (<a href=\"#second\">Second</a>)</td>"))
        #expect(page.contains("<li><a href=\"ch01.html#first\">First</a></li>"))
        #expect(page.contains("<li><a href=\"ch01.html#flags\">Appendix · Flags</a></li>"))
        // Glossary: λ is linked once, at its first use (the introduction's formula), mAP in the first cell.
        #expect(page.components(separatedBy: "href=\"glossary.html#lambda\"").count == 2)
        #expect(
            page.contains("<a class=\"term\" href=\"glossary.html#lambda\"><span class=\"math\">\\lambda</span></a>"))
        #expect(page.contains("<a class=\"term\" href=\"glossary.html#map\">mAP</a>"))
    }

    @Test func aChapterThatDidNotFinishShowsItsCodeWithoutOutput() {
        let page = Book.chapterPage([Self.chapter(summary: nil)], at: 0)
        #expect(page.contains("<pre class=\"code\" data-line=\"8\""))
        #expect(!page.contains("class=\"output\""))
        #expect(page.contains("The chapter did not finish (exit 1)"))
    }

    @Test func summariesWrittenBeforeCellsStillLoad() throws {
        let old = """
            {"chapter": "ch01", "title": "t", "checks": [], "metrics": {}, "figures": ["a"], "seconds": 1,
             "quick": true}
            """
        let summary = try JSONDecoder().decode(Summary.self, from: Data(old.utf8))
        #expect(summary.cells.isEmpty && summary.claims.isEmpty && summary.phases.isEmpty)
        let round = try JSONDecoder().decode(Summary.self, from: try Self.summary.json())
        #expect(round.cells == Self.summary.cells && round.claims == Self.summary.claims)
    }

    @Test func theBookIsWrittenWithItsAssetsAndKaTeXFontsInlined() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("book-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let katex = dir.appendingPathComponent("katex")
        try FileManager.default.createDirectory(
            at: katex.appendingPathComponent("fonts"), withIntermediateDirectories: true)
        try Data("var katex = {};".utf8).write(to: katex.appendingPathComponent("katex.min.js"))
        try Data([1, 2, 3]).write(to: katex.appendingPathComponent("fonts/KaTeX_Main-Regular.woff2"))
        let css =
            "@font-face{font-family:KaTeX_Main;src:url(fonts/KaTeX_Main-Regular.woff2) format('woff2'),"
            + "url(fonts/KaTeX_Main-Regular.woff) format('woff');font-weight:400}.katex{x:y}"
        try Data(css.utf8).write(to: katex.appendingPathComponent("katex.min.css"))
        let out = dir.appendingPathComponent("out")
        let notes = try Book.write(
            [Self.chapter(summary: Self.summary)], to: out, quick: true, docs: nil, repository: "..", katex: katex)
        #expect(notes.isEmpty)
        for file in [
            "index.html", "ch01.html", "glossary.html", "search.html", "search-index.js", "assets/book.css",
            "assets/book.js", "assets/search.js", "assets/katex/katex.js", "assets/katex/katex.css",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let inlined = try String(contentsOf: out.appendingPathComponent("assets/katex/katex.css"), encoding: .utf8)
        #expect(
            inlined
                == "@font-face{font-family:KaTeX_Main;src:url(data:font/woff2;base64,AQID) format('woff2');"
                + "font-weight:400}.katex{x:y}")
        let index = try String(contentsOf: out.appendingPathComponent("search-index.js"), encoding: .utf8)
        #expect(index.hasPrefix("window.BOOK_INDEX = [") && index.contains("\"u\":\"ch01.html#first\""))
        let glossary = try String(contentsOf: out.appendingPathComponent("glossary.html"), encoding: .utf8)
        #expect(glossary.contains("First used in: <a href=\"ch01.html#set-up\">ch01 · Sorting and ranking</a>"))
        // Without KaTeX the pages load no KaTeX asset (the formulas stay as TeX) and course says why.
        let bare = dir.appendingPathComponent("bare")
        let missing = try Book.write(
            [Self.chapter(summary: Self.summary)], to: bare, quick: true, docs: nil, repository: "..",
            katex: dir.appendingPathComponent("nowhere"))
        #expect(missing.count == 1 && missing[0].contains("KaTeX is not installed"))
        let page = try String(contentsOf: bare.appendingPathComponent("ch01.html"), encoding: .utf8)
        #expect(BookTests.loads(page) == ["assets/book.css", "assets/book.js"])
    }

    @Test func theReadmeIsTheProseWithHeadingsAnswersAndCodeLines() {
        let readme = Self.source.readme(for: Catalog.chapters[0])
        #expect(
            readme.hasPrefix(NotebookSource.generatedMarker + "\n\n# Chapter 01 · Sorting and ranking\n\nIntro with"))
        #expect(readme.contains("## §1 First\n\nFirst prose: λ again, and mAP.\n\n<sub>Code: [main.swift lines 8–9]"))
        #expect(readme.contains("(main.swift#L8-L9)"))
        #expect(readme.contains("## §2 Second\n\nSecond prose."))
        #expect(
            readme.contains(
                "## Try this\n\n1. Question?\n\n   ```sh\n   swift run -c release ch01 --trials 5\n   ```\n\n"
                    + "   <details><summary>Answer</summary>\n\n   Yes, *clearly*.\n\n   </details>"))
        let takeaways = readme.range(of: "## Takeaways")!.lowerBound
        let appendix = readme.range(of: "## Appendix A1 · Flags")!.lowerBound
        #expect(takeaways < appendix && readme.hasSuffix("## Appendix · Units\n\nText.\n"))
        // The Try-this extractor that runs README commands still finds the command.
        #expect(readme.contains("```sh\n   swift run -c release ch01 --trials 5\n"))
    }
}
