import Foundation
import Gnuplot
import Testing

@testable import Walkthrough

@Suite struct BookTests {
    /// The `src` of every script and the `href` of every stylesheet of a page, in order.
    static func loads(_ page: String) -> [String] {
        var found = [String]()
        var rest = Substring(page)
        while let r = rest.range(of: "<script src=\"") ?? rest.range(of: "<link rel=\"stylesheet\" href=\"") {
            let first =
                [rest.range(of: "<script src=\""), rest.range(of: "<link rel=\"stylesheet\" href=\"")]
                .compactMap { $0 }.min { $0.lowerBound < $1.lowerBound } ?? r
            rest = rest[first.upperBound...]
            found.append(String(rest.prefix { $0 != "\"" }))
        }
        return found
    }

    let info = Catalog.chapters.first { $0.id == "ch09" }!

    func chapter(status: Int32 = 0) -> BookChapter {
        var summary = Summary(chapter: "ch09", title: "Retrieval")
        summary.checks = [
            CheckResult(name: "R@1 > raw <pixels>", passed: true, detail: "0.86 > 0.81 & more"),
            CheckResult(name: "loss falls", passed: false, detail: ""),
        ]
        summary.metrics = [
            "fashion-mnist": [
                "triplet": ["R@1": 0.8291, "MAP@R": 0.5657],
                "rambo-recall": ["R@1": 0.86144, "MAP@R": 0.7311, "R@2": 0.9131],
            ],
            "hershey": ["raw-pixels": ["R@1": 0.75]],
        ]
        summary.figures = ["learning-curves", "no-caption"]
        summary.captions = ["learning-curves": "Curves <measured> on the monitor subset & the raw line."]
        summary.seconds = 12.34
        return BookChapter(
            info: info, status: status, seconds: 12.34, summary: summary,
            textHTML: "<p>See <a href=\"../07-recall-loss/README.md#x\">chapter 07</a> and "
                + "<a href=\"../../Sources/Rambo/RecallLoss.swift\">the loss</a>.</p>\n",
            narration: "ch09 · <narration> & \"quotes\"")
    }

    @Test func escapingCoversTheFiveHTMLCharacters() {
        #expect(Book.escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;")
        #expect(Book.escape("R@1 · λ") == "R@1 · λ")
    }

    @Test func metricsPivotToMethodsByMetricsPerDataset() {
        let tables = Book.pivot(chapter().summary!.metrics)
        #expect(tables.map(\.dataset) == ["fashion-mnist", "hershey"])
        let fashion = tables[0]
        #expect(fashion.metrics == ["R@1", "R@2", "MAP@R"])  // the course's order, not alphabetical
        #expect(fashion.rows.map(\.method) == ["rambo-recall", "triplet"])
        #expect(fashion.rows[0].values == [0.86144, 0.9131, 0.7311])
        #expect(fashion.rows[1].values == [0.8291, nil, 0.5657])  // triplet has no R@2
        let html = Book.metricsHTML(chapter().summary!.metrics)
        #expect(html.contains("<tr><th>triplet</th><td>0.8291</td><td>–</td><td>0.5657</td></tr>"))
        #expect(html.contains("<caption>hershey</caption>"))
    }

    @Test func chapterPageHasFiguresWithCaptionsChecksMetricsAndEscapedNarration() {
        let page = Book.chapterPage([chapter()], at: 0)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        // The caption the chapter declared with its figure, escaped; a figure without one says so.
        let caption = "Curves &lt;measured&gt; on the monitor subset &amp; the raw line."
        #expect(page.contains("<img src=\"ch09/learning-curves.png\" alt=\"\(caption)\""))
        #expect(page.contains("<figcaption><strong>learning-curves</strong>: \(caption) "))
        #expect(page.contains("this run recorded no caption for no-caption"))
        // Passing checks are in their cells' output; the run's summary lists the failures.
        #expect(page.contains("Checks: 1 of 2 passed") && !page.contains("R@1 &gt; raw &lt;pixels&gt;"))
        #expect(page.contains("<li class=\"fail\">✗ loss falls</li>"))
        #expect(page.contains("<details><summary>Narration"))
        #expect(page.contains("ch09 · &lt;narration&gt; &amp; &quot;quotes&quot;"))
        #expect(page.contains("<th>MAP@R</th>"))
        // Links: another chapter's README goes to its page, a source file into the repository.
        #expect(page.contains("href=\"ch07.html#x\""))
        #expect(page.contains("href=\"../Chapters/09-retrieval-real/../../Sources/Rambo/RecallLoss.swift\""))
        // Nothing from the network: every script and stylesheet is one of the book's own assets.
        #expect(!page.contains("http://") && !page.contains("https://"))
        #expect(
            Self.loads(page) == [
                "assets/book.css", "assets/katex/katex.css", "assets/katex/katex.js", "assets/book.js",
            ])
        // Not a notebook (no source): the README text, no cells.
        #expect(page.contains("<body class=\"chapter\">") && !page.contains("<section class=\"cell"))
    }

    @Test func indexListsEveryChapterWithItsArtefactStatusAndTime() {
        let ok = chapter()
        let failed = chapter(status: 1)
        let index = Book.indexPage([ok], quick: true, docs: "docs/documentation/rambo/index.html")
        #expect(index.contains("<a href=\"ch09.html\">ch09</a>"))
        #expect(index.contains(Book.escape(Book.artefacts["ch09"]!)))
        #expect(index.contains("<td class=\"pass\">✓ 1/2</td>"))
        #expect(index.contains("<td>12.3</td>"))
        #expect(index.contains("quick run"))
        #expect(index.contains("href=\"docs/documentation/rambo/index.html\""))
        #expect(Book.indexPage([failed], quick: false).contains("<td class=\"fail\">✗ 1/2</td>"))
        #expect(!Book.indexPage([ok], quick: false).contains("quick run"))
    }

    @Test func everyCatalogChapterHasAnArtefact() {
        for c in Catalog.chapters { #expect(Book.artefacts[c.id] != nil, "\(c.id)") }
    }

    /// The figure rules size figures for the book's text column: if the page's column changes, so must
    /// `FigureRules.bookColumn` (and with it the widest figure whose tick labels stay readable).
    @Test func theFigureRulesKnowTheBooksColumnWidth() {
        let widths = Book.bookCSS.components(separatedBy: "minmax(0,").dropFirst().compactMap { rest -> Double? in
            guard let end = rest.range(of: "rem)") else { return nil }
            return Double(rest[..<end.lowerBound])
        }
        #expect(widths.first.map { $0 * 16 } == Double(FigureRules.bookColumn), "content column \(widths)")
        #expect(Book.bookCSS.contains("figure img{display:block;max-width:100%"))
    }

    @Test func summariesKeepTheirCaptionsAndReadOldOnesWithout() throws {
        var summary = Summary(chapter: "ch01", title: "t")
        summary.figures = ["a"]
        summary.captions = ["a": "what to look at"]
        let back = try JSONDecoder().decode(Summary.self, from: summary.json())
        #expect(back.captions == ["a": "what to look at"])
        let old = #"{"chapter":"ch01","title":"t","checks":[],"metrics":{},"figures":["a"],"seconds":1,"quick":true}"#
        #expect(try JSONDecoder().decode(Summary.self, from: Data(old.utf8)).captions.isEmpty)
    }

    @Test(.enabled(if: Book.cmark != nil, "cmark-gfm is not installed"))
    func markdownGoesThroughCmarkWithTables() {
        let html = Book.markdownToHTML("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>\n")
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<table>") && html.contains("<td>1</td>"))
        #expect(!html.contains("<script>"))
    }
}
