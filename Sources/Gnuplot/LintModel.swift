import Foundation

// What the figure lint reads from a `.gp` file the builder wrote: the terminal, the layout, the caption and,
// per panel, its axes, ranges, texts and plot clauses with their inks. A small reader of the builder's own
// gnuplot dialect, not of gnuplot in general: a line it does not know is skipped.

/// One figure's script, read back.
struct ScriptModel {
    var caption: String?
    var width: Int?
    var height: Int?
    var fontPoints: Double?
    var rows = 1
    var columns = 1
    var figureTitle = false
    var shared = Axes()
    var panels = [PanelModel]()

    /// One panel's settings and plot clauses.
    struct PanelModel {
        var title = false
        var xLabel: String?
        var yLabel: String?
        var logX = false
        var logY = false
        var xRange: (lo: Double?, hi: Double?)?
        var yRange: (lo: Double?, hi: Double?)?
        var probability = Axes()
        var categories = false
        var yCategories = false
        var slantedTicks = false
        var square = false
        var colorBox = true
        var labels = [Label]()
        var inks: [String]?
        var clauses = [Clause]()

        var image: Bool { clauses.contains { $0.style == "image" } }
        var hasData: Bool { clauses.contains { $0.block != nil || $0.constant != nil } }
    }

    /// A `set label` line.
    struct Label {
        var text: String
        var x: Double
        var y: Double
        var align: TextAlign
        var boxed: Bool
    }

    /// One clause of a `plot` command.
    struct Clause {
        var block: Int?
        var constant: Double?
        var style = ""
        var color: String?
        var pointType: Int?
        var dash: Int?
        var title: String?
    }

