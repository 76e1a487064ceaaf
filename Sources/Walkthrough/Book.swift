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
    /// The chapter's main.swift, read as a notebook; nil when it could not be read. A notebook chapter's page is
    /// its cells; any other chapter's page is its README text with what each section printed and drew.
    public var source: NotebookSource?

    public init(
        info: ChapterInfo, status: Int32, seconds: Double, summary: Summary?, textHTML: String,
        narration: String, source: NotebookSource? = nil
    ) {
        self.info = info
        self.status = status
        self.seconds = seconds
        self.summary = summary
        self.textHTML = textHTML
        self.narration = narration
        self.source = source
    }

    public var passed: Bool { status == 0 && summary != nil }
}

/// The static HTML course book `course` writes (`Book.write`): `index.html`, one `chNN.html` per chapter (the
/// chapter's notebook cells with what each printed and drew; BookPages.swift), `glossary.html`, `search.html`, and
/// the assets they load from `assets/` (the book's CSS and scripts, KaTeX copied from Debian's libjs-katex), beside
/// the chapters' output folders. Nothing loads from the network. The page functions are pure functions of their
/// inputs except `markdownToHTML`, which runs `cmark-gfm`.
public enum Book {
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
            the paper's definitions against the authors' code (docs/paper-vs-code.md), and the reference vectors
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

    // MARK: - Links

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
}
