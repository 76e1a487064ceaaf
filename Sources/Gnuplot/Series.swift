// Series: the things drawn in a panel, each with its data columns.

/// How a series is drawn. The raw value is gnuplot's `with` clause.
public enum SeriesStyle: String, Sendable {
    case lines = "lines"
    case points = "points"
    case linesPoints = "linespoints"
    case steps = "steps"
    case boxes = "boxes"
    case impulses = "impulses"
    /// x, y, error: a point with a vertical error bar.
    case errorBars = "yerrorbars"
    /// x, y, error: a point with a horizontal error bar (dot plots with categories on the y axis).
    case xErrorBars = "xerrorbars"
    /// x, height, error: a bar with a vertical error bar (mean ± sd over seeds).
    case barErrors = "boxerrorbars"
    /// x, low, high: a filled band.
    case band = "filledcurves"
    /// x, y, value on a regular grid: a heat map (also used for pictures).
    case image = "image"
    /// A horizontal line at a constant y; no data columns.
    case constant = "constant"
}

/// One drawn series: a style, a key title and its data columns (all columns have the same length).
public struct Series: Sendable {
    public var style: SeriesStyle
    public var title: String?
    /// Data columns: `columns[c][row]`. For `.image` the rows are (x, y, value) triples in scan order.
    public var columns: [[Double]]
    /// Scan-line length for `.image` data (points per x value), used to insert the blank lines gnuplot needs.
    public var scanLength: Int?
    /// The constant for `.constant` series.
    public var constant: Double?
    /// What the series stands for, which fixes its colour, marker and dash (`Ink`); `nil` takes the next
    /// category of its panel.
    public var ink: Ink?
    public var lineWidth: Double
    /// gnuplot dash type (1 = solid, 2 = dashed, 3 = dotted ...), or `nil` for the ink's. A method's series may
    /// not change its dash or marker: a method looks the same everywhere.
    public var dash: Int?
    /// gnuplot point type, or `nil` for the ink's.
    public var pointType: Int?
    public var pointSize: Double?
    /// Fill opacity for boxes and bands, 0...1.
    public var opacity: Double
    /// What the builder had to do to the data that a reader must know (values outside a histogram's range
    /// counted in its end bins, ...). `Chapter.plot` prints them; `GnuplotScript.warnings` collects them.
    public var notes: [String] = []
    /// Bars of a histogram over a numeric axis (not categories): set by `histogram`.
    public internal(set) var isHistogram = false

    public init(
        style: SeriesStyle, title: String?, columns: [[Double]], scanLength: Int? = nil,
        constant: Double? = nil, ink: Ink? = nil, lineWidth: Double = 2, dash: Int? = nil,
        pointType: Int? = nil, pointSize: Double? = nil, opacity: Double = 0.5
    ) {
        self.style = style
        self.title = title
        self.columns = columns
        self.scanLength = scanLength
        self.constant = constant
        self.ink = ink
        self.lineWidth = lineWidth
        self.dash = dash
        self.pointType = pointType
        self.pointSize = pointSize
        self.opacity = opacity
    }

    // MARK: - Builders

    /// A polyline through (x[i], y[i]).
    public static func lines(
        x: [Double], y: [Double], title: String? = nil, ink: Ink? = nil,
        lineWidth: Double = 2, dash: Int? = nil
    ) -> Series {
        Series(style: .lines, title: title, columns: [x, y], ink: ink, lineWidth: lineWidth, dash: dash)
    }

    /// A piecewise-constant line: y[i] holds from x[i] to x[i+1] (gnuplot `steps`).
    public static func steps(
        x: [Double], y: [Double], title: String? = nil, ink: Ink? = nil,
        lineWidth: Double = 2
    ) -> Series {
        Series(style: .steps, title: title, columns: [x, y], ink: ink, lineWidth: lineWidth)
    }

    /// Unconnected markers at (x[i], y[i]).
    public static func points(
        x: [Double], y: [Double], title: String? = nil, ink: Ink? = nil,
        pointType: Int? = nil, pointSize: Double = 0.6
    ) -> Series {
        Series(
            style: .points, title: title, columns: [x, y], ink: ink, pointType: pointType,
            pointSize: pointSize)
    }

    /// A polyline with a marker at each point.
    public static func linesPoints(
        x: [Double], y: [Double], title: String? = nil, ink: Ink? = nil,
        dash: Int? = nil, pointType: Int? = nil
    ) -> Series {
        Series(
            style: .linesPoints, title: title, columns: [x, y], ink: ink, dash: dash,
            pointType: pointType, pointSize: 0.8)
    }

    /// Points with vertical error bars ±err.
    public static func errorBars(
        x: [Double], y: [Double], err: [Double], title: String? = nil,
        ink: Ink? = nil, pointSize: Double = 0.8
    ) -> Series {
        Series(style: .errorBars, title: title, columns: [x, y, err], ink: ink, pointSize: pointSize)
    }

    /// Points with horizontal error bars ±err (a dot plot whose categories are on the y axis).
    public static func xErrorBars(
        x: [Double], y: [Double], err: [Double], title: String? = nil,
        ink: Ink? = nil, pointSize: Double = 0.8
    ) -> Series {
        Series(style: .xErrorBars, title: title, columns: [x, y, err], ink: ink, pointSize: pointSize)
    }

    /// A filled band between low[i] and high[i] (for mean ± sd).
    public static func band(
        x: [Double], low: [Double], high: [Double], title: String? = nil,
        ink: Ink? = nil, opacity: Double = 0.25
    ) -> Series {
        Series(style: .band, title: title, columns: [x, low, high], ink: ink, opacity: opacity)
    }

