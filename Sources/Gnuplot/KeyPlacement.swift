import Foundation

/// Where `.auto` puts a panel's key: the corner its data leaves empty.
///
/// The key's box is estimated from its entries (one text line each, width from the longest title) and the panel's
/// share of the figure in pixels; each series is sampled densely (points, line segments, bar areas, bands,
/// constant lines) in the panel's axis coordinates (log axes in log space). The first empty box wins: the four
/// corners, then the middle of each edge; when all hold data the key goes outside, right of the plot (below it in
/// a panel narrower than 600 px).
/// O(samples) per panel.
enum KeyPlacement {
    static func emptiestCorner(_ panel: Panel, cell: (width: Double, height: Double)) -> KeyPosition {
        let titled = panel.series.filter { $0.title != nil && $0.style != .image }
        guard !titled.isEmpty else { return .none }
        let samples = self.samples(panel)
        guard !samples.isEmpty else { return .topRight }
        // Plot area ≈ the cell less axis labels and title; a key line ≈ 1.3 em, a character ≈ 0.62 em, plus the
        // sample line, the widening the script asks for and padding.
        let plotWidth = max(100, cell.width - 110)
        let plotHeight = max(80, cell.height - 90)
        let longest = titled.map { Double(($0.title ?? "").count) }.max() ?? 0
        let em = FigureRules.emPixels
        let boxWidth = ((longest + 2) * 0.62 * em + 70) / plotWidth
        let boxHeight = (Double(titled.count) * 1.3 * em + 12) / plotHeight
        let outside: KeyPosition = cell.width < 600 ? .below : .outside
        // A key wider or taller than most of the plot fits in no corner.
        guard boxWidth <= 0.9, boxHeight <= 0.9 else { return outside }
        let xs = samples.map(\.0)
        let ys = samples.map(\.1)
        let (x0, x1) = bounds(xs, panel.xRange, log: panel.logX)
        let (y0, y1) = bounds(ys, panel.yRange, log: panel.logY)
        // Candidate boxes in unit coordinates (u0, u1, v0, v1): the four corners first, then the middle of each edge.
        let w = boxWidth
        let h = boxHeight
        let candidates: [(KeyPosition, Double, Double, Double, Double)] = [
            (.topRight, 1 - w, 1, 1 - h, 1), (.topLeft, 0, w, 1 - h, 1),
            (.bottomRight, 1 - w, 1, 0, h), (.bottomLeft, 0, w, 0, h),
            (.topCenter, 0.5 - w / 2, 0.5 + w / 2, 1 - h, 1), (.centerRight, 1 - w, 1, 0.5 - h / 2, 0.5 + h / 2),
            (.centerLeft, 0, w, 0.5 - h / 2, 0.5 + h / 2), (.bottomCenter, 0.5 - w / 2, 0.5 + w / 2, 0, h),
        ]
        var units: [(u: Double, v: Double)] = samples.map { p in ((p.0 - x0) / (x1 - x0), (p.1 - y0) / (y1 - y0)) }
        units += textSamples(panel, cell: cell)
        for (position, u0, u1, v0, v1) in candidates {
            // A small pad around the box: a line touching the key's border is as bad as one under it.
            let left = u0 - 0.02
            let right = u1 + 0.02
            let bottom = v0 - 0.02
            let top = v1 + 0.02
            let hit = units.contains { p in
                let inX = p.u >= left && p.u <= right
                return inX && p.v >= bottom && p.v <= top
            }
            if !hit { return position }
        }
        // Outside on the right takes width from the plot, below takes height: narrow panels give height.
        return outside
    }

