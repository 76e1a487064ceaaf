import Foundation

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

    /// What to look at in each figure, keyed "chNN/name". A figure without an entry gets a generic caption.
    public static let captions: [String: String] = parseTable(
        """
        ch01/rank-sweep
            As one score moves past the others its rank jumps by whole steps: rank is piecewise constant, so its
            gradient is zero almost everywhere.
        ch01/loss-landscape
            1 − AP on a plane through the scores of 8 items is a patchwork of flat cells separated by walls: there
            is no slope to follow.
        ch02/clusters
            Left: the points and the unit circle. Right: their directions, which are all cosine similarity uses;
            classes whose directions overlap are what lowers R@1 and MAP@R.
        ch02/minibatch-map-bias
            The mean mAP of small batches sits above the dataset mAP (black line) and approaches it as batches grow:
            mAP is not decomposable (paper Fig. 2).
        ch03/loss-along-line
            Along a line the loss of ranks is a staircase; f_λ joins the steps with ramps, and the dashed tangent
            has the slope the blackbox gradient reports.
        ch03/grid-path
            The same rule on a shortest path: the gradient (last panel) is the difference between the current and
            the perturbed path, divided by λ.
        ch03/training
            All three problems train with the blackbox gradient: the losses fall although the solver itself has no
            useful derivative.
        ch04/line
            f (black) is flat between jumps; each f_λ is continuous, and larger λ smooths over more of the line.
        ch04/slice
            One colour scale for the four panels: f has flat cells, each f_λ ramps between them, wider ramps for
            larger λ (paper Fig. 1).
        ch04/wdif-fraction
            The share of the space where f_λ differs from f grows with λ: λ sets how far the gradient looks.
        ch04/lambda-training
            Too small a λ gives no signal, too large a λ a flat, slow one; the scale rule in between trains fastest.
        ch05/scale-invariance
            Left: along the ray c·y, f_λ falls as the scores shrink, so training is pulled towards a tie. Right: the
            margin makes 1 − AP depend on the scale.
        ch05/margin-collapse
            Top row, no margin: positives (blue) and negatives (orange) collapse onto each other. Bottom row, with
            the margin: they separate (paper Fig. 3). Every panel bins all of its scores.
        ch05/margin-gap-scale
            Without the margin the score scale shrinks and the gap stays near zero; with it the gap settles near α.
        ch05/noisy-margin
            The authors' mAP code draws its margin at random: the mean shift is about 0.4·α, not the paper's 0.5·α.
        ch06/memory-bias
            Memory lengthens the ranked list: its estimate moves towards the dataset mAP just like one batch of that
            length.
        ch06/memory-training
            Held-out mAP while training with memory τ = 0 … 7 (left), per label (middle), and against λ (right):
            memory needs a larger λ.
        ch07/recall-weights
            The weight each rank position gets: log and loglog recall losses decay about like 1/K, so the top of the
            list matters most.
        ch07/learning-curves
            Training loss (left) and held-out R@1 (right) for each method; grey is the raw input, black the 8 true
            class coordinates.
        ch07/recall-at-k
            Recall@K on held-out classes, mean over seeds with ±1 sd error bars: compare the RaMBO bars with triplet
            and contrastive.
        ch07/test-embeddings
            The learnt embeddings separate held-out classes that the raw inputs mix.
        ch08/ap-vs-prevalence
            Per-label AP against prevalence: every method beats chance (dashed); rare labels are where the methods
            differ.
        ch08/pr-curves
            Precision–recall of the rarest label (left) and of all labels ranked as one list (right), the list the
            interclass term trains.
        ch08/lambda-beta
            Test mAP against λ for β = 0 and the chapter's β, with BCE as the reference line.
        ch09/learning-curves
            Curves and the raw-pixel line are measured on the same monitor subset of the test set (the table holds
            full test-set numbers).
        ch09/neighbours-fashion
            Each row: a query and its 5 nearest test images; a frame marks a neighbour of another class.
        ch09/pca-map
            The first two principal components of the test embeddings, coloured by class: tighter, better separated
            clouds after training.
        ch09/neighbours-hershey
            Class-disjoint glyphs: the classes at test time were never seen in training.
        ch10/test-map
            Test mAP, mean ± 1 sd over seeds (left), and each method's paired difference to BCE with its 95 %
            interval (right): an interval that holds 0 means level.
        ch10/per-label-ap
            Per-label AP of BCE and the tuned RaMBO mAP loss, rarest label first; error bars are ±1 sd over
            seeds.
        ch10/learning-curves
            The refitted runs: test mAP per epoch up to the epoch chosen on validation (shown, never used to choose).
        ch10/validation-grid
            Every setting's validation mAP, mean ± 1 sd over the seeds' splits: 8 settings per method.
        ch12/time-vs-n
            Forward + backward time against n, against the paper's Table 6.
        ch12/ns-per-item
            Time per item: flat means linear time.
        ch13/margin-noise
            The authors' mAP margin: the shift is α|ξ|/2, mean ≈ 0.399·α, not the paper's α/2.
        ch13/convention-differences
            How far the paper's definitions and the authors' code are apart on each small case: ranks in rank units,
            the rest in gradient or loss units.
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

    /// The caption of a figure: the entry in `captions`, or a generic one.
    public static func caption(chapter: String, figure: String) -> String {
        captions["\(chapter)/\(figure)"] ?? "Figure \(figure) of \(chapter)."
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
    /// input is escaped). Without `cmark-gfm`, or when it fails, the text is shown preformatted.
    public static func markdownToHTML(_ markdown: String) -> String {
        guard let cmark else { return "<pre>\(escape(markdown))</pre>\n" }
        let process = Process()
        process.executableURL = cmark
        process.arguments = [
            "--extension", "table", "--extension", "strikethrough", "--extension", "autolink",
            "--to", "html",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "<pre>\(escape(markdown))</pre>\n" }
        // Write on another thread so that a large output cannot block the writer.
        let data = Data(markdown.utf8)
        let writer = Thread {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let html = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return "<pre>\(escape(markdown))</pre>\n" }
        return String(decoding: html, as: UTF8.self)
    }

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
