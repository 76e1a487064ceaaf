import Foundation

// The book's pages: the frame every page shares (sidebar, previous/next, assets) and the chapter page, which for a
// notebook chapter is its cells in source order:
//
//     <section class="cell" id="…">
//       <div class="prose"><h2>…</h2> Markdown, maths as <span class="math"> </div>      (optional)
//       <pre class="code" data-line="N"><code class="language-swift"> the cell's source lines </code></pre>
//       <pre class="output"> what the cell printed </pre>                                   (optional)
//       <figure id="fig-…"><img …><figcaption> what to look at </figcaption></figure>         (what it drew)
//     </section>
//
// then the takeaways, "Try this" with answers in <details>, the appendix, and this run's checks and metrics.

/// One searchable piece of the book: a cell, a part of a chapter or a glossary entry.
struct SearchEntry: Encodable, Equatable {
    /// The page and anchor.
    var u: String
    /// The chapter label ("ch01 · Sorting and ranking").
    var c: String
    /// The title.
    var t: String
    /// The text searched (prose and code).
    var x: String
}

/// A chapter page with what the rest of the book needs from it.
struct RenderedChapter {
    var html: String
    var search: [SearchEntry]
    /// Glossary entries first used on this page: (entry id, anchor of the cell that uses it, cell title).
    var uses: [(entry: String, anchor: String, title: String)]
}

extension Book {
    /// What every page needs to know about the whole book.
    struct Site {
        var chapters: [BookChapter]
        /// The API documentation's index, relative to the book, if it was built.
        var docs: String?
        /// The repository root relative to the output folder (for links into the source).
        var repository: String
        /// Whether KaTeX is in `assets/katex` (without it formulas stay as TeX).
        var katex: Bool
    }

    /// One chapter's page (see the comment at the top of this file), for `chapters[index]`.
    public static func chapterPage(
        _ chapters: [BookChapter], at index: Int, docs: String? = nil, repository: String = "..", katex: Bool = true
    ) -> String {
        renderChapter(Site(chapters: chapters, docs: docs, repository: repository, katex: katex), at: index).html
    }

    // MARK: - The frame

