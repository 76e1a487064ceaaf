// A typed description of a figure: panels of series. Nothing here runs gnuplot; `Script.swift` turns a
// figure into gnuplot text and `Renderer.swift` runs gnuplot-nox on it.

/// A figure: one or more panels laid out in a grid, written as `name.gp` + `name.dat` and rendered to
/// `name.png` (and optionally `name.svg`, or an ASCII preview).
public struct Figure: Sendable {
    /// File stem: letters, digits, `-` and `_` only (checked when written).
    public var name: String
    /// A title over the whole figure (multi-panel figures), or `nil`.
    public var title: String?
    /// Size of the PNG in pixels.
    public var width: Int
    public var height: Int
    /// Number of panel columns; rows follow from the panel count.
    public var columns: Int
    public var panels: [Panel]
    /// Heat-map panels on one scale: one colour range spanning every panel's values (unless panels set
    /// `colorRange`) and one colour bar, drawn beside the last heat map, instead of one bar per panel.
    public var sharedColorBar: Bool

    public init(
        name: String, title: String? = nil, width: Int = 800, height: Int = 500, columns: Int = 1,
        sharedColorBar: Bool = false, panels: [Panel]
    ) {
        self.name = name
        self.sharedColorBar = sharedColorBar
        self.title = title
        self.width = width
        self.height = height
        self.columns = max(1, columns)
        self.panels = panels
    }

    /// A figure with a single panel.
    public init(name: String, width: Int = 800, height: Int = 500, panel: Panel) {
        self.init(name: name, width: width, height: height, panels: [panel])
    }

    /// Number of panel rows in the layout.
    public var rows: Int { (panels.count + columns - 1) / columns }
}

/// Where a panel draws its key (legend).
///
/// `.auto` (the default) puts the key in the corner of the plot that its data leaves empty, estimated from the
/// key's size and every series' points and line segments, then the middle of an edge; when no such place is
/// empty the key goes outside, right of the plot.
public enum KeyPosition: String, Sendable {
    case auto = "auto"
    case topLeft = "top left"
    case topRight = "top right"
    case bottomLeft = "bottom left"
    case bottomRight = "bottom right"
    case topCenter = "top center"
    case bottomCenter = "bottom center"
    case centerLeft = "left center"
    case centerRight = "right center"
    case outside = "outside right top"
    case below = "below"
    case none = "off"
}

/// Colour maps for heat maps and images.
public enum Palette: Sendable {
    /// A perceptually ordered blue → green → yellow map (viridis-like), for heat maps.
    case viridis
    /// Black → white, for pictures (0 = black, 1 = white).
    case grey
    /// White → black, for pictures of ink on paper (0 = white, 1 = black).
    case ink
    /// Blue → white → red, for signed values centred on zero.
    case diverging
}

/// A text placed at a point in the panel's data coordinates.
public struct Annotation: Sendable {
    public var text: String
    public var x: Double
    public var y: Double
    public init(_ text: String, x: Double, y: Double) {
        self.text = text
        self.x = x
        self.y = y
    }
}

/// One set of axes with its series.
public struct Panel: Sendable {
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var logX: Bool
    public var logY: Bool
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var key: KeyPosition
    public var grid: Bool
    /// Equal units on both axes (for embeddings, images and 2-D slices).
    public var square: Bool
    public var palette: Palette
    /// Label of the colour box for heat maps; the box is hidden for `.grey`/`.ink` pictures.
    public var colorLabel: String?
    /// Values mapped to the ends of the palette (gnuplot `cbrange`); set it to compare heat maps across panels.
    public var colorRange: ClosedRange<Double>?
    public var annotations: [Annotation]
    /// Width of every box in data units (grouped bars), or `nil` for gnuplot's default (boxes touch).
    public var boxWidth: Double?
    /// Named x ticks (categories) instead of numbers, drawn slanted so that long names do not collide.
    public var xTicks: [(label: String, at: Double)]
    public var series: [Series]

    public init(
        title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
        logX: Bool = false, logY: Bool = false,
        xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
        key: KeyPosition = .auto, grid: Bool = true, square: Bool = false,
        palette: Palette = .viridis, colorLabel: String? = nil, colorRange: ClosedRange<Double>? = nil,
        annotations: [Annotation] = [], boxWidth: Double? = nil,
        xTicks: [(label: String, at: Double)] = [], series: [Series]
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.xRange = xRange
        self.yRange = yRange
        self.key = key
        self.grid = grid
        self.square = square
        self.palette = palette
        self.colorLabel = colorLabel
        self.colorRange = colorRange
        self.annotations = annotations
        self.boxWidth = boxWidth
        self.xTicks = xTicks
        self.series = series
    }
}
