import Foundation

// Turning a `Figure` into gnuplot text: the data file (one block per series) and the script that plots it.

/// Why a figure could not be written or rendered.
public enum GnuplotError: Error, CustomStringConvertible, Equatable {
    /// The figure itself is malformed (bad name, ragged columns, ...).
    case invalidFigure(String)
    /// No gnuplot executable on PATH.
    case notInstalled
    /// gnuplot ran and reported an error; `message` is what it printed.
    case failed(script: String, message: String)
    /// gnuplot exited 0 but the output file is missing, truncated or malformed (it does so on a full disk).
    case incompleteOutput(figure: String, format: String, why: String)
    /// gnuplot ran longer than its time limit and was killed.
    case timedOut(script: String, seconds: Double)

    public var description: String {
        switch self {
        case .invalidFigure(let why): return "invalid figure: \(why)"
        case .notInstalled:
            return "gnuplot is not installed; install it with: apt-get install -y --no-install-recommends gnuplot-nox"
        case .failed(let script, let message): return "gnuplot failed on \(script): \(message)"
        case .incompleteOutput(let figure, let format, let why):
            return "gnuplot wrote an incomplete \(figure).\(format): \(why); nothing was written under that name"
        case .timedOut(let script, let seconds):
            return "gnuplot did not finish \(script) within \(seconds) s and was stopped (RAMBO_GNUPLOT_TIMEOUT "
                + "sets the limit)"
        }
    }
}

