import Foundation
import Support

/// One chapter's material for the HTML course book: what `course` ran and what the chapter left behind.
public struct BookChapter: Sendable {
    public var info: ChapterInfo
    /// The chapter's exit status (0 = every check passed).
    public var status: Int32
    /// Wall-clock seconds of this run.
    public var seconds: Double
    /// The chapter's `summary.json`, or `nil` when it did not finish.
    public var summary: Summary?
    /// The chapter's README already converted to HTML (see `Book.markdownToHTML`).
    public var textHTML: String
    /// The chapter's printed narration (`log.txt`).
    public var narration: String

    public init(
        info: ChapterInfo, status: Int32, seconds: Double, summary: Summary?, textHTML: String,
        narration: String
    ) {
        self.info = info
        self.status = status
        self.seconds = seconds
        self.summary = summary
        self.textHTML = textHTML
        self.narration = narration
    }

    public var passed: Bool { status == 0 && summary != nil }
}

/// The static HTML course book `course` writes: `index.html` and one `chNN.html` per chapter, beside the
/// chapters' output folders. Pages are self-contained (inline CSS, no script, no remote resource) and work offline.
/// Pure functions of their inputs except `markdownToHTML`, which runs `cmark-gfm`.
public enum Book {
    /// The paper artefact each chapter reproduces (paper = Rolínek et al., CVPR 2020).
    /// The paper artefact each chapter reproduces (paper = Rolínek et al., CVPR 2020).
    public static let artefacts: [String: String] = parseTable(
        """
        ch01
            §3: ranking as an argmin over permutations (Eq. 4–5); rank is piecewise constant
        ch02
            §3 metrics (recall@K, AP, mAP, Eq. 6) and Fig. 2: the mini-batch bias of mAP
        ch03
            Algorithm 1 and Eq. 10: the blackbox backward pass
        ch04
            Fig. 1: f_λ, the piecewise-affine interpolation of a rank loss; choosing λ
        ch05
            §4.4, Eq. 14–15 and Fig. 3: the score margin against scale collapse
        ch06
            §4.3: score memory against the mini-batch bias; Table 7 (memory ablation)
        ch07
            §4.5, Eq. 16–20: the refined recall loss, against triplet and contrastive
        ch08
            §4.6, Eq. 23: the AP / mAP loss with the interclass term β
        ch09
            §5.1, Tables 2–4 and 7: retrieval R@K, on Fashion-MNIST and Hershey glyphs instead of CUB / SOP
        ch10
            §5.2: the mAP loss against BCE on multi-label data (yeast instead of VOC)
        ch11
            §5.2, Tables 5 and 8: object detection with the mAP loss
        ch12
            §5.3, Table 6: forward + backward time against n
        ch13
            §7 of the digest: the paper's definitions against the authors' code, and the reference vectors
        """)

