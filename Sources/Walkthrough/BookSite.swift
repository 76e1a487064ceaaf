import Foundation
import Support

// The whole book on disk: the pages, the glossary and search pages, the search index and the assets, written by
// `Book.write` (which `course` calls after the chapters ran).

extension Book {
    /// Where Debian's libjs-katex puts KaTeX.
    public static let katexFolder = URL(fileURLWithPath: "/usr/share/javascript/katex")

    /// Writes the book into `out`: `index.html`, `chNN.html`, `glossary.html`, `search.html`, `search-index.js`
    /// and `assets/` (the book's CSS and scripts; KaTeX from `katex`, fonts inlined, when it is there). Each file is
    /// written whole or not at all.
    ///
    /// - Returns: notes for the reader of `course`'s output (e.g. that KaTeX is missing), empty when all is well.
    @discardableResult
    public static func write(
        _ chapters: [BookChapter], to out: URL, quick: Bool, docs: String?, repository: String,
        katex: URL = katexFolder
    ) throws -> [String] {
        var notes = [String]()
        let assets = out.appendingPathComponent("assets")
        try FileManager.default.createDirectory(at: assets, withIntermediateDirectories: true)
        try Output.writeFile(bookCSS, to: assets.appendingPathComponent("book.css"))
        try Output.writeFile(bookJS, to: assets.appendingPathComponent("book.js"))
        try Output.writeFile(searchJS, to: assets.appendingPathComponent("search.js"))
        let hasKaTeX = try copyKaTeX(from: katex, to: assets.appendingPathComponent("katex"))
        if !hasKaTeX {
            notes.append(
                "KaTeX is not installed (\(katex.path)); formulas appear as TeX (make setup installs libjs-katex)")
        }
        let site = Site(chapters: chapters, docs: docs, repository: repository, katex: hasKaTeX)
        var search = [SearchEntry]()
        var uses = [(entry: String, anchor: String, title: String)]()
        for i in chapters.indices {
            let rendered = renderChapter(site, at: i)
            try Output.writeFile(rendered.html, to: out.appendingPathComponent("\(chapters[i].info.id).html"))
            search += rendered.search
            uses += rendered.uses
        }
        let glossary = glossaryPage(site, uses: uses)
        try Output.writeFile(glossary.html, to: out.appendingPathComponent("glossary.html"))
        search += glossary.search
        try Output.writeFile(indexPage(site, quick: quick), to: out.appendingPathComponent("index.html"))
        try Output.writeFile(searchPage(site), to: out.appendingPathComponent("search.html"))
        try Output.writeFile(searchIndex(search), to: out.appendingPathComponent("search-index.js"))
        return notes
    }

    /// Copies KaTeX's script and stylesheet into `folder`, with every font inlined into the stylesheet as a
    /// woff2 data URL (a browser refuses fonts from `file://` URLs, so the book carries them). False, copying
    /// nothing, when KaTeX is not at `source`.
    static func copyKaTeX(from source: URL, to folder: URL) throws -> Bool {
        let script = source.appendingPathComponent("katex.min.js")
        guard let js = try? Data(contentsOf: script),
            let css = try? String(contentsOf: source.appendingPathComponent("katex.min.css"), encoding: .utf8)
        else { return false }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Output.writeFile(js, to: folder.appendingPathComponent("katex.js"))
        try Output.writeFile(
            inlineFonts(css, fonts: source.appendingPathComponent("fonts")),
            to: folder.appendingPathComponent("katex.css"))
        return true
    }

    /// KaTeX's CSS with each `src:` list of font URLs replaced by the woff2 font as a data URL (fonts that cannot
    /// be read keep their URL).
    static func inlineFonts(_ css: String, fonts: URL) -> String {
        var out = ""
        var rest = Substring(css)
        while let src = rest.range(of: "src:url(fonts/") {
            out += rest[..<src.lowerBound]
            let afterURL = rest[src.upperBound...]
            guard let close = afterURL.firstIndex(of: ")"),
                let end = afterURL.firstIndex(where: { $0 == ";" || $0 == "}" })
            else {
                rest = rest[src.lowerBound...]
                break
            }
            let name = String(afterURL[..<close])
            if name.hasSuffix(".woff2"), let font = try? Data(contentsOf: fonts.appendingPathComponent(name)) {
                out += "src:url(data:font/woff2;base64,\(font.base64EncodedString())) format('woff2')"
            } else {
                out += rest[src.lowerBound..<end]
            }
            rest = afterURL[end...]
        }
        return out + rest
    }

    // MARK: - Index, glossary, search

    /// The contents page (see `indexPage(_:quick:)` with the book's site).
    public static func indexPage(_ chapters: [BookChapter], quick: Bool, docs: String? = nil) -> String {
        indexPage(Site(chapters: chapters, docs: docs, repository: "..", katex: true), quick: quick)
    }