    init(_ script: String) {
        var current: PanelModel?
        var inPlot = false
        for raw in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if inPlot, current != nil {
                current!.clauses.append(Self.clause(line))
                inPlot = line.hasSuffix("\\")
                continue
            }
            if line == "# ---- panel" {
                if let p = current { panels.append(p) }
                current = PanelModel()
            } else if line.hasPrefix("plot "), current != nil {
                current!.clauses.append(Self.clause(String(line.dropFirst(5))))
                inPlot = line.hasSuffix("\\")
            } else if current != nil {
                Self.read(panelLine: line, into: &current!)
            } else {
                read(headerLine: line)
            }
        }
        if let p = current { panels.append(p) }
    }

    mutating func read(headerLine line: String) {
        if line.hasPrefix("# caption:") {
            caption = String(line.dropFirst(10)).trimmingCharacters(in: .whitespaces)
        } else if line.hasPrefix("# shared:") {
            shared = Self.axes(String(line.dropFirst(9)))
        } else if line.hasPrefix("set terminal pngcairo") {
            let t = Self.tokens(line)
            if let i = t.firstIndex(of: .word("size")), i + 1 < t.count, case .word(let size) = t[i + 1] {
                let wh = size.split(separator: ",").compactMap { Int($0) }
                if wh.count == 2 { (width, height) = (wh[0], wh[1]) }
            }
            if let i = t.firstIndex(of: .word("font")), i + 1 < t.count, case .text(let font) = t[i + 1] {
                fontPoints = font.split(separator: ",").last.flatMap { Double($0) }
            }
        } else if line.hasPrefix("set multiplot layout ") {
            let t = Self.tokens(line)
            if t.count > 3, case .word(let layout) = t[3] {
                let rc = layout.split(separator: ",").compactMap { Int($0) }
                if rc.count == 2 { (rows, columns) = (rc[0], rc[1]) }
            }
            figureTitle = t.contains(.word("title"))
        }
    }

    static func read(panelLine line: String, into p: inout PanelModel) {
        let t = tokens(line)
        func text(_ i: Int) -> String? {
            guard i < t.count, case .text(let s) = t[i] else { return nil }
            return s
        }
        switch line {
        case _ where line.hasPrefix("set title "): p.title = true
        case _ where line.hasPrefix("set xlabel "): p.xLabel = text(2)
        case _ where line.hasPrefix("set ylabel "): p.yLabel = text(2)
        case "set logscale x": p.logX = true
        case "set logscale y": p.logY = true
        case _ where line.hasPrefix("set xrange ["): p.xRange = range(line)
        case _ where line.hasPrefix("set yrange ["): p.yRange = range(line)
        case _ where line.hasPrefix("# probability:"): p.probability = axes(String(line.dropFirst(14)))
        case _ where line.hasPrefix("set xtics ("):
            p.categories = true
            p.slantedTicks = line.contains(" rotate ")
        case _ where line.hasPrefix("set ytics ("): p.yCategories = true
        case "set size ratio -1": p.square = true
        case "unset colorbox": p.colorBox = false
        case _ where line.hasPrefix("# inks:"):
            p.inks = line.dropFirst(7).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        case _ where line.hasPrefix("set label "):
            guard let body = text(2), t.count > 4, case .word(let at) = t[4] else { return }
            let xy = at.split(separator: ",").map { Double($0) ?? .nan }
            guard xy.count == 2 else { return }
            let align: TextAlign =
                t.contains(.word("center")) ? .center : t.contains(.word("right")) ? .right : .left
            p.labels.append(Label(text: body, x: xy[0], y: xy[1], align: align, boxed: t.contains(.word("boxed"))))
        default: break
        }
    }

    /// A `plot` clause: `datafile index K using … with STYLE lc rgb 'C' lw … dt D pt P title 'T'` or a constant.
    static func clause(_ line: String) -> Clause {
        var text = line.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("\\") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
        if text.hasSuffix(",") { text = String(text.dropLast()) }
        let t = tokens(text)
        var c = Clause()
        func word(after name: String) -> String? {
            guard let i = t.firstIndex(of: .word(name)), i + 1 < t.count, case .word(let w) = t[i + 1] else {
                return nil
            }
            return w
        }
        if case .word(let first) = t.first, let v = Double(first), v.isFinite { c.constant = v }
        c.block = word(after: "index").flatMap(Int.init)
        c.style = word(after: "with") ?? ""
        c.dash = word(after: "dt").flatMap(Int.init)
        c.pointType = word(after: "pt").flatMap(Int.init)
        if let i = t.firstIndex(of: .word("rgb")), i + 1 < t.count, case .text(let color) = t[i + 1] {
            c.color = color.uppercased()
        }
        if let i = t.firstIndex(of: .word("title")), i + 1 < t.count, case .text(let title) = t[i + 1] {
            c.title = title
        }
        return c
    }

    /// A gnuplot line as words and single-quoted texts ('' inside a text is one quote; \@ is @).
    enum Token: Equatable {
        case word(String)
        case text(String)
    }

    static func tokens(_ line: String) -> [Token] {
        var out = [Token]()
        var chars = Array(line)[...]
        while let c = chars.first {
            if c == " " || c == "\t" {
                chars = chars.dropFirst()
            } else if c == "'" {
                var text = ""
                chars = chars.dropFirst()
                while let d = chars.first {
                    chars = chars.dropFirst()
                    if d == "'" {
                        if chars.first == "'" {
                            text.append("'")
                            chars = chars.dropFirst()
                        } else {
                            break
                        }
                    } else {
                        text.append(d)
                    }
                }
                out.append(.text(text.replacingOccurrences(of: "\\@", with: "@")))
            } else {
                let word = chars.prefix { $0 != " " && $0 != "\t" && $0 != "'" }
                chars = chars.dropFirst(word.count)
                out.append(.word(String(word)))
            }
        }
        return out
    }

    /// `[lo:hi]` of a `set xrange` line; `*` is nil.
    static func range(_ line: String) -> (lo: Double?, hi: Double?)? {
        guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]") else { return nil }
        let parts = line[line.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (
            Double(parts[0].trimmingCharacters(in: .whitespaces)), Double(parts[1].trimmingCharacters(in: .whitespaces))
        )
    }

    /// "x", "y", "x y" → axes.
    static func axes(_ text: String) -> Axes {
        var a = Axes()
        for word in text.split(separator: " ") {
            if word == "x" { a.insert(.x) }
            if word == "y" { a.insert(.y) }
        }
        return a
    }

    /// The data file's blocks (two blank lines apart), each a list of rows of numbers (NaN where not a number).
    static func blocks(_ data: String) -> [[[Double]]] {
        var blocks = [[[Double]]]()
        var current = [[Double]]()
        var blanks = 0
        for raw in data.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                blanks += 1
                if blanks == 2 {
                    blocks.append(current)
                    current = []
                }
                continue
            }
            blanks = 0
            if line.hasPrefix("#") { continue }
            current.append(line.split(separator: " ").map { Double($0) ?? .nan })
        }
        if !current.isEmpty || !blocks.isEmpty || data.contains("# block 0") { blocks.append(current) }
        return blocks
    }
}
