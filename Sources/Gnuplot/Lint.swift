import Foundation

/// Checks written figures against the course's rules (`FigureRules`), from their `.gp`, `.dat` and `.png` alone.
///
/// The builder runs it on every figure before writing it (`GnuplotScript.validate`), the chapter tests on every
/// figure of a `--quick` run, and `course --lint-figures DIR` on any output folder. Rules: a caption that says
/// what to look at; at most `FigureRules.maxWidth` px wide with tick digits at least `FigureRules.minDigitPixels`
/// tall in the book; every series inked by what it stands for, in the registry's colour, marker and dash, with
/// vermillion for RaMBO only and no two meanings in one look per panel; bars from 0 on a linear axis, over
/// category ticks unless a histogram; probability axes within [0, 1] and declared wherever a label names one;
/// stated axes; shared ranges equal; text boxed, in a panel with fixed ranges, overlapping no other text.
public enum FigureLint {
    /// One broken rule in one figure.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public let figure: String
        /// caption, size, png, ink, bars, categories, probability, axes, shared, text.
        public let rule: String
        public let message: String
        public var description: String { "\(figure): [\(rule)] \(message)" }
    }

    /// The findings for one figure: its script, its data (nil skips the data checks) and its PNG (nil skips
    /// the size check of the picture).
    public static func check(script: String, data: String?, name: String, png: Data? = nil) -> [Finding] {
        let model = ScriptModel(script)
        var out = [Finding]()
        func add(_ rule: String, _ message: String) { out.append(Finding(figure: name, rule: rule, message: message)) }
        if let problem = FigureRules.captionProblem(model.caption ?? "") { add("caption", problem) }
        checkSize(model, png: png, add)
        let blocks = data.map(ScriptModel.blocks)
        for (p, panel) in model.panels.enumerated() {
            let at = model.panels.count > 1 ? "panel \(p + 1): " : ""
            checkInks(panel) { add($0, at + $1) }
            checkAxes(panel, blocks: blocks) { add($0, at + $1) }
            checkText(panel, model: model) { add($0, at + $1) }
        }
        for axis in [Axes.x, .y] where model.shared.contains(axis) {
            let ranges = model.panels.filter { !$0.image && $0.hasData }.map { axis == .x ? $0.xRange : $0.yRange }
            let texts = Set(ranges.map { r in r.map { "\($0.lo ?? .nan):\($0.hi ?? .nan)" } ?? "auto" })
            if texts.count > 1 || texts.contains("auto") {
                add(
                    "shared",
                    "the \(axis == .x ? "x" : "y") axis is shared but the panels' ranges differ: \(texts.sorted())")
            }
        }
        return out
    }

    static func checkSize(_ model: ScriptModel, png: Data?, _ add: (String, String) -> Void) {
        guard let width = model.width, let height = model.height else {
            add("size", "no pngcairo terminal size")
            return
        }
        if width > FigureRules.maxWidth {
            add("size", "\(width) px wide: at most \(FigureRules.maxWidth) (split the panels into figures)")
        }
        let digits = FigureRules.digitPixels(fontPoints: model.fontPoints ?? 0, width: width)
        if digits < FigureRules.minDigitPixels - 1e-9 {
            add(
                "size",
                "tick digits are \(String(format: "%.1f", digits)) px tall in the book's \(FigureRules.bookColumn) px "
                    + "column (at least \(Int(FigureRules.minDigitPixels)))")
        }
        if let png {
            let bytes = [UInt8](png.prefix(24))
            func be32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
            if bytes.count < 24 || Array(bytes[12..<16]) != Array("IHDR".utf8) {
                add("png", "the PNG has no IHDR header")
            } else if be32(16) != width || be32(20) != height {
                add("png", "the PNG is \(be32(16))×\(be32(20)), the script says \(width)×\(height)")
            }
        }
    }

    static func checkInks(_ panel: ScriptModel.PanelModel, _ add: (String, String) -> Void) {
        let drawn = panel.clauses.filter { $0.style != "image" }
        guard !drawn.isEmpty else { return }
        guard let inks = panel.inks, inks.count == drawn.count else {
            add("ink", "\(drawn.count) series but \(panel.inks?.count ?? 0) inks: every series says what it stands for")
            return
        }
        var seen = [(ink: Ink, look: SeriesLook, clause: ScriptModel.Clause)]()
        for (clause, text) in zip(drawn, inks) {
            let name = clause.title.map { "'\($0)'" } ?? "an untitled \(clause.style)"
            guard let ink = Ink(text.replacingOccurrences(of: " histogram", with: "")), let look = ink.style else {
                add("ink", "\(name) has the unknown ink '\(text)'")
                continue
            }
            if let problem = inkProblem(clause, ink: ink, look: look) { add("ink", "\(name) \(problem)") }
            for other in seen where other.ink != ink && other.look.color == look.color {
                if looksAlike(clause, other.clause) {
                    add(
                        "ink",
                        "\(name) (\(ink)) and \(other.clause.title ?? "another series") (\(other.ink)) look the same")
                }
            }
            seen.append((ink, look, clause))
        }
    }

    /// Whether two clauses of one colour would be mistaken for each other: both lines with one dash (and no
    /// telling markers), both markers of one shape, or both filled areas. A line and a marker are told apart.
    static func looksAlike(_ a: ScriptModel.Clause, _ b: ScriptModel.Clause) -> Bool {
        let lines: Set<String> = ["lines", "steps", "linespoints", "", "impulses"]
        let markers: Set<String> = ["points", "linespoints", "yerrorbars", "xerrorbars"]
        let areas: Set<String> = ["boxes", "boxerrorbars", "filledcurves"]
        func has(_ kind: Set<String>, _ c: ScriptModel.Clause) -> Bool {
            kind.contains(c.style.hasPrefix("filledcurves") ? "filledcurves" : c.style)
        }
        let markersDiffer = has(markers, a) && has(markers, b) && a.pointType != b.pointType
        if has(lines, a) && has(lines, b) { return a.dash == b.dash && !markersDiffer }
        if has(markers, a) && has(markers, b) { return !markersDiffer }
        return has(areas, a) && has(areas, b)
    }

    /// What is wrong with one clause's colour, marker, dash or title for its ink, or nil.
    static func inkProblem(_ clause: ScriptModel.Clause, ink: Ink, look: SeriesLook) -> String? {
        if clause.color != look.color.uppercased() {
            return "is drawn in \(clause.color ?? "gnuplot's default"), but \(ink) is \(look.color)"
        }
        var isRambo = false
        if case .method(let method) = ink {
            isRambo = MethodPalette.isRambo(method)
            if let dt = clause.dash, dt != look.dash { return "has dash \(dt), but \(ink) is drawn with \(look.dash)" }
            if let pt = clause.pointType, pt != look.pointType {
                return "has point type \(pt), but \(ink) is drawn with \(look.pointType)"
            }
        }
        if !isRambo && MethodPalette.ramboShades.map({ $0.uppercased() }).contains(look.color.uppercased()) {
            return "is drawn in vermillion, which is RaMBO's alone"
        }
        guard let title = clause.title?.lowercased() else { return nil }
        // A series titled after RaMBO is one of RaMBO's methods (or a blend with it); a role may mention it ("level
        // with full RaMBO").
        var mentionsRambo = false
        switch ink {
        case .method(let method): mentionsRambo = method.contains("rambo")
        case .role: mentionsRambo = true
        case .category: mentionsRambo = false
        }
        if title.contains("rambo") && !mentionsRambo { return "names RaMBO but is inked \(ink)" }
        if MethodPalette.styles[title] != nil && ink != .method(title) { return "names a method but is inked \(ink)" }
        let roles: [(String, Role)] = [("chance", .chance), ("one seed", .oneSeed), ("mean δ", .meanDifference)]
        for (prefix, role) in roles where title.hasPrefix(prefix) && ink != .role(role) {
            return "is a \(role.rawValue) but is inked \(ink)"
        }
        return nil
    }

    static func checkAxes(_ panel: ScriptModel.PanelModel, blocks: [[[Double]]]?, _ add: (String, String) -> Void) {
        guard panel.hasData, !panel.image else { return }
        if panel.yLabel == nil && !panel.yCategories { add("axes", "no y label and no category ticks") }
        if panel.xLabel == nil && !panel.categories { add("axes", "no x label and no category ticks") }
        let bars = panel.clauses.filter { $0.style == "boxes" || $0.style == "boxerrorbars" }
        if !bars.isEmpty {
            if panel.logY {
                add("bars", "bars on a log axis cannot start at 0: draw points")
            } else if let r = panel.yRange, let lo = r.lo, let hi = r.hi, lo <= 0, hi >= 0 {
            } else {
                add("bars", "bars must start at 0: the y range must be fixed and hold 0 (or draw a dot plot)")
            }
            let histograms = (panel.inks ?? []).filter { $0.hasSuffix(" histogram") }.count
            if bars.count > histograms && !panel.categories {
                add("categories", "bars over categories need category ticks (Panel.xTicks)")
            }
        }
        if panel.categories && panel.logX { add("categories", "category ticks on a log axis") }
        for (axis, label) in [(Axes.x, panel.xLabel), (.y, panel.yLabel)] {
            let name = axis == .x ? "x" : "y"
            if !panel.probability.contains(axis) {
                if let label, FigureRules.looksLikeProbability(label) {
                    add("probability", "the \(name) label '\(label)' names a probability: declare the axis probability")
                }
                continue
            }
            let range = axis == .x ? panel.xRange : panel.yRange
            guard let lo = range?.lo, let hi = range?.hi, lo >= -1e-12, hi <= 1 + 1e-12, lo < hi else {
                add("probability", "the \(name) axis holds a probability but its range is not fixed within [0, 1]")
                continue
            }
            let values = probabilityValues(panel, axis: axis, blocks: blocks)
            if let bad = values.first(where: { $0 < -1e-9 || $0 > 1 + 1e-9 }) {
                add("probability", "the \(name) axis holds a probability, but its data hold \(bad)")
            }
        }
    }

    /// The values a panel draws on one axis (x: the first data column; y: the second, and constants).
    static func probabilityValues(_ panel: ScriptModel.PanelModel, axis: Axes, blocks: [[[Double]]]?) -> [Double] {
        var values = [Double]()
        for c in panel.clauses {
            if let k = c.constant, axis == .y { values.append(k) }
            guard let b = c.block, let blocks, b < blocks.count else { continue }
            let column = axis == .x ? 0 : 1
            values += blocks[b].compactMap { $0.count > column ? $0[column] : nil }.filter(\.isFinite)
        }
        return values
    }

    static func checkText(_ panel: ScriptModel.PanelModel, model: ScriptModel, _ add: (String, String) -> Void) {
        guard !panel.labels.isEmpty else { return }
        for l in panel.labels where !l.boxed { add("text", "'\(l.text)' has no background box") }
        guard let xr = panel.xRange, let x0 = xr.lo, let x1 = xr.hi, let yr = panel.yRange, let y0 = yr.lo,
            let y1 = yr.hi, x1 > x0, y1 > y0
        else {
            add("text", "texts in a panel without fixed x and y ranges cannot be placed")
            return
        }
        let cell = (
            Double(model.width ?? 800) / Double(model.columns),
            Double(model.height ?? 500) / Double(model.rows) - (model.figureTitle ? 20 : 0)
        )
        let area = FigureRules.plotArea(
            cell: cell, title: panel.title, xLabel: panel.xLabel != nil && !panel.image,
            yLabel: panel.yLabel != nil && !panel.image, slantedTicks: panel.slantedTicks,
            colorBox: panel.image && panel.colorBox, square: panel.square, xSpan: x1 - x0, ySpan: y1 - y0)
        let rects = panel.labels.map {
            FigureRules.labelRect(
                $0.text, x: $0.x, y: $0.y, align: $0.align, xRange: x0...x1, yRange: y0...y1, plot: area,
                logX: panel.logX, logY: panel.logY)
        }
        for i in rects.indices {
            for j in 0..<i where rects[i].overlaps(rects[j]) {
                add("text", "'\(panel.labels[i].text)' overlaps '\(panel.labels[j].text)'")
            }
        }
    }

    /// Lints every `.gp` file under `folder` (recursively, hidden folders skipped) with its `.dat` and `.png`.
    ///
    /// - Returns: the figures checked ("chNN/name" relative to `folder`) and every finding.
    /// - Throws: when the folder cannot be read.
    public static func check(folder: URL) throws -> (figures: [String], findings: [Finding]) {
        let manager = FileManager.default
        guard
            let walker = manager.enumerator(
                at: folder, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: folder.path]) }
        var scripts = [URL]()
        for case let url as URL in walker where url.pathExtension == "gp" { scripts.append(url) }
        scripts.sort { $0.path < $1.path }
        var names = [String]()
        var findings = [Finding]()
        let base = folder.standardizedFileURL.path
        for url in scripts {
            let stem = url.deletingPathExtension()
            var name = stem.standardizedFileURL.path
            if name.hasPrefix(base + "/") { name = String(name.dropFirst(base.count + 1)) }
            names.append(name)
            let script = try String(contentsOf: url, encoding: .utf8)
            let data = try? String(contentsOf: stem.appendingPathExtension("dat"), encoding: .utf8)
            let png = manager.contents(atPath: stem.appendingPathExtension("png").path)
            findings += check(script: script, data: data, name: name, png: png)
        }
        return (names, findings)
    }
}