    /// Bars of the given heights centred at x (boxes fill the gaps between neighbouring x).
    public static func bars(
        x: [Double], height: [Double], title: String? = nil, ink: Ink? = nil,
        opacity: Double = 0.5
    ) -> Series {
        Series(style: .boxes, title: title, columns: [x, height], ink: ink, opacity: opacity)
    }

    /// Bars of mean height over seeds with ±1 sample standard deviation as error bars:
    /// `seeds[i]` holds bar i's value in every seeded run (one run draws no error bar, and says so in `notes`).
    public static func bars(
        x: [Double], seeds: [[Double]], title: String? = nil, ink: Ink? = nil,
        opacity: Double = 0.5
    ) -> Series {
        let means = seeds.map { $0.isEmpty ? Double.nan : $0.reduce(0, +) / Double($0.count) }
        let sds = zip(seeds, means).map { values, m -> Double in
            guard values.count > 1 else { return 0 }
            return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        }
        var series = Series(
            style: .barErrors, title: title, columns: [x, means, sds], ink: ink,
            lineWidth: 1.5, opacity: opacity)
        if seeds.contains(where: { $0.count < 2 }) {
            series.notes.append("\(title ?? "bars"): a bar from fewer than 2 seeds has no error bar")
        }
        return series
    }

    /// A histogram of `values` with `bins` equal bins over `range` (default: the values' span), drawn as boxes.
    /// Heights are counts, or densities when `normalised`. No value is ever dropped: values below or above an
    /// explicit `range` are counted in the first or last bin, the key title says how many, and `notes` carries
    /// a warning. Non-finite values are not counted and are reported the same way.
    public static func histogram(
        _ values: [Double], bins: Int, range: ClosedRange<Double>? = nil,
        title: String? = nil, ink: Ink? = nil, normalised: Bool = false,
        opacity: Double = 0.5
    ) -> Series {
        let bins = max(1, bins)
        let finite = values.filter(\.isFinite)
        let lo = range?.lowerBound ?? finite.min() ?? 0
        var hi = range?.upperBound ?? finite.max() ?? 1
        if hi <= lo { hi = lo + 1 }
        let width = (hi - lo) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        var below = 0
        var above = 0
        for v in finite {
            if v < lo { below += 1 } else if v > hi { above += 1 }
            counts[max(0, min(bins - 1, Int(((v - lo) / width).rounded(.down))))] += 1
        }
        if normalised, !finite.isEmpty { counts = counts.map { $0 / (Double(finite.count) * width) } }
        let centres = (0..<bins).map { lo + (Double($0) + 0.5) * width }
        var label = title
        var notes = [String]()
        let outside = below + above
        if outside > 0 {
            let share = 100 * Double(outside) / Double(values.count)
            let text =
                "\(outside) of \(values.count) (\(share < 1 ? "<1" : String(Int(share.rounded()))) %) outside "
                + "[\(lo), \(hi)], counted in the end bins"
            notes.append("histogram \(title ?? ""): \(text)")
            label = (title.map { $0 + " " } ?? "") + "(\(outside) in end bins)"
        }
        if finite.count < values.count {
            notes.append("histogram \(title ?? ""): \(values.count - finite.count) non-finite values not counted")
        }
        var series = bars(x: centres, height: counts, title: label, ink: ink, opacity: opacity)
        series.notes = notes
        series.isHistogram = true
        return series
    }

    /// Histograms of several groups on one set of bins spanning all groups' values together, so that no group
    /// loses values to bins fitted to another (the margin-collapse defect: bins fixed to one step's range).
    public static func histograms(
        _ groups: [(values: [Double], title: String?, ink: Ink?)], bins: Int,
        normalised: Bool = false, opacity: Double = 0.5
    ) -> [Series] {
        let all = groups.flatMap { $0.values.filter(\.isFinite) }
        let range = (all.min() ?? 0)...(all.max() ?? 1)
        return groups.map {
            histogram(
                $0.values, bins: bins, range: range, title: $0.title, ink: $0.ink, normalised: normalised,
                opacity: opacity)
        }
    }

    /// A heat map of `values[row][col]` over the grid x[col] × y[row].
    public static func heatMap(x: [Double], y: [Double], values: [[Double]], title: String? = nil) -> Series {
        var xs = [Double]()
        var ys = [Double]()
        var zs = [Double]()
        for (c, xv) in x.enumerated() {
            for (r, yv) in y.enumerated() {
                xs.append(xv)
                ys.append(yv)
                zs.append(r < values.count && c < values[r].count ? values[r][c] : .nan)
            }
        }
        return Series(style: .image, title: title, columns: [xs, ys, zs], scanLength: y.count)
    }

    /// A picture: `pixels[row][col]`, row 0 at the top, drawn with unit pixels at x = col, y = −row.
    /// Use a `.grey` or `.ink` palette on the panel.
    public static func image(_ pixels: [[Double]]) -> Series {
        let height = pixels.count
        let width = pixels.first?.count ?? 0
        return heatMap(x: (0..<width).map(Double.init), y: (0..<height).map { -Double($0) }, values: pixels)
    }

    /// A horizontal reference line at y = `value`.
    public static func constant(
        _ value: Double, title: String? = nil, ink: Ink? = nil, dash: Int? = nil,
        lineWidth: Double = 2
    ) -> Series {
        Series(
            style: .constant, title: title, columns: [], constant: value, ink: ink, lineWidth: lineWidth,
            dash: dash)
    }
}
