import Foundation

// Before a figure is written, the builder settles what the chapter left open: the ink of each series, the
// ranges the rules fix (bars from 0, probabilities within [0, 1], shared axes, panels with text) and the place of
// every text. Pure functions of the figure.

extension GnuplotScript {
    /// The figure as it will be drawn: every series inked, the ranges the rules fix set, texts placed.
    static func resolved(_ figure: Figure) -> Figure {
        var f = figure
        for p in f.panels.indices { f.panels[p].series = inked(f.panels[p].series) }
        shareRanges(&f)
        let cell = cellSize(f)
        for p in f.panels.indices {
            fixRanges(&f.panels[p])
            place(&f.panels[p], cell: cell)
        }
        return f
    }

    /// The pixel size of one panel's cell in the multiplot grid.
    static func cellSize(_ figure: Figure) -> (width: Double, height: Double) {
        (
            Double(figure.width) / Double(figure.columns),
            Double(figure.height) / Double(figure.rows) - (figure.title == nil ? 0 : 20)
        )
    }

    /// Series without an ink take the first categories whose colours no other series of the panel uses.
    static func inked(_ series: [Series]) -> [Series] {
        var used = Set(series.compactMap { $0.ink?.style?.color })
        var next = 0
        return series.map { s in
            guard s.ink == nil, s.style != .image else { return s }
            while used.contains(Categories.style(next).color) && next < Categories.colors.count { next += 1 }
            var inked = s
            inked.ink = .category(next)
            used.insert(Categories.style(next).color)
            next += 1
            return inked
        }
    }

