// A typed description of a figure: panels of series. Nothing here runs gnuplot; `Script.swift` turns a
// figure into gnuplot text and `Renderer.swift` runs gnuplot-nox on it.

/// A figure: one or more panels laid out in a grid, written as `name.gp` + `name.dat` and rendered to
/// `name.png` (and optionally `name.svg`, or an ASCII preview).
///
/// The builder enforces the course's figure rules (`FigureRules`): a caption that says what to look at, at most
/// `FigureRules.maxWidth` pixels wide, every series drawn by what it stands for (`Ink`), bars from 0,
/// probability axes within [0, 1], categories on categorical axes, shared ranges where panels are compared,
/// text in a box that overlaps no other text. A figure that breaks one is invalid (`GnuplotError.invalidFigure`).
public struct Figure: Sendable {
    /// File stem: letters, digits, `-` and `_` only (checked when written).
    public var name: String
    /// What the reader should look at (at least `FigureRules.minCaptionWords` words): the book prints it under
    /// the figure, the `.gp` file carries it in its header.
    public var caption: String
    /// A title over the whole figure (multi-panel figures), or `nil`.
    public var title: String?
    /// Size of the PNG in pixels; `width` at most `FigureRules.maxWidth`.
    public var width: Int
    public var height: Int
    /// Number of panel columns; rows follow from the panel count.
    public var columns: Int
    public var panels: [Panel]
    /// Heat-map panels on one scale: one colour range spanning every panel's values (unless panels set
    /// `colorRange`) and one colour bar, drawn beside the last heat map, instead of one bar per panel.
    public var sharedColorBar: Bool
    /// Axes whose range is the same in every panel (the union of the panels' data and explicit ranges), for
    /// panels the reader is meant to compare.
    public var shared: Axes

    public init(
        name: String, caption: String, title: String? = nil, width: Int = 800, height: Int = 500,
        columns: Int = 1, sharedColorBar: Bool = false, shared: Axes = [], panels: [Panel]
    ) {
        self.name = name
        self.caption = caption
        self.sharedColorBar = sharedColorBar
        self.shared = shared
        self.title = title
        self.width = width
        self.height = height
        self.columns = max(1, columns)
        self.panels = panels
    }

    /// A figure with a single panel.
    public init(name: String, caption: String, width: Int = 800, height: Int = 500, panel: Panel) {
        self.init(name: name, caption: caption, width: width, height: height, panels: [panel])
    }

    /// Number of panel rows in the layout.
    public var rows: Int { (panels.count + columns - 1) / columns }
}

/// A set of axes (x, y).
public struct Axes: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let x = Axes(rawValue: 1)
    public static let y = Axes(rawValue: 2)
    public static let both: Axes = [.x, .y]
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

/// How a text sits at its point: the point is its left end, its centre or its right end (and always its
/// vertical middle).
public enum TextAlign: String, Sendable {
    case left, center, right
}

/// A text placed at a point in the panel's data coordinates, drawn on an opaque white box.
///
/// The builder places a panel's texts in order; each goes to the first of its places (`x`, `y`, then
/// `alternatives`) where it overlaps no text placed before it and stays inside the plot. A text that fits nowhere
/// makes the figure invalid.
public struct Annotation: Sendable {
    public var text: String
    public var x: Double
    public var y: Double
    /// Further places to try, in order.
    public var alternatives: [(x: Double, y: Double)]
    /// The text's colour; `nil` is black.
    public var ink: Ink?
    public var align: TextAlign

    public init(
        _ text: String, x: Double, y: Double, alternatives: [(x: Double, y: Double)] = [], ink: Ink? = nil,
        align: TextAlign = .left
    ) {
        self.text = text
        self.x = x
        self.y = y
        self.alternatives = alternatives
        self.ink = ink
        self.align = align
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
    /// Axes that carry a probability (AP, precision, recall, R@K, a share): their range stays within [0, 1]
    /// ([0, 1] unless `xRange`/`yRange` narrows it).
    public var probability: Axes
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
    /// Named x ticks (categories) instead of numbers, drawn slanted so that long names do not collide. A panel
    /// of bars that are not a histogram must name its categories.
    public var xTicks: [(label: String, at: Double)]
    /// Named y ticks instead of numbers (rows of a grid, categories on the y axis).
    public var yTicks: [(label: String, at: Double)]
    public var series: [Series]

    public init(
        title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
        logX: Bool = false, logY: Bool = false,
        xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil, probability: Axes = [],
        key: KeyPosition = .auto, grid: Bool = true, square: Bool = false,
        palette: Palette = .viridis, colorLabel: String? = nil, colorRange: ClosedRange<Double>? = nil,
        annotations: [Annotation] = [], boxWidth: Double? = nil,
        xTicks: [(label: String, at: Double)] = [], yTicks: [(label: String, at: Double)] = [], series: [Series]
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.xRange = xRange
        self.yRange = yRange
        self.probability = probability
        self.key = key
        self.grid = grid
        self.square = square
        self.palette = palette
        self.colorLabel = colorLabel
        self.colorRange = colorRange
        self.annotations = annotations
        self.boxWidth = boxWidth
        self.xTicks = xTicks
        self.yTicks = yTicks
        self.series = series
    }
}