    /// Parses "key" lines followed by indented text lines (joined with spaces) into a dictionary.
    static func parseTable(_ text: String) -> [String: String] {
        var table = [String: String]()
        var key: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix(" ") {
                guard let key else { continue }
                let words = line.trimmingCharacters(in: .whitespaces)
                table[key] = table[key].map { $0 + " " + words } ?? words
            } else {
                key = String(line)
            }
        }
        return table
    }

    /// The caption of a figure: what the chapter declared with it (`Figure.caption`, recorded in summary.json's
    /// `captions`). A summary from before captions were recorded has none.
    public static func caption(_ summary: Summary, figure: String) -> String {
        summary.captions[figure] ?? "(this run recorded no caption for \(figure))"
    }

    // MARK: - Escaping and Markdown

    /// Text made safe for HTML element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// The `cmark-gfm` executable on PATH, or `nil`.
    public static var cmark: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("cmark-gfm")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// GitHub-flavoured Markdown → HTML with `cmark-gfm` (tables, strikethrough, autolinks; raw HTML in the
    /// input is escaped). Without `cmark-gfm`, or when it fails, the text is shown preformatted; a failure is
    /// said on standard error. `cmark-gfm` runs through `ChildProcess`, stopped after `cmarkTimeout` seconds.
    public static func markdownToHTML(_ markdown: String) -> String {
        markdownToHTML(markdown, cmark: cmark, timeout: cmarkTimeout)
    }

    /// `markdownToHTML` with the program and its time limit given (tests drive a fake cmark-gfm through it).
    static func markdownToHTML(_ markdown: String, cmark: URL?, timeout: Double) -> String {
        guard let cmark else { return "<pre>\(escape(markdown))</pre>\n" }
        let arguments = [
            "--extension", "table", "--extension", "strikethrough", "--extension", "autolink", "--to", "html",
        ]
        do {
            let result = try ChildProcess.run(
                cmark.path, arguments: arguments, input: Array(markdown.utf8), standardError: .null,
                timeout: timeout)
            if result.termination.succeeded { return result.outputText }
            Output.error("\(Output.program): cmark-gfm \(result.termination); a chapter text is shown preformatted")
        } catch {
            Output.error("\(Output.program): \(error); a chapter text is shown preformatted")
        }
        return "<pre>\(escape(markdown))</pre>\n"
    }

    /// Seconds one `cmark-gfm` run may take.
    public static let cmarkTimeout = 30.0

    // MARK: - Metrics

    /// One dataset's metrics as a table: methods down, metrics across.
    public struct MetricTable: Equatable, Sendable {
        public var dataset: String
        public var metrics: [String]
        public var rows: [Row]
        public struct Row: Equatable, Sendable {
            public var method: String
            /// One value per entry of `metrics`, `nil` where the method has no such metric.
            public var values: [Double?]
        }
    }

    /// Pivots `metrics[dataset][method][metric]` into one table per dataset (datasets and methods sorted by
    /// name; metrics in the course's order R@1 R@2 R@4 R@8 MAP@R mAP, then the others by name).
    public static func pivot(_ metrics: [String: [String: [String: Double]]]) -> [MetricTable] {
        let order = ["R@1", "R@2", "R@4", "R@8", "R@10", "R@100", "MAP@R", "mAP", "mAP-sd"]
        func rank(_ m: String) -> (Int, String) { (order.firstIndex(of: m) ?? order.count, m) }
        return metrics.keys.sorted().map { dataset in
            let methods = metrics[dataset]!
            let names = Set(methods.values.flatMap(\.keys)).sorted { rank($0) < rank($1) }
            let rows = methods.keys.sorted().map { method in
                MetricTable.Row(method: method, values: names.map { methods[method]![$0] })
            }
            return MetricTable(dataset: dataset, metrics: names, rows: rows)
        }
    }

    /// The pivoted tables as HTML; values with 4 decimals, an en dash where a method lacks a metric.
    public static func metricsHTML(_ metrics: [String: [String: [String: Double]]]) -> String {
        var s = ""
        for table in pivot(metrics) {
            s += "<table class=\"metrics\">\n<caption>\(escape(table.dataset))</caption>\n<thead><tr><th>method</th>"
            s += table.metrics.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for row in table.rows {
                s += "<tr><th>\(escape(row.method))</th>"
                s += row.values.map { v in "<td>\(v.map { String(format: "%.4f", $0) } ?? "–")</td>" }.joined()
                s += "</tr>\n"
            }
            s += "</tbody>\n</table>\n"
        }
        return s
    }

    // MARK: - Pages

    static let style = """
        body{font:16px/1.5 system-ui,-apple-system,"DejaVu Sans",sans-serif;max-width:62rem;margin:0 auto;
        padding:1rem 1.5rem;color:#1a1a1a;background:#fff}
        nav{font-size:.9rem;margin-bottom:1rem}nav a{margin-right:1rem}
        pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;font-size:.85rem}
        code{font-family:"DejaVu Sans Mono",monospace;font-size:.9em}
        table{border-collapse:collapse;margin:.8rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
        td{font-variant-numeric:tabular-nums}table.metrics td{text-align:right}caption{font-weight:bold;text-align:left}
        figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
        figcaption{font-size:.9rem;color:#333}.pass{color:#006d4f}.fail{color:#b03000;font-weight:bold}
        details{margin:1rem 0}summary{cursor:pointer;font-weight:bold}
        """

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <link rel="icon" href="data:,">
        <style>\(style)</style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    /// Rewrites the chapter text's relative links for a page in the output folder: links to another chapter's
    /// README go to its page, other relative links are resolved against `Chapters/NN-slug/` from `repository`
    /// (the repository root relative to the output folder).
    static func rewriteLinks(_ html: String, folder: String, repository: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let r = rest.range(of: "href=\"") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            let target = String(rest[..<end])
            rest = rest[end...]
            if target.hasPrefix("#") || target.contains("://") || target.hasPrefix("mailto:") {
                out += target
                continue
            }
            let (path, anchor) =
                target.firstIndex(of: "#").map {
                    (String(target[..<$0]), String(target[$0...]))
                } ?? (target, "")
            if let chapter = Catalog.chapters.first(where: {
                path == "../\($0.folder)/README.md" || (path == "README.md" && $0.folder == folder)
            }) {
                out += "\(chapter.id).html\(anchor)"
            } else {
                out += "\(repository)/Chapters/\(folder)/\(path)\(anchor)"
            }
        }
        return out + rest
    }

    static func navigation(_ chapters: [BookChapter], current: Int?, docs: String?) -> String {
        var links = ["<a href=\"index.html\">contents</a>"]
        if let current, current > 0 {
            let p = chapters[current - 1].info
            links.append("<a href=\"\(p.id).html\">← \(escape(p.id)) \(escape(p.title))</a>")
        }
        if let current, current + 1 < chapters.count {
            let n = chapters[current + 1].info
            links.append("<a href=\"\(n.id).html\">\(escape(n.id)) \(escape(n.title)) →</a>")
        }
        if let docs { links.append("<a href=\"\(escape(docs))\">API documentation</a>") }
        return "<nav>" + links.joined(separator: " ") + "</nav>\n"
    }

    /// One chapter's page: its text, every figure with a caption, its checks, its metrics (pivoted) and its
    /// narration (collapsed).
    public static func chapterPage(
        _ chapters: [BookChapter], at index: Int, docs: String? = nil,
        repository: String = ".."
    ) -> String {
        let c = chapters[index]
        var body = navigation(chapters, current: index, docs: docs)
        body +=
            "<p class=\"\(c.passed ? "pass" : "fail")\">"
            + (c.passed ? "✓ every check passed" : "✗ this run failed")
        body += " · \(String(format: "%.1f", c.seconds)) s this run"
        if c.summary?.quick == true { body += " · quick mode (tiny sizes: numbers are not the chapter's)" }
        body += " · <a href=\"\(c.info.id)/summary.json\">summary.json</a>"
        body += " · <a href=\"\(c.info.id)/log.txt\">log.txt</a></p>\n"
        if let artefact = artefacts[c.info.id] { body += "<p><strong>Reproduces:</strong> \(escape(artefact))</p>\n" }
        body += rewriteLinks(c.textHTML, folder: c.info.folder, repository: repository)
        guard let s = c.summary else {
            body +=
                "<h2>This run</h2>\n<p class=\"fail\">The chapter did not finish (exit \(c.status)); "
                + "see <a href=\"\(c.info.id)/log.txt\">its log</a>.</p>\n"
            body += navigation(chapters, current: index, docs: docs)
            return page(title: "\(c.info.id) · \(c.info.title)", body: body)
        }
        if !s.figures.isEmpty {
            body += "<h2>Figures of this run</h2>\n"
            for f in s.figures {
                let caption = caption(s, figure: f)
                body +=
                    "<figure id=\"fig-\(escape(f))\">"
                    + "<img src=\"\(c.info.id)/\(escape(f)).png\" alt=\"\(escape(caption))\""
                    + ">\n<figcaption><strong>\(escape(f))</strong>: \(escape(caption)) "
                    + "<a href=\"\(c.info.id)/\(escape(f)).gp\">script</a> · "
                    + "<a href=\"\(c.info.id)/\(escape(f)).dat\">data</a></figcaption></figure>\n"
            }
        }
        body +=
            "<h2>Checks (\(s.checks.filter(\.passed).count) of \(s.checks.count) passed)</h2>\n"
            + "<ul class=\"checks\">\n"
        for check in s.checks {
            body +=
                "<li class=\"\(check.passed ? "pass" : "fail")\">"
                + "\(check.passed ? "✓" : "✗") \(escape(check.name))"
            body += check.detail.isEmpty ? "" : " — \(escape(check.detail))"
            body += "</li>\n"
        }
        body += "</ul>\n"
        if !s.metrics.isEmpty {
            body += "<h2>Metrics of this run</h2>\n" + metricsHTML(s.metrics)
        }
        body +=
            "<details><summary>Narration (the chapter's printed output)</summary>\n"
            + "<pre>\(escape(c.narration))</pre>\n</details>\n"
        body += navigation(chapters, current: index, docs: docs)
        return page(title: "\(c.info.id) · \(c.info.title)", body: body)
    }

    /// The contents page: introduction, prerequisites, reading order, and per chapter the paper artefact it
    /// reproduces, pass/fail and time of this run.
    public static func indexPage(_ chapters: [BookChapter], quick: Bool, docs: String? = nil) -> String {
        var body = "<h1>RaMBO in Swift: the course</h1>\n"
        body += """
            <p>A chapter-by-chapter walkthrough of <em>Optimizing Rank-based Metrics with Blackbox
            Differentiation</em> (Rolínek, Musil, Paulus, Vlastelica, Michaelis, Martius, CVPR 2020). Each chapter is
            a small Swift program that reads like a notebook: it prints its narration, checks every claim it makes
            while it runs, and draws its figures. This book shows one run of all of them: each chapter's text, its
            figures with what to look at, its checks and the numbers it measured.</p>
            <h2>Prerequisites</h2>
            <ul><li>Calculus and linear algebra: gradients, dot products, the chain rule.</li>
            <li>Basic machine learning: a loss, gradient descent, train and test splits, mini-batches.</li>
            <li>Reading Swift is enough; the chapters use only the standard library and Foundation.</li>
            <li>No retrieval background: chapter 02 defines recall@K, AP, mAP and MAP@R.</li></ul>
            <h2>Reading order</h2>
            <p>In order: 01–04 build the method (ranks, metrics, the blackbox gradient, λ), 05–06 its two
            stabilisers (margin, memory), 07–08 the two losses on toy data, 09–10 the losses on real data, then
            speed and checking other ports. Chapters after 04 can be read in any order.</p>

            """
        if quick {
            body += "<p class=\"fail\">This is a quick run (tiny sizes): the numbers are not the chapters' own.</p>\n"
        }
        body +=
            "<h2>Chapters</h2>\n<table>\n<thead><tr><th>chapter</th><th>title</th><th>reproduces</th>"
            + "<th>checks</th><th>figures</th><th>seconds (this run)</th></tr></thead>\n<tbody>\n"
        for c in chapters {
            let checks = c.summary.map { "\($0.checks.filter(\.passed).count)/\($0.checks.count)" } ?? "–"
            body +=
                "<tr><td><a href=\"\(c.info.id).html\">\(c.info.id)</a></td><td>\(escape(c.info.title))</td>"
                + "<td>\(escape(artefacts[c.info.id] ?? "–"))</td>"
                + "<td class=\"\(c.passed ? "pass" : "fail")\">\(c.passed ? "✓" : "✗") \(checks)</td>"
                + "<td>\(c.summary?.figures.count ?? 0)</td><td>\(String(format: "%.1f", c.seconds))</td></tr>\n"
        }
        body += "</tbody>\n</table>\n"
        if let docs {
            body +=
                "<p>The library's API, with a page per loss: <a href=\"\(escape(docs))\">documentation</a> "
                + "(DocC pages load their content with scripts, so serve them: <code>python3 -m http.server -d "
                + "out/docs</code>, then open http://localhost:8000/documentation/rambo/).</p>\n"
        } else {
            body +=
                "<p>The library's API documentation: run <code>make docs</code> (DocC), then <code>make course"
                + "</code> again to link it here.</p>\n"
        }
        return page(title: "RaMBO in Swift: the course", body: body)
    }
}