    /// The span of a panel's data on one axis (0 = x, 1 = y), error bars, bands and constants included; nil
    /// when it has no finite value.
    static func dataExtent(_ panel: Panel, axis: Int) -> ClosedRange<Double>? {
        var values = [Double]()
        for s in panel.series {
            if s.style == .constant {
                if axis == 1, let c = s.constant { values.append(c) }
                continue
            }
            guard s.columns.count >= 2 else { continue }
            if s.style == .image {
                // Pixels are centred on their coordinates and one unit wide.
                let column = s.columns[axis].filter(\.isFinite)
                if let lo = column.min(), let hi = column.max() { values += [lo - 0.5, hi + 0.5] }
                continue
            }
            values += s.columns[axis]
            if axis == 0, s.style == .xErrorBars, s.columns.count > 2 {
                values += zip(s.columns[0], s.columns[2]).flatMap { [$0 + $1, $0 - $1] }
            }
            guard axis == 1, s.columns.count > 2 else { continue }
            switch s.style {
            case .band: values += s.columns[2]
            case .errorBars, .barErrors: values += zip(s.columns[1], s.columns[2]).flatMap { [$0 + $1, $0 - $1] }
            default: break
            }
        }
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return nil }
        return lo...hi
    }

    /// Sets the shared axes of the figure to the union of its panels' ranges (explicit, else their data).
    static func shareRanges(_ figure: inout Figure) {
        for axis in [0, 1] where figure.shared.contains(axis == 0 ? .x : .y) {
            let ranges = figure.panels.compactMap { p -> ClosedRange<Double>? in
                guard !p.series.contains(where: { $0.style == .image }) else { return nil }
                return (axis == 0 ? p.xRange : p.yRange) ?? dataExtent(p, axis: axis)
            }
            guard let lo = ranges.map(\.lowerBound).min(), let hi = ranges.map(\.upperBound).max() else { continue }
            let log = axis == 0 ? figure.panels.contains(where: \.logX) : figure.panels.contains(where: \.logY)
            // Probability axes stay within [0, 1], unpadded.
            let probability = figure.panels.allSatisfy { $0.probability.contains(axis == 0 ? .x : .y) }
            let pad = log || probability ? 0 : 0.03 * (hi - lo)
            let union = probability ? max(0, lo)...min(1, hi) : (lo - pad)...(hi + pad)
            for p in figure.panels.indices where !figure.panels[p].series.contains(where: { $0.style == .image }) {
                if axis == 0 { figure.panels[p].xRange = union } else { figure.panels[p].yRange = union }
            }
        }
    }

    /// Whether the panel draws bars (boxes, with or without error bars).
    static func hasBars(_ panel: Panel) -> Bool {
        panel.series.contains { $0.style == .boxes || $0.style == .barErrors }
    }

    /// Ranges the rules fix when the chapter left them open: bars start at 0 (padding only on the far side),
    /// probability axes span [0, 1], categories get half a slot of room at both ends, panels with text get their
    /// data's span (so that the text can be placed).
    static func fixRanges(_ panel: inout Panel) {
        let image = panel.series.contains { $0.style == .image }
        if panel.yRange == nil, hasBars(panel), !panel.logY {
            let extent = dataExtent(panel, axis: 1) ?? 0...1
            var lo = min(0, extent.lowerBound)
            var hi = max(0, extent.upperBound)
            let pad = 0.06 * max(hi - lo, .leastNormalMagnitude)
            if lo < 0 { lo -= pad }
            if hi > 0 { hi += pad }
            if panel.probability.contains(.y) { hi = min(1, hi) }
            panel.yRange = lo...(hi > lo ? hi : lo + 1)
        }
        if panel.yRange == nil, panel.probability.contains(.y) { panel.yRange = 0...1 }
        if panel.xRange == nil, panel.probability.contains(.x) { panel.xRange = 0...1 }
        if panel.xRange == nil, !panel.xTicks.isEmpty {
            let at = panel.xTicks.map(\.at) + (dataExtent(panel, axis: 0).map { [$0.lowerBound, $0.upperBound] } ?? [])
            panel.xRange = (at.min()! - 0.6)...(at.max()! + 0.6)
        }
        guard !panel.annotations.isEmpty else { return }
        for axis in [0, 1] where (axis == 0 ? panel.xRange : panel.yRange) == nil {
            let anchors = panel.annotations.map { axis == 0 ? $0.x : $0.y }
            let extent = dataExtent(panel, axis: axis)
            let lo = min(extent?.lowerBound ?? anchors.min()!, anchors.min()!)
            let hi = max(extent?.upperBound ?? anchors.max()!, anchors.max()!)
            let pad = image ? 0 : 0.04 * (hi - lo)
            let range = (lo - pad)...(hi > lo ? hi + pad : lo + 1)
            if axis == 0 { panel.xRange = range } else { panel.yRange = range }
        }
    }

    /// The estimated plot area of a panel in pixels (see `FigureRules.plotArea`).
    static func plotArea(_ panel: Panel, cell: (width: Double, height: Double)) -> (width: Double, height: Double) {
        let image = panel.series.first { $0.style == .image }
        let colorBox = image != nil && (panel.palette == .viridis || panel.palette == .diverging)
        let xr = panel.xRange ?? 0...1
        let yr = panel.yRange ?? 0...1
        return FigureRules.plotArea(
            cell: cell, title: panel.title != nil, xLabel: panel.xLabel != nil && image == nil,
            yLabel: panel.yLabel != nil && image == nil, slantedTicks: slantedTicks(panel, cell: cell),
            colorBox: colorBox,
            square: panel.square, xSpan: xr.upperBound - xr.lowerBound, ySpan: yr.upperBound - yr.lowerBound)
    }

    /// Moves each text to the first of its places that overlaps no text placed before it and stays inside the
    /// plot; when none is free, to the nearest free place found by stepping away from its first place by whole
    /// text heights (up, down) and half widths (left, right). A text that fits nowhere keeps its first place (the
    /// lint then reports the overlap).
    static func place(_ panel: inout Panel, cell: (width: Double, height: Double)) {
        guard !panel.annotations.isEmpty, let xr = panel.xRange, let yr = panel.yRange else { return }
        let area = plotArea(panel, cell: cell)
        var placed = [FigureRules.Rect]()
        for a in panel.annotations.indices {
            let label = panel.annotations[a]
            let size = FigureRules.textBox(label.text)
            /// The data point `dx`, `dy` pixels away from the first place.
            func shifted(_ dx: Double, _ dy: Double) -> (x: Double, y: Double) {
                func move(_ v: Double, _ d: Double, _ r: ClosedRange<Double>, _ length: Double, _ log: Bool) -> Double {
                    guard log else { return v + d / length * (r.upperBound - r.lowerBound) }
                    let decades = Foundation.log10(r.upperBound / max(r.lowerBound, .leastNormalMagnitude))
                    return v * pow(10, d / length * decades)
                }
                return (
                    move(label.x, dx, xr, area.width, panel.logX), move(label.y, dy, yr, area.height, panel.logY)
                )
            }
            let steps = (1...8).flatMap { k -> [(Double, Double)] in
                let h = Double(k) * size.height
                let w = Double(k) * size.width / 2
                return [(0, h), (0, -h), (w, 0), (-w, 0), (w, h), (-w, h), (w, -h), (-w, -h)]
            }
            let places = [(x: label.x, y: label.y)] + label.alternatives + steps.map { shifted($0.0, $0.1) }
            let rects = places.map {
                FigureRules.labelRect(
                    label.text, x: $0.x, y: $0.y, align: label.align, xRange: xr, yRange: yr, plot: area,
                    logX: panel.logX, logY: panel.logY)
            }
            let free = rects.indices.first { i in
                rects[i].inside(width: area.width, height: area.height) && !placed.contains { $0.overlaps(rects[i]) }
            }
            let chosen = free ?? 0
            panel.annotations[a].x = places[chosen].x
            panel.annotations[a].y = places[chosen].y
            panel.annotations[a].alternatives = []
            placed.append(rects[chosen])
        }
    }
}