/// The gnuplot text for a figure. Pure functions of the figure: tests compare their output directly.
public enum GnuplotScript {
    /// Checks what gnuplot would choke on or silently mis-draw.
    public static func validate(_ figure: Figure) throws {
        guard !figure.name.isEmpty,
            figure.name.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic
                        || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
            })
        else { throw GnuplotError.invalidFigure("name '\(figure.name)' must be letters, digits, - or _") }
        guard !figure.panels.isEmpty else { throw GnuplotError.invalidFigure("\(figure.name) has no panel") }
        guard figure.width > 0, figure.height > 0 else {
            throw GnuplotError.invalidFigure("\(figure.name) has size \(figure.width)×\(figure.height)")
        }
        for (p, panel) in figure.panels.enumerated() {
            for (s, series) in panel.series.enumerated() {
                let place = "\(figure.name) panel \(p) series \(s)"
                if series.style == .constant {
                    guard series.constant?.isFinite == true else {
                        throw GnuplotError.invalidFigure("\(place): a constant line needs a finite value")
                    }
                    continue
                }
                guard let first = series.columns.first else {
                    throw GnuplotError.invalidFigure("\(place) has no data columns")
                }
                for (c, column) in series.columns.enumerated() where column.count != first.count {
                    throw GnuplotError.invalidFigure(
                        "\(place): column \(c) has \(column.count) values, column 0 has \(first.count)")
                }
            }
        }
        try validateInks(figure)
        let findings = FigureLint.check(script: script(for: figure), data: data(for: figure), name: figure.name)
        if !findings.isEmpty {
            throw GnuplotError.invalidFigure(findings.map(\.description).joined(separator: "; "))
        }
    }

    /// Every ink names a known method, and a method's series keeps the method's marker and dash.
    static func validateInks(_ figure: Figure) throws {
        for (p, panel) in figure.panels.enumerated() {
            for (s, series) in panel.series.enumerated() {
                guard case .method(let name) = series.ink else { continue }
                let place = "\(figure.name) panel \(p) series \(s)"
                guard let look = MethodPalette.styles[name] else {
                    throw GnuplotError.invalidFigure("\(place): no look for method '\(name)' in MethodPalette.styles")
                }
                if let pt = series.pointType, pt != look.pointType {
                    throw GnuplotError.invalidFigure(
                        "\(place): \(name) is drawn with point type \(look.pointType), not \(pt)")
                }
                if let dt = series.dash, dt != look.dash {
                    throw GnuplotError.invalidFigure("\(place): \(name) is drawn with dash \(look.dash), not \(dt)")
                }
            }
            for a in panel.annotations {
                if case .method(let name) = a.ink, MethodPalette.styles[name] == nil {
                    throw GnuplotError.invalidFigure("\(figure.name) panel \(p): no look for method '\(name)'")
                }
            }
        }
    }

    /// The data file: every non-constant series becomes one block, blocks separated by two blank lines so the
    /// script can pick block k with `index k`. Numbers are written in Swift's shortest round-trip form;
    /// non-finite values as `NaN` (gnuplot skips them).
    public static func data(for figure: Figure) -> String {
        var out = "# data for \(figure.name).gp: one block per series, selected with 'index'\n"
        var block = 0
        for (p, panel) in figure.panels.enumerated() {
            for series in panel.series where series.style != .constant {
                if block > 0 { out += "\n\n" }
                out += "# block \(block): panel \(p), \(series.title ?? series.style.rawValue)\n"
                let count = series.columns.first?.count ?? 0
                for row in 0..<count {
                    if let scan = series.scanLength, scan > 0, row > 0, row % scan == 0 { out += "\n" }
                    out += series.columns.map { format($0[row]) }.joined(separator: " ")
                    out += "\n"
                }
                block += 1
            }
        }
        return out
    }

    /// The script. It draws a PNG to `outfile` (default `name.png`) unless the caller defines
    /// `term_override` and sets its own terminal first (`gnuplot -e "term_override=1; set terminal svg" ...`).
    ///
    /// The header carries what the lint reads and gnuplot ignores: the caption (`# caption:`) and the shared
    /// axes (`# shared:`); each panel says which axes hold probabilities (`# probability:`) and what each plotted
    /// series stands for (`# inks:`, in the order of the plot clauses).
    public static func script(for unresolved: Figure) -> String {
        let figure = resolved(unresolved)
        let font = Int(FigureRules.fontPoints)
        let caption = figure.caption.split(whereSeparator: \.isNewline).joined(separator: " ")
        var s = """
            # \(figure.name).gp — generated by RaMBO-Swift; run `gnuplot \(figure.name).gp` in this folder.
            # caption: \(caption)

            """
        if !figure.shared.isEmpty { s += "# shared: \(axesText(figure.shared))\n" }
        s += """
            set encoding utf8
            if (!exists("outfile")) outfile = '\(figure.name).png'
            if (!exists("term_override")) {
                set terminal pngcairo enhanced size \(figure.width),\(figure.height) font 'DejaVu Sans,\(font)' linewidth 1
                set output outfile
            }
            datafile = '\(figure.name).dat'
            set style fill transparent solid 0.5 noborder
            set border lw 1

            """
        let multi = figure.panels.count > 1 || figure.title != nil
        if multi {
            s += "set multiplot layout \(figure.rows),\(figure.columns)"
            if let title = figure.title { s += " title \(quote(title)) font ',\(font + 2)'" }
            s += "\n"
        }
        var block = 0
        let cell = cellSize(figure)
        let shared = sharedColorBar(figure)
        let belowKeyLines =
            figure.panels.filter { p in
                p.key == .below || (p.key == .auto && KeyPlacement.emptiestCorner(p, cell: cell) == .below)
            }
            .map { $0.series.filter { $0.title != nil && $0.style != .image }.count }.max() ?? 0
        for (p, panel) in figure.panels.enumerated() {
            var colorBar = ColorBar.own
            if let shared, panel.series.contains(where: { $0.style == .image }) {
                colorBar = p == shared.last ? .shared(shared.range, drawn: true) : .shared(shared.range, drawn: false)
            }
            s += panelScript(panel, firstBlock: &block, cell: cell, colorBar: colorBar, belowKeyLines: belowKeyLines)
        }
        if multi { s += "unset multiplot\n" }
        return s
    }

    /// How a heat-map panel draws its colour bar.
    enum ColorBar {
        case own
        case shared(ClosedRange<Double>, drawn: Bool)
    }

    /// For a figure with `sharedColorBar`: the colour range over every heat-map panel (an explicit
    /// `colorRange` on any panel wins) and the index of the last heat-map panel, which draws the bar.
    static func sharedColorBar(_ figure: Figure) -> (range: ClosedRange<Double>, last: Int)? {
        guard figure.sharedColorBar else { return nil }
        let maps = figure.panels.indices.filter { figure.panels[$0].series.contains { $0.style == .image } }
        guard let last = maps.last else { return nil }
        if let given = maps.compactMap({ figure.panels[$0].colorRange }).first { return (given, last) }
        let values = maps.flatMap { figure.panels[$0].series.filter { $0.style == .image } }
            .flatMap { $0.columns.count > 2 ? $0.columns[2] : [] }.filter(\.isFinite)
        guard let lo = values.min(), let hi = values.max() else { return nil }
        return (lo...(hi > lo ? hi : lo + 1), last)
    }

    /// "x", "y" or "x y".
    static func axesText(_ axes: Axes) -> String {
        [axes.contains(.x) ? "x" : nil, axes.contains(.y) ? "y" : nil].compactMap { $0 }.joined(separator: " ")
    }

    /// Every note the figure's series carry (data the builder had to move, values it could not draw).
    public static func warnings(for figure: Figure) -> [String] {
        figure.panels.flatMap { $0.series.flatMap(\.notes) }.map { "\(figure.name): \($0)" }
    }

    static func panelScript(
        _ panel: Panel, firstBlock block: inout Int, cell: (width: Double, height: Double) = (800, 500),
        colorBar: ColorBar = .own, belowKeyLines: Int = 0
    ) -> String {
        var s = "\n# ---- panel\nreset\n"
        s += "set style fill transparent solid 0.5 noborder\n"
        s += panel.title.map { "set title \(quote($0))\n" } ?? "unset title\n"
        // Slanted category names reach lower than gnuplot allows for: move the x label below them.
        let labelOffset = !panel.xTicks.isEmpty && slantedTicks(panel, cell: cell) ? " offset 0,-0.8" : ""
        s += panel.xLabel.map { "set xlabel \(quote($0))\(labelOffset)\n" } ?? "unset xlabel\n"
        s += panel.yLabel.map { "set ylabel \(quote($0))\n" } ?? "unset ylabel\n"
        s +=
            panel.logX
            ? "set logscale x\n" + logTicks("x", extent(panel, axis: 0))
            : "unset logscale x\n" + linearTicks(panel, cell)
        s += panel.logY ? "set logscale y\n" + logTicks("y", extent(panel, axis: 1)) : "unset logscale y\n"
        if let r = panel.xRange { s += "set xrange [\(format(r.lowerBound)):\(format(r.upperBound))]\n" }
        if let r = panel.yRange { s += "set yrange [\(format(r.lowerBound)):\(format(r.upperBound))]\n" }
        if !panel.probability.isEmpty { s += "# probability: \(axesText(panel.probability))\n" }
        let key = panel.key == .auto ? KeyPlacement.emptiestCorner(panel, cell: cell) : panel.key
        // gnuplot sizes the key box from an average character width, which capitals exceed: widen it by two.
        s += key == .none ? "unset key\n" : "set key \(key.rawValue) box opaque width 2 height 0.5\n"
        if belowKeyLines > 0 {
            // gnuplot sets a key below the plot over the x label unless the bottom margin holds both; when a panel
            // has its key below, every panel gets the margin of the longest such key, so the panels keep one size.
            s += "set bmargin \(belowKeyLines + 5 + (slantedTicks(panel, cell: cell) ? 3 : 0))\n"
        }
        s += panel.grid ? "set grid lc rgb '#dddddd'\n" : "unset grid\n"
        if panel.square { s += "set size ratio -1\n" }
        if let w = panel.boxWidth { s += "set boxwidth \(format(w)) absolute\n" }
        s += tickScript(panel, cell: cell)
        s += paletteScript(panel)
        if case .shared(let range, let drawn) = colorBar {
            s += "set cbrange [\(format(range.lowerBound)):\(format(range.upperBound))]\n"
            // Every panel keeps the same right margin, so the panels have one size; the bar sits in the
            // last panel's margin.
            s += "set rmargin 12\n"
            s += drawn ? "set colorbox user origin graph 1.04, graph 0 size graph 0.05, graph 1\n" : "unset colorbox\n"
        }
        s += textScript(panel)
        var clauses = [String]()
        for series in panel.series {
            if series.style == .constant {
                clauses.append("\(format(series.constant ?? 0)) \(styleClause(series)) \(titleClause(series))")
                continue
            }
            let using: String
            switch series.style {
            case .band: using = "1:2:3"
            case .errorBars, .xErrorBars, .barErrors: using = "1:2:3"
            case .image: using = "1:2:3"
            default: using = "1:2"
            }
            clauses.append("datafile index \(block) using \(using) \(styleClause(series)) \(titleClause(series))")
            block += 1
        }
        s += clauses.isEmpty ? "plot NaN notitle\n" : "plot " + clauses.joined(separator: ", \\\n     ") + "\n"
        return s
    }

    /// Category ticks of a panel: upright names when each fits in its share of the axis, otherwise slanted so that
    /// neighbours do not collide.
    static func tickScript(_ panel: Panel, cell: (width: Double, height: Double)) -> String {
        var s = ""
        if !panel.xTicks.isEmpty {
            let slanted = slantedTicks(panel, cell: cell)
            s +=
                "set xtics (" + panel.xTicks.map { "\(tickQuote($0.label)) \(format($0.at))" }.joined(separator: ", ")
                + (slanted ? ") rotate by \(tickSlant(panel, cell: cell)) right nomirror\n" : ") nomirror\n")
        }
        if !panel.yTicks.isEmpty {
            s +=
                "set ytics (" + panel.yTicks.map { "\(tickQuote($0.label)) \(format($0.at))" }.joined(separator: ", ")
                + ") nomirror\n"
        }
        return s
    }

    /// A panel's texts on opaque white boxes, and the comment that names each plotted series' ink for the lint.
    static func textScript(_ panel: Panel) -> String {
        var s = ""
        if !panel.annotations.isEmpty { s += "set style textbox opaque fillcolor rgb 'white' noborder margins 2,1\n" }
        for a in panel.annotations {
            let color = a.ink?.style?.color ?? OkabeIto.black
            s +=
                "set label \(quote(a.text)) at \(format(a.x)),\(format(a.y)) \(a.align.rawValue) front boxed "
                + "tc rgb \(quote(color))\n"
        }
        let drawn = panel.series.filter { $0.style != .image }
        if !drawn.isEmpty {
            s +=
                "# inks: "
                + drawn.map { "\($0.ink.map(String.init(describing:)) ?? "none")\($0.isHistogram ? " histogram" : "")" }
                .joined(separator: "; ") + "\n"
        }
        return s
    }

    /// The data's extent on one axis (0 = x, 1 = y) over positive values, for log-axis ticks: the panel's range
    /// when it has one.
    static func extent(_ panel: Panel, axis: Int) -> ClosedRange<Double>? {
        if let r = axis == 0 ? panel.xRange : panel.yRange { return r }
        var values = [Double]()
        for series in panel.series {
            if series.style == .constant {
                if axis == 1, let c = series.constant { values.append(c) }
                continue
            }
            let column = axis == 0 ? series.columns.first : series.columns.dropFirst().first
            values += column ?? []
            if axis == 1, series.style == .band, series.columns.count > 2 { values += series.columns[2] }
        }
        let positive = values.filter { $0.isFinite && $0 > 0 }
        guard let lo = positive.min(), let hi = positive.max() else { return nil }
        return lo...hi
    }

    /// Tick marks for a log axis: at powers of ten labelled 10^k when the axis spans two decades or more
    /// (every second or third power over very wide spans), plain decimals (%g) otherwise; never gnuplot's
    /// mixed default ("100000" next to "1×10^6", "0.0000010").
    /// Numbered x ticks far enough apart that their labels do not run into each other: a step of 1, 2, 2.5 or 5
    /// times a power of ten, the smallest that leaves each label twice its width. Empty (gnuplot's choice) for
    /// panels with category ticks, pictures, or no known range.
    static func linearTicks(_ panel: Panel, _ cell: (width: Double, height: Double)) -> String {
        guard panel.xTicks.isEmpty, !panel.series.contains(where: { $0.style == .image }),
            let r = panel.xRange ?? GnuplotScript.dataExtent(panel, axis: 0), r.upperBound > r.lowerBound
        else { return "" }
        let span = r.upperBound - r.lowerBound
        let magnitude = pow(10, (log10(span) - 1).rounded(.down))
        let width = max(40, cell.width - 95)
        for multiple in [1, 2, 2.5, 5, 10, 20, 25, 50, 100] {
            let step = multiple * magnitude
            // The labels are multiples of the step: the widest is at one end or a fractional step.
            let ends = [(r.lowerBound / step).rounded(.down) * step, (r.upperBound / step).rounded(.up) * step, step]
            let widest = ends.map { FigureRules.textBox(String(format: "%g", $0)).width }.max()!
            if width * step / span >= 1.6 * widest { return "set xtics \(format(step))\n" }
        }
        return ""
    }

    static func logTicks(_ axis: String, _ extent: ClosedRange<Double>?) -> String {
        guard let r = extent, r.lowerBound > 0, r.upperBound > r.lowerBound else {
            return "set format \(axis) '%g'\n"
        }
        let first = (log10(r.lowerBound) + 1e-9).rounded(.down)
        let last = (log10(r.upperBound) - 1e-9).rounded(.up)
        let decades = last - first
        guard decades >= 2 else { return "set format \(axis) '%g'\n" }
        let step = decades > 16 ? 3.0 : decades > 9 ? 2.0 : 1.0
        return "set format \(axis) '10^{%L}'\nset \(axis)tics 1e\(Int(first)), \(format(pow(10, step)))\n"
            + "set m\(axis)tics default\n"
    }

    static func paletteScript(_ panel: Panel) -> String {
        guard panel.series.contains(where: { $0.style == .image }) else { return "" }
        // Pictures and heat maps: opaque pixels, axes that end where the data ends.
        var base = "set style fill solid 1.0\nset autoscale xfix\nset autoscale yfix\n"
        if let r = panel.colorRange { base += "set cbrange [\(format(r.lowerBound)):\(format(r.upperBound))]\n" }
        return base + paletteColours(panel)
    }

    static func paletteColours(_ panel: Panel) -> String {
        switch panel.palette {
        case .viridis:
            return "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n"
                + (panel.colorLabel.map { "set cblabel \(quote($0))\n" } ?? "")
        case .diverging:
            return "set palette defined (0 '#2166ac', 0.5 '#f7f7f7', 1 '#b2182b')\n"
                + (panel.colorLabel.map { "set cblabel \(quote($0))\n" } ?? "")
        case .grey, .ink:
            // Pictures: no colour box, no border, ticks only where the panel names them.
            return (panel.palette == .grey ? "set palette gray\n" : "set palette negative gray\n")
                + "unset colorbox\n" + (panel.xTicks.isEmpty ? "unset xtics\n" : "")
                + (panel.yTicks.isEmpty ? "unset ytics\n" : "")
                + (panel.xTicks.isEmpty && panel.yTicks.isEmpty ? "unset border\n" : "")
        }
    }

    static func styleClause(_ series: Series) -> String {
        var s: String
        switch series.style {
        case .constant: s = "with lines"
        case .band: s = "with filledcurves fs transparent solid \(format(series.opacity))"
        case .boxes: s = "with boxes fs transparent solid \(format(series.opacity))"
        case .barErrors: s = "with boxerrorbars fs transparent solid \(format(series.opacity))"
        case .image: return "with image"
        default: s = "with \(series.style.rawValue)"
        }
        let look = series.ink?.style
        if let color = look?.color { s += " lc rgb \(quote(color))" }
        if series.style != .points { s += " lw \(format(series.lineWidth)) dt \(series.dash ?? look?.dash ?? 1)" }
        if [.points, .linesPoints, .errorBars, .xErrorBars].contains(series.style) {
            s += " pt \(series.pointType ?? look?.pointType ?? 7)"
        }
        if let ps = series.pointSize { s += " ps \(format(ps))" }
        return s
    }

    static func titleClause(_ series: Series) -> String {
        series.title.map { "title \(quote($0))" } ?? "notitle"
    }

    /// A gnuplot single-quoted string: no escapes are processed inside, a quote is written twice. Text is drawn
    /// in enhanced mode, so `_` and `^` make sub- and superscripts (f_λ, x^2); `@`, which enhanced mode reads as
    /// a command, is escaped so "R@1" reads as written.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingAll("'", with: "''").replacingAll("@", with: "\\@") + "'"
    }

    /// Whether a panel's category names must be slanted: the widest name is wider than the closest spacing of
    /// two ticks on the estimated plot width.
    static func slantedTicks(_ panel: Panel, cell: (width: Double, height: Double)) -> Bool {
        tickSlant(panel, cell: cell) > 0
    }

    /// The angle in degrees by which a panel's category names are slanted: 0 when the widest fits in its share of
    /// the axis, else the smallest of 25°, 45°, 60° and 90° at which neighbouring names (a text height tall, their
    /// baselines one tick spacing apart) no longer touch.
    static func tickSlant(_ panel: Panel, cell: (width: Double, height: Double)) -> Int {
        guard panel.xTicks.count > 1 else { return 0 }
        let at = panel.xTicks.map(\.at).sorted()
        let gap = zip(at.dropFirst(), at).map { $0 - $1 }.min() ?? 1
        let range = panel.xRange ?? (at.first! - 0.6)...(at.last! + 0.6)
        let width = max(40, cell.width - 95)
        let spacing = width * gap / max(range.upperBound - range.lowerBound, .leastNormalMagnitude)
        let widest = panel.xTicks.map { FigureRules.textBox($0.label).width }.max() ?? 0
        guard widest > 0.9 * spacing else { return 0 }
        let height = FigureRules.textBox("0").height
        return [25, 45, 60].first { spacing * sin(Double($0) * .pi / 180) >= 1.05 * height } ?? 90
    }

    /// A tick label: quoted as text, with `%` doubled (gnuplot reads tick labels as formats).
    static func tickQuote(_ text: String) -> String { quote(text.replacingOccurrences(of: "%", with: "%%")) }

    /// Shortest round-trip decimal for finite values, `NaN` otherwise.
    public static func format(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "NaN"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