    /// A whole page: head with the book's stylesheets, the sidebar, `main`, the scripts.
    static func page(
        title: String, kind: String, site: Site, current: Int?, main: String, scripts: [String] = []
    ) -> String {
        let katexCSS = site.katex ? "<link rel=\"stylesheet\" href=\"assets/katex/katex.css\">\n" : ""
        let katexJS = site.katex ? ["assets/katex/katex.js"] : []
        let scriptTags = (katexJS + ["assets/book.js"] + scripts).map { "<script src=\"\($0)\"></script>" }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="assets/book.css">
            \(katexCSS)</head>
            <body class="\(kind)">
            <div class="layout">
            \(sidebar(site, current: current))<main>
            \(main)</main>
            </div>
            \(scriptTags.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// The cells a chapter lists in the sidebar: its source cells for a notebook, else the sections it recorded.
    static func sidebarCells(_ c: BookChapter) -> [(id: String, title: String)] {
        if let source = c.source, source.isNotebook {
            return source.cells.filter { $0.kind != .setUp }.map {
                ($0.id, $0.kind == .appendix ? "Appendix · \($0.title)" : $0.title)
            }
        }
        return (c.summary?.cells ?? []).filter { $0.kind != .setUp }.map { ($0.id, $0.title) }
    }

    /// Every chapter with its cells (the current chapter's open), the glossary, search and API documentation.
    static func sidebar(_ site: Site, current: Int?) -> String {
        var s = "<nav class=\"sidebar\">\n<p class=\"book-title\"><a href=\"index.html\">RaMBO in Swift</a></p>\n"
        s += "<form class=\"search\" action=\"search.html\"><input name=\"q\" type=\"search\" "
        s += "placeholder=\"Search the book\" aria-label=\"Search the book\"></form>\n<ol class=\"chapters\">\n"
        for (i, c) in site.chapters.enumerated() {
            let number = String(c.info.id.dropFirst(2))
            s += "<li\(i == current ? " class=\"current\"" : "")><details\(i == current ? " open" : "")><summary>"
            s += "<a href=\"\(c.info.id).html\">\(number) \(escape(c.info.title))</a></summary>\n<ol class=\"cells\">\n"
            for cell in sidebarCells(c) {
                s += "<li><a href=\"\(c.info.id).html#\(escape(cell.id))\">\(escape(cell.title))</a></li>\n"
            }
            s += "</ol></details></li>\n"
        }
        s +=
            "</ol>\n<p class=\"book-links\"><a href=\"glossary.html\">Glossary</a> · <a href=\"search.html\">Search</a>"
        if let docs = site.docs { s += " · <a href=\"\(escape(docs))\">API documentation</a>" }
        return s + "</p>\n</nav>\n"
    }

    /// Previous and next chapter (and the contents).
    static func pager(_ site: Site, current: Int) -> String {
        var links = [String]()
        if current > 0 {
            let p = site.chapters[current - 1].info
            links.append("<a class=\"previous\" href=\"\(p.id).html\">← \(escape(p.id)) \(escape(p.title))</a>")
        }
        links.append("<a href=\"index.html\">contents</a>")
        if current + 1 < site.chapters.count {
            let n = site.chapters[current + 1].info
            links.append("<a class=\"next\" href=\"\(n.id).html\">\(escape(n.id)) \(escape(n.title)) →</a>")
        }
        return "<nav class=\"pager\">" + links.joined(separator: " ") + "</nav>\n"
    }

    // MARK: - Chapter pages

    static func renderChapter(_ site: Site, at index: Int) -> RenderedChapter {
        let c = site.chapters[index]
        let number = String(c.info.id.dropFirst(2))
        let notebook = c.source?.isNotebook == true
        var main = pager(site, current: index)
        // A README (the text of a chapter not yet written as cells) brings its own title.
        if notebook { main += "<h1>Chapter \(number) · \(escape(c.info.title))</h1>\n" }
        main += runLine(c)
        if let artefact = artefacts[c.info.id] { main += "<p><strong>Reproduces:</strong> \(escape(artefact))</p>\n" }
        var rendered: RenderedChapter
        if let source = c.source, notebook {
            rendered = notebookBody(c, source)
        } else {
            rendered = legacyBody(c, repository: site.repository)
        }
        main += rendered.html + thisRun(c) + pager(site, current: index)
        let kind = notebook ? "notebook" : "chapter"
        rendered.html = page(
            title: "\(c.info.id) · \(c.info.title)", kind: kind, site: site, current: index, main: main)
        return rendered
    }

    /// The line under the title: pass or fail, time, quick mode, the run's files.
    static func runLine(_ c: BookChapter) -> String {
        var s = "<p class=\"run \(c.passed ? "pass" : "fail")\">"
        s += (c.passed ? "✓ every check passed" : "✗ this run failed")
        s += " · \(String(format: "%.1f", c.seconds)) s this run"
        if c.summary?.quick == true { s += " · quick mode (tiny sizes: numbers are not the chapter's)" }
        s += " · <a href=\"\(c.info.id)/summary.json\">summary.json</a>"
        return s + " · <a href=\"\(c.info.id)/log.txt\">log.txt</a></p>\n"
    }

    /// A notebook chapter: claims, cells, takeaways, Try this, appendix.
    static func notebookBody(_ c: BookChapter, _ source: NotebookSource) -> RenderedChapter {
        var out = RenderedChapter(html: "", search: [], uses: [])
        var linked = Set<String>()
        let records = c.summary?.cells ?? []
        let label = "\(c.info.id) · \(c.info.title)"
        if let claims = c.summary?.claims, !claims.isEmpty { out.html += claimsTable(claims, source: source) }
        if !source.problems.isEmpty {
            out.html += "<ul class=\"problems fail\">"
            out.html += source.problems.map { "<li>main.swift: \(escape($0))</li>" }.joined() + "</ul>\n"
        }
        var placed = Set<String>()
        var appendixStarted = false
        let ordered = source.cells.filter { $0.kind != .appendix } + source.cells.filter { $0.kind == .appendix }
        for cell in ordered {
            if cell.kind == .appendix && !appendixStarted {
                appendixStarted = true
                out.html += closingParts(c, source, &linked, &out)
            }
            let record =
                cell.kind == .setUp
                ? records.first { $0.kind == .setUp }
                : records.first { $0.line == cell.codeLine && $0.kind == cell.kind }
            let heading = cell.heading
            let before = linked
            out.html += cellHTML(c, cell, heading: heading, record: record, linked: &linked)
            for entry in linked.subtracting(before).sorted() {
                out.uses.append((entry, "\(c.info.id).html#\(cell.id)", heading.map { "\(c.info.id) \($0)" } ?? label))
            }
            placed.formUnion(record?.figures ?? [])
            out.search.append(
                SearchEntry(
                    u: "\(c.info.id).html#\(cell.id)", c: label, t: heading ?? label,
                    x: MathText.plain(cell.prose) + "\n" + cell.code))
        }
        if !appendixStarted { out.html += closingParts(c, source, &linked, &out) }
        for part in source.appendices {
            let id = "appendix-" + NotebookSource.slug(part.title)
            out.html += "<section class=\"appendix-part\" id=\"\(escape(id))\"><div class=\"prose\">\n"
            out.html += "<h2>Appendix · \(escape(part.title))</h2>\n"
            out.html += Glossary.link(proseHTML(part.markdown), linked: &linked) + "</div></section>\n"
            out.search.append(
                SearchEntry(u: "\(c.info.id).html#\(id)", c: label, t: part.title, x: MathText.plain(part.markdown)))
        }
        let unplaced = (c.summary?.figures ?? []).filter { !placed.contains($0) }
        if !unplaced.isEmpty {
            out.html += "<section class=\"unplaced\"><h2>Figures drawn outside the cells</h2>\n"
            out.html += unplaced.map { figureHTML(c, $0) }.joined() + "</section>\n"
        }
        return out
    }

    /// One cell: prose (with its heading), code, output, figures.
    static func cellHTML(
        _ chapter: BookChapter, _ cell: NotebookSource.Cell, heading: String?, record: CellRecord?,
        linked: inout Set<String>
    ) -> String {
        var html = "<section class=\"cell\(cell.kind == .appendix ? " appendix" : "")\" id=\"\(escape(cell.id))\">\n"
        var prose = ""
        if let heading {
            prose += "<h2><a class=\"anchor\" href=\"#\(escape(cell.id))\">\(escape(heading))</a>"
            if let seconds = record?.seconds { prose += " <span class=\"seconds\">\(seconds.fixed(2)) s</span>" }
            prose += "</h2>\n"
        }
        if !cell.prose.isEmpty { prose += Glossary.link(proseHTML(cell.prose), linked: &linked) }
        if !prose.isEmpty { html += "<div class=\"prose\">\n\(prose)</div>\n" }
        html += "<pre class=\"code\" data-line=\"\(cell.codeLine)\" style=\"counter-reset: line \(cell.codeLine - 1)\">"
        html += "<code class=\"language-swift\">\(SwiftHighlighter.html(cell.code))</code></pre>\n"
        var output = record?.output ?? []
        while let first = output.first, first.trimmingCharacters(in: .whitespaces).isEmpty { output.removeFirst() }
        while let last = output.last, last.trimmingCharacters(in: .whitespaces).isEmpty { output.removeLast() }
        if !output.isEmpty { html += "<pre class=\"output\">\(escape(output.joined(separator: "\n")))</pre>\n" }
        for figure in record?.figures ?? [] { html += figureHTML(chapter, figure) }
        return html + "</section>\n"
    }

    /// A figure of this run with its caption and links to its script and data.
    static func figureHTML(_ chapter: BookChapter, _ name: String) -> String {
        let caption = escape(chapter.summary.map { Book.caption($0, figure: name) } ?? name)
        let file = "\(chapter.info.id)/\(escape(name))"
        return "<figure id=\"fig-\(escape(name))\"><img src=\"\(file).png\" alt=\"\(caption)\">\n"
            + "<figcaption><strong>\(escape(name))</strong>: \(caption) "
            + "<a href=\"\(file).gp\">script</a> · <a href=\"\(file).dat\">data</a></figcaption></figure>\n"
    }

    /// The "paper claims / we find" table, each finding linked to the cell that measured it.
    static func claimsTable(_ claims: [ClaimRecord], source: NotebookSource) -> String {
        var s =
            "<section class=\"claims\" id=\"claims\">\n<h2>The paper claims, we find</h2>\n<table class=\"claims\">\n"
        s += "<thead><tr><th>the paper claims</th><th>we find (this run)</th><th>verdict</th></tr></thead>\n<tbody>\n"
        for claim in claims {
            let cell = source.cells.first { $0.id == claim.cell }
            let link = cell.map { " (<a href=\"#\(escape($0.id))\">\(escape($0.title))</a>)" } ?? ""
            s += "<tr class=\"\(claim.verdict.rawValue)\"><td>\(escape(claim.paper))</td>"
            s += "<td>\(escape(claim.found))\(link)</td><td>\(claim.verdict.rawValue)</td></tr>\n"
        }
        return s + "</tbody>\n</table>\n</section>\n"
    }

    /// Takeaways and "Try this" (answers folded in `<details>`).
    static func closingParts(
        _ c: BookChapter, _ source: NotebookSource, _ linked: inout Set<String>, _ out: inout RenderedChapter
    ) -> String {
        let label = "\(c.info.id) · \(c.info.title)"
        var html = ""
        if let takeaways = source.takeaways {
            html += "<section class=\"takeaways\" id=\"takeaways\"><div class=\"prose\">\n<h2>Takeaways</h2>\n"
            html += Glossary.link(proseHTML(takeaways), linked: &linked) + "</div></section>\n"
            out.search.append(
                SearchEntry(u: "\(c.info.id).html#takeaways", c: label, t: "Takeaways", x: MathText.plain(takeaways)))
        }
        guard !source.tryThis.isEmpty else { return html }
        html += "<section class=\"try-this\" id=\"try-this\">\n<h2>Try this</h2>\n<ol>\n"
        for item in source.tryThis {
            html += "<li><div class=\"question\">\(proseHTML(item.question))</div>\n"
            html += "<pre class=\"command\"><code>\(escape(item.command))</code></pre>\n"
            html += "<details><summary>Answer</summary><div class=\"answer\">\(proseHTML(item.answer))</div></details>"
            html += "</li>\n"
            out.search.append(
                SearchEntry(
                    u: "\(c.info.id).html#try-this", c: label, t: "Try this: \(item.command)",
                    x: MathText.plain(item.question + "\n" + item.answer)))
        }
        return html + "</ol>\n</section>\n"
    }

    /// A chapter not yet written as cells: its README text, then what each section printed and drew.
    static func legacyBody(_ c: BookChapter, repository: String) -> RenderedChapter {
        var linked = Set<String>()
        let label = "\(c.info.id) · \(c.info.title)"
        var html = Glossary.link(
            rewriteLinks(c.textHTML, folder: c.info.folder, repository: repository), linked: &linked)
        var search = [SearchEntry(u: "\(c.info.id).html", c: label, t: label, x: plainText(c.textHTML))]
        let parts = (c.summary?.cells ?? []).filter { !$0.output.isEmpty || !$0.figures.isEmpty }
        if !parts.isEmpty { html += "<h2>What this run printed and drew</h2>\n" }
        var placed = Set<String>()
        for part in parts {
            html += "<section class=\"run-part\" id=\"\(escape(part.id))\">\n<h3>\(escape(part.title))</h3>\n"
            html += "<pre class=\"output\">\(escape(part.output.joined(separator: "\n")))</pre>\n"
            html += part.figures.map { figureHTML(c, $0) }.joined() + "</section>\n"
            placed.formUnion(part.figures)
            search.append(SearchEntry(u: "\(c.info.id).html#\(part.id)", c: label, t: part.title, x: ""))
        }
        let unplaced = (c.summary?.figures ?? []).filter { !placed.contains($0) }
        if !unplaced.isEmpty {
            html += "<h2>Figures of this run</h2>\n" + unplaced.map { figureHTML(c, $0) }.joined()
        }
        if parts.isEmpty && !c.narration.isEmpty {
            html += "<details><summary>Narration (the chapter's printed output)</summary>\n"
            html += "<pre>\(escape(c.narration))</pre>\n</details>\n"
        }
        return RenderedChapter(html: html, search: search, uses: [])
    }

    /// HTML as text (for the search index, and for checks that read a page): tags removed, entities decoded.
    public static func plainText(_ html: String) -> String {
        var out = ""
        var inTag = false
        for ch in html {
            if ch == "<" {
                inTag = true
            } else if ch == ">" {
                inTag = false
            } else if !inTag {
                out.append(ch)
            }
        }
        return Glossary.unescape(out)
    }

    /// The code cells of a chapter page as the book's contract has them: each `<pre class="code" data-line="N">`
    /// with its first source line and its text (the highlighter's tags removed: the source verbatim), in page
    /// order. What `NotebookTests` reads to prove that the page shows the compiled source.
    public static func codeBlocks(_ page: String) -> [(line: Int, code: String)] {
        var blocks = [(line: Int, code: String)]()
        var rest = Substring(page)
        while let start = rest.range(of: "<pre class=\"code\" data-line=\"") {
            rest = rest[start.upperBound...]
            let line = Int(rest.prefix { $0.isNumber }) ?? 0
            guard let body = rest.range(of: "<code class=\"language-swift\">"),
                let end = rest.range(of: "</code></pre>")
            else { break }
            blocks.append((line, plainText(String(rest[body.upperBound..<end.lowerBound]))))
            rest = rest[end.upperBound...]
        }
        return blocks
    }

    /// This run's checks (failures listed) and metrics.
    static func thisRun(_ c: BookChapter) -> String {
        var s = "<section class=\"this-run\" id=\"this-run\">\n<h2>This run</h2>\n"
        guard let summary = c.summary else {
            return s + "<p class=\"fail\">The chapter did not finish (exit \(c.status)); see "
                + "<a href=\"\(c.info.id)/log.txt\">its log</a>.</p>\n</section>\n"
        }
        let passed = summary.checks.filter(\.passed).count
        s += "<p class=\"\(passed == summary.checks.count ? "pass" : "fail")\">Checks: \(passed) of "
        s += "\(summary.checks.count) passed (each is printed in the cell that makes it).</p>\n"
        let failed = summary.checks.filter { !$0.passed }
        if !failed.isEmpty {
            s += "<ul class=\"checks\">\n"
            for check in failed {
                s += "<li class=\"fail\">✗ \(escape(check.name))"
                s += (check.detail.isEmpty ? "" : " — \(escape(check.detail))") + "</li>\n"
            }
            s += "</ul>\n"
        }
        if !summary.metrics.isEmpty { s += "<h3>Metrics of this run</h3>\n" + metricsHTML(summary.metrics) }
        return s + "</section>\n"
    }
}