    /// Points covering the boxes of the panel's texts, in unit coordinates of the plot: a key must not cover them.
    static func textSamples(_ panel: Panel, cell: (width: Double, height: Double)) -> [(u: Double, v: Double)] {
        guard !panel.annotations.isEmpty, let xr = panel.xRange, let yr = panel.yRange else { return [] }
        let area = GnuplotScript.plotArea(panel, cell: cell)
        var out = [(u: Double, v: Double)]()
        for a in panel.annotations {
            let r = FigureRules.labelRect(
                a.text, x: a.x, y: a.y, align: a.align, xRange: xr, yRange: yr, plot: area, logX: panel.logX,
                logY: panel.logY)
            for i in 0...4 {
                for j in 0...2 {
                    let x = r.x0 + Double(i) / 4 * (r.x1 - r.x0)
                    let y = r.y0 + Double(j) / 2 * (r.y1 - r.y0)
                    out.append((x / area.width, y / area.height))
                }
            }
        }
        return out
    }

    /// The panel's data as (x, y) samples in axis coordinates (log10 on log axes); lines are sampled between
    /// their points, bars from 0 to their height, constants across the x extent.
    static func samples(_ panel: Panel) -> [(Double, Double)] {
        func tx(_ x: Double) -> Double { panel.logX ? (x > 0 ? log10(x) : .nan) : x }
        func ty(_ y: Double) -> Double { panel.logY ? (y > 0 ? log10(y) : .nan) : y }
        var out = [(Double, Double)]()
        for series in panel.series where series.style != .constant && series.style != .image {
            guard series.columns.count >= 2 else { continue }
            let x = series.columns[0].map(tx)
            let y = series.columns[1].map(ty)
            switch series.style {
            case .lines, .linesPoints, .steps:
                for i in x.indices {
                    out.append((x[i], y[i]))
                    guard i + 1 < x.count else { continue }
                    for t in stride(from: 0.1, to: 1, by: 0.1) {
                        out.append((x[i] + t * (x[i + 1] - x[i]), y[i] + t * (y[i + 1] - y[i])))
                    }
                }
            case .boxes, .barErrors, .impulses:
                let base = panel.logY ? y.filter(\.isFinite).min() ?? 0 : 0
                for i in x.indices {
                    for t in stride(from: 0.0, through: 1, by: 0.1) { out.append((x[i], base + t * (y[i] - base))) }
                    if series.style == .barErrors, series.columns.count > 2 {
                        out.append((x[i], ty(series.columns[1][i] + series.columns[2][i])))
                    }
                }
            case .band:
                let high = series.columns.count > 2 ? series.columns[2].map(ty) : y
                for i in x.indices {
                    for t in stride(from: 0.0, through: 1, by: 0.25) { out.append((x[i], y[i] + t * (high[i] - y[i]))) }
                }
            case .errorBars:
                let err = series.columns.count > 2 ? series.columns[2] : []
                for i in x.indices {
                    out.append((x[i], y[i]))
                    if i < err.count {
                        out.append((x[i], ty(series.columns[1][i] + err[i])))
                        out.append((x[i], ty(series.columns[1][i] - err[i])))
                    }
                }
            default:
                out += zip(x, y).map { ($0, $1) }
            }
        }
        out = out.filter { $0.0.isFinite && $0.1.isFinite }
        let xs = out.map(\.0)
        let (x0, x1) = bounds(xs, panel.xRange, log: panel.logX)
        for series in panel.series where series.style == .constant {
            guard let c = series.constant, ty(c).isFinite else { continue }
            for t in stride(from: 0.0, through: 1, by: 0.02) { out.append((x0 + t * (x1 - x0), ty(c))) }
        }
        return out
    }

    /// The axis ends in axis coordinates: the panel's range when set, the samples' span otherwise.
    static func bounds(_ values: [Double], _ range: ClosedRange<Double>?, log: Bool) -> (Double, Double) {
        var lo: Double
        var hi: Double
        if let r = range {
            lo = log ? log10(max(r.lowerBound, .leastNormalMagnitude)) : r.lowerBound
            hi = log ? log10(max(r.upperBound, .leastNormalMagnitude)) : r.upperBound
        } else {
            lo = values.min() ?? 0
            hi = values.max() ?? 1
        }
        if !(hi > lo) { hi = lo + 1 }
        return (lo, hi)
    }
}
