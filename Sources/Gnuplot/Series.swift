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
    /// A gnuplot colour ("#1f77b4", "red") or `nil` for the default cycle.
    public var color: String?
    public var lineWidth: Double
    /// gnuplot dash type (1 = solid, 2 = dashed, 3 = dotted ...).
    public var dash: Int
    public var pointType: Int?
    public var pointSize: Double?
    /// Fill opacity for boxes and bands, 0...1.
    public var opacity: Double

    public init(style: SeriesStyle, title: String?, columns: [[Double]], scanLength: Int? = nil,
                constant: Double? = nil, color: String? = nil, lineWidth: Double = 2, dash: Int = 1,
                pointType: Int? = nil, pointSize: Double? = nil, opacity: Double = 0.5) {
        self.style = style
        self.title = title
        self.columns = columns
        self.scanLength = scanLength
        self.constant = constant
        self.color = color
        self.lineWidth = lineWidth
        self.dash = dash
        self.pointType = pointType
        self.pointSize = pointSize
        self.opacity = opacity
    }

    // MARK: - Builders

    /// A polyline through (x[i], y[i]).
    public static func lines(x: [Double], y: [Double], title: String? = nil, color: String? = nil,
                             lineWidth: Double = 2, dash: Int = 1) -> Series {
        Series(style: .lines, title: title, columns: [x, y], color: color, lineWidth: lineWidth, dash: dash)
    }

    /// A piecewise-constant line: y[i] holds from x[i] to x[i+1] (gnuplot `steps`).
    public static func steps(x: [Double], y: [Double], title: String? = nil, color: String? = nil,
                             lineWidth: Double = 2) -> Series {
        Series(style: .steps, title: title, columns: [x, y], color: color, lineWidth: lineWidth)
    }

    /// Unconnected markers at (x[i], y[i]).
    public static func points(x: [Double], y: [Double], title: String? = nil, color: String? = nil,
                              pointType: Int = 7, pointSize: Double = 0.6) -> Series {
        Series(style: .points, title: title, columns: [x, y], color: color, pointType: pointType,
               pointSize: pointSize)
    }

    /// A polyline with a marker at each point.
    public static func linesPoints(x: [Double], y: [Double], title: String? = nil, color: String? = nil,
                                   dash: Int = 1, pointType: Int = 7) -> Series {
        Series(style: .linesPoints, title: title, columns: [x, y], color: color, dash: dash,
               pointType: pointType, pointSize: 0.8)
    }

    /// Points with vertical error bars ±err.
    public static func errorBars(x: [Double], y: [Double], err: [Double], title: String? = nil,
                                 color: String? = nil) -> Series {
        Series(style: .errorBars, title: title, columns: [x, y, err], color: color, pointType: 7, pointSize: 0.6)
    }

    /// A filled band between low[i] and high[i] (for mean ± sd).
    public static func band(x: [Double], low: [Double], high: [Double], title: String? = nil,
                            color: String? = nil, opacity: Double = 0.25) -> Series {
        Series(style: .band, title: title, columns: [x, low, high], color: color, opacity: opacity)
    }

    /// Bars of the given heights centred at x (boxes fill the gaps between neighbouring x).
    public static func bars(x: [Double], height: [Double], title: String? = nil, color: String? = nil,
                            opacity: Double = 0.5) -> Series {
        Series(style: .boxes, title: title, columns: [x, height], color: color, opacity: opacity)
    }

    /// A histogram of `values` with `bins` equal bins over `range` (default: the values' span), drawn as boxes.
    /// Values outside the range are not counted. Heights are counts, or densities when `normalised`.
    public static func histogram(_ values: [Double], bins: Int, range: ClosedRange<Double>? = nil,
                                 title: String? = nil, color: String? = nil, normalised: Bool = false,
                                 opacity: Double = 0.5) -> Series {
        let bins = max(1, bins)
        let lo = range?.lowerBound ?? values.min() ?? 0
        var hi = range?.upperBound ?? values.max() ?? 1
        if hi <= lo { hi = lo + 1 }
        let width = (hi - lo) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for v in values where v >= lo && v <= hi {
            counts[min(bins - 1, Int((v - lo) / width))] += 1
        }
        if normalised, !values.isEmpty { counts = counts.map { $0 / (Double(values.count) * width) } }
        let centres = (0..<bins).map { lo + (Double($0) + 0.5) * width }
        return bars(x: centres, height: counts, title: title, color: color, opacity: opacity)
    }

    /// A heat map of `values[row][col]` over the grid x[col] × y[row].
    public static func heatMap(x: [Double], y: [Double], values: [[Double]], title: String? = nil) -> Series {
        var xs = [Double](), ys = [Double](), zs = [Double]()
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
    public static func constant(_ value: Double, title: String? = nil, color: String? = nil, dash: Int = 2,
                                lineWidth: Double = 2) -> Series {
        Series(style: .constant, title: title, columns: [], constant: value, color: color, lineWidth: lineWidth,
               dash: dash)
    }
}
