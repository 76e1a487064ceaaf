import Foundation

/// The course's figure rules, their numbers, and the small text and layout model they are checked with.
///
/// The builder (`GnuplotScript`) writes figures that follow them, and checks its own output with `FigureLint`
/// before anything is written; the lint checks any `.gp`/`.dat` folder against the same rules.
public enum FigureRules {
    /// The widest figure, in pixels: wider ones are split into figures.
    public static let maxWidth = 1000
    /// The book's content column in CSS pixels: `minmax(0,62rem)` at 16 px (Walkthrough's `Book.bookCSS`). A
    /// figure wider than this is shown scaled down to it.
    public static let bookColumn = 992
    /// The font size of every text in a figure, in points (titles are 2 points larger).
    public static let fontPoints = 11.0
    /// The smallest height of a digit in a tick label as the book shows it, in pixels.
    public static let minDigitPixels = 10.0
    /// Height of a digit per point of font size in pngcairo (DejaVu Sans digits are 0.729 em; pngcairo draws a
    /// point as 4/3 px; measured: 10 pt digits are 10 px tall).
    public static let digitPixelsPerPoint = 0.729 * 4 / 3
    /// The fewest words a caption may have.
    public static let minCaptionWords = 8

    /// How tall a digit of a `fontPoints` font appears in the book for a figure `width` pixels wide.
    public static func digitPixels(fontPoints: Double, width: Int) -> Double {
        fontPoints * digitPixelsPerPoint * min(1, Double(bookColumn) / Double(max(1, width)))
    }

    /// Why `caption` does not say what to look at, or nil: empty, fewer than `minCaptionWords` words, or the
    /// generic "Figure NAME of chNN." placeholder.
    public static func captionProblem(_ caption: String) -> String? {
        let text = caption.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return "no caption: say what the reader should look at" }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
        if text.hasPrefix("Figure ") && text.contains(" of ch") && words <= 5 {
            return "placeholder caption '\(text)': say what the reader should look at"
        }
        if words < minCaptionWords {
            return "caption '\(text)' has \(words) words (at least \(minCaptionWords)): say what to look at"
        }
        return nil
    }

    /// Whether an axis label names a probability-valued quantity (AP, mAP, precision, recall, R@K, MAP@R, a
    /// probability or fraction) rather than a difference, a loss or a count of it.
    public static func looksLikeProbability(_ label: String) -> Bool {
        let lower = label.lowercased().filter { $0 != "{" && $0 != "}" }
        for word in ["δ", "Δ", "−", " - ", "minus", "difference", "gain", "loss", "gap", "bias", "error", "log", "sd"]
        where lower.contains(word.lowercased()) {
            return false
        }
        let tokens = lower.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "@" || $0 == "^") })
            .map(String.init)
        let names: Set<String> = [
            "ap", "map", "precision", "recall", "probability", "fraction", "accuracy", "map@r", "ap^50", "map^50",
        ]
        return tokens.contains { names.contains($0) || $0.hasPrefix("r@") || $0.hasPrefix("recall@") }
    }

    // MARK: - Text and layout model

    /// Pixels of one em of the figure font (pngcairo: 4/3 px per point).
    static let emPixels = fontPoints * 4 / 3

    /// The width and height in pixels of `text` drawn in the figure font on its box: about 0.62 em per character
    /// (DejaVu Sans), enhanced-text markup not counted, plus the box's margins.
    static func textBox(_ text: String) -> (width: Double, height: Double) {
        let shown = text.filter { !"{}^_\\".contains($0) }
        return (Double(shown.count) * 0.62 * emPixels + 6, 1.35 * emPixels)
    }

    /// The estimated size in pixels of a panel's plot area: the panel's cell less room for the title, the axis
    /// labels, the tick labels and a colour box; square panels shrink one side to keep equal units.
    static func plotArea(
        cell: (width: Double, height: Double), title: Bool, xLabel: Bool, yLabel: Bool, slantedTicks: Bool,
        colorBox: Bool, square: Bool, xSpan: Double, ySpan: Double
    ) -> (width: Double, height: Double) {
        var w = cell.width - (yLabel ? 75 : 55) - (colorBox ? 90 : 20)
        var h = cell.height - (title ? 30 : 12) - (xLabel ? 45 : 28) - (slantedTicks ? 40 : 0)
        w = max(40, w)
        h = max(40, h)
        if square, xSpan > 0, ySpan > 0 {
            let unit = min(w / xSpan, h / ySpan)
            w = unit * xSpan
            h = unit * ySpan
        }
        return (w, h)
    }

    /// A text's box in plot pixels (origin bottom left) at data point (x, y), given the plot's ranges and size.
    static func labelRect(
        _ text: String, x: Double, y: Double, align: TextAlign, xRange: ClosedRange<Double>,
        yRange: ClosedRange<Double>, plot: (width: Double, height: Double), logX: Bool = false, logY: Bool = false
    ) -> Rect {
        func unit(_ v: Double, _ r: ClosedRange<Double>, _ log: Bool) -> Double {
            if log {
                let lo = Foundation.log10(max(r.lowerBound, .leastNormalMagnitude))
                let hi = Foundation.log10(max(r.upperBound, .leastNormalMagnitude))
                return (Foundation.log10(max(v, .leastNormalMagnitude)) - lo) / max(hi - lo, .leastNormalMagnitude)
            }
            return (v - r.lowerBound) / max(r.upperBound - r.lowerBound, .leastNormalMagnitude)
        }
        let size = textBox(text)
        let px = unit(x, xRange, logX) * plot.width
        let py = unit(y, yRange, logY) * plot.height
        let left: Double
        switch align {
        case .left: left = px - 3
        case .center: left = px - size.width / 2
        case .right: left = px - size.width + 3
        }
        return Rect(x0: left, y0: py - size.height / 2, x1: left + size.width, y1: py + size.height / 2)
    }

    /// An axis-aligned rectangle in pixels.
    struct Rect: Equatable {
        var x0, y0, x1, y1: Double
        func overlaps(_ other: Rect, gap: Double = 1) -> Bool {
            x0 < other.x1 + gap && other.x0 < x1 + gap && y0 < other.y1 + gap && other.y0 < y1 + gap
        }
        func inside(width: Double, height: Double, slack: Double = 2) -> Bool {
            x0 >= -slack && y0 >= -slack && x1 <= width + slack && y1 <= height + slack
        }
    }
}