    /// The contents page: what the course is, prerequisites, reading order, every chapter with its run.
    static func indexPage(_ site: Site, quick: Bool) -> String {
        var main = "<h1>RaMBO in Swift: the course</h1>\n" + introduction
        if quick {
            main += "<p class=\"fail\">This is a quick run (tiny sizes): the numbers are not the chapters' own.</p>\n"
        }
        main += "<h2>Chapters</h2>\n<table class=\"contents\">\n<thead><tr><th>chapter</th><th>title</th>"
        main +=
            "<th>reproduces</th><th>cells</th><th>checks</th><th>figures</th><th>seconds</th></tr></thead>\n<tbody>\n"
        for c in site.chapters {
            let checks = c.summary.map { "\($0.checks.filter(\.passed).count)/\($0.checks.count)" } ?? "–"
            let cells = c.source?.isNotebook == true ? "\(sidebarCells(c).count)" : "–"
            main += "<tr><td><a href=\"\(c.info.id).html\">\(c.info.id)</a></td><td>\(escape(c.info.title))</td>"
            main += "<td>\(escape(artefacts[c.info.id] ?? "–"))</td><td>\(cells)</td>"
            main += "<td class=\"\(c.passed ? "pass" : "fail")\">\(c.passed ? "✓" : "✗") \(checks)</td>"
            main += "<td>\(c.summary?.figures.count ?? 0)</td><td>\(String(format: "%.1f", c.seconds))</td></tr>\n"
        }
        main += "</tbody>\n</table>\n<h2>Also in the book</h2>\n<ul>\n"
        main +=
            "<li><a href=\"glossary.html\">Glossary</a>: every symbol and metric, with where it first appears.</li>\n"
        main += "<li><a href=\"search.html\">Search</a> over every cell's prose and code (works offline).</li>\n"
        if let docs = site.docs {
            main += "<li><a href=\"\(escape(docs))\">API documentation</a> of the Rambo library (DocC; its pages load "
            main += "their content with scripts, so open them through a local server: <code>python3 -m http.server "
            main += "-d out/docs</code>, then http://localhost:8000/documentation/rambo/).</li>\n"
        } else {
            main +=
                "<li>The API documentation (DocC) was not built for this book: <code>make course</code> builds it.</li>\n"
        }
        main += "</ul>\n"
        return page(title: "RaMBO in Swift: the course", kind: "index", site: site, current: nil, main: main)
    }

    static let introduction = """
        <p>A chapter-by-chapter walkthrough of <em>Optimizing Rank-based Metrics with Blackbox Differentiation</em>
        (Rolínek, Musil, Paulus, Vlastelica, Michaelis, Martius, CVPR 2020). Each chapter is a small Swift program
        written as a notebook: cells of prose and code. This book shows one run of all of them, cell by cell: the prose
        with its maths, the cell's code exactly as compiled, what it printed and the figures it drew. Every claim a
        chapter makes is checked while it runs. Run a chapter yourself with <code>swift run -c release ch01</code>.</p>
        <h2>Prerequisites</h2>
        <ul><li>Calculus and linear algebra: gradients, dot products, the chain rule.</li>
        <li>Basic machine learning: a loss, gradient descent, train and test splits, mini-batches.</li>
        <li>Reading Swift is enough; the chapters use only the standard library and Foundation.</li>
        <li>No retrieval background: chapter 02 defines recall@K, AP, mAP and MAP@R.</li></ul>
        <h2>Reading order</h2>
        <p>In order: 01–04 build the method (ranks, metrics, the blackbox gradient, λ); 05–06 its two stabilisers
        (margin, memory); 07–08 the two losses on toy data; 09–11 the losses on real data (retrieval, multi-label
        classification, object detection); 12 speed; 13 checking other ports against the reference. Chapters after 04
        can be read in any order.</p>

        """

    /// The glossary: each term, its definition, and the chapters that first use it.
    static func glossaryPage(
        _ site: Site, uses: [(entry: String, anchor: String, title: String)]
    ) -> (html: String, search: [SearchEntry]) {
        var main = "<h1>Glossary</h1>\n<p>Every symbol and metric of the course, defined once. Each chapter links a "
        main += "term's first use in it to this page.</p>\n<dl class=\"glossary\">\n"
        var search = [SearchEntry]()
        for entry in Glossary.entries {
            main += "<dt id=\"\(entry.id)\">\(inlineProse(entry.term))</dt>\n<dd>\(proseHTML(entry.definition))"
            let first = uses.filter { $0.entry == entry.id }
            if !first.isEmpty {
                main += "<p class=\"used\">First used in: "
                main += first.map { "<a href=\"\(escape($0.anchor))\">\(escape($0.title))</a>" }.joined(separator: "; ")
                main += "</p>"
            }
            main += "</dd>\n"
            search.append(
                SearchEntry(
                    u: "glossary.html#\(entry.id)", c: "Glossary", t: MathText.plain(entry.term),
                    x: MathText.plain(entry.definition)))
        }
        main += "</dl>\n"
        return (
            page(title: "Glossary · RaMBO in Swift", kind: "glossary", site: site, current: nil, main: main), search
        )
    }

    /// One line of Markdown as inline HTML (cmark's paragraph removed).
    static func inlineProse(_ markdown: String) -> String {
        var html = proseHTML(markdown).trimmingCharacters(in: .whitespacesAndNewlines)
        if html.hasPrefix("<p>") && html.hasSuffix("</p>") { html = String(html.dropFirst(3).dropLast(4)) }
        return html
    }

    /// The search page: a box and the cells that hold every word typed (assets/search.js over search-index.js).
    static func searchPage(_ site: Site) -> String {
        let main = """
            <h1>Search</h1>
            <form class="search-page" action="search.html"><input id="q" name="q" type="search" autofocus
            placeholder="e.g. margin collapse, λ_code, averagePrecision" aria-label="Search the book"></form>
            <p id="status"></p>
            <ol id="results"></ol>

            """
        return page(
            title: "Search · RaMBO in Swift", kind: "search", site: site, current: nil, main: main,
            scripts: ["search-index.js", "assets/search.js"])
    }

    /// `search-index.js`: the entries as a JavaScript array (a script, so that it loads from `file://`).
    static func searchIndex(_ entries: [SearchEntry]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(entries), as: UTF8.self)
        return "window.BOOK_INDEX = \(json);\n"
    }
}
