import Foundation
import Testing

@testable import Gnuplot

/// A caption long enough for the rule, for test figures.
let testCaption = "A test figure: its caption says what the reader should look at."

@Suite struct BuilderFeatureTests {
    @Test func histogramsNeverDropValuesOutsideTheirRange() {
        // Bins over [0, 1]: −5 and 7 are outside and land in the end bins; the title and a note say so.
        let h = Series.histogram([-5, 0.1, 0.6, 0.9, 7], bins: 2, range: 0...1, title: "neg")
        #expect(h.columns[1] == [2, 3])
        #expect(h.columns[1].reduce(0, +) == 5)
        #expect(h.title == "neg (2 in end bins)")
        #expect(h.notes.count == 1 && h.notes[0].contains("2 of 5 (40 %) outside"))
        let inside = Series.histogram([0.1, 0.6], bins: 2, range: 0...1, title: "ok")
        #expect(inside.notes.isEmpty && inside.title == "ok")
    }

    @Test func histogramsOfSeveralGroupsShareBinsSpanningAllOfThem() {
        let pair = Series.histograms(
            [
                (values: [0, 1], title: "a", ink: nil),
                (values: [3, 4], title: "b", ink: nil),
            ], bins: 4)
        #expect(pair[0].columns[0] == pair[1].columns[0])
        #expect(pair[0].columns[0] == [0.5, 1.5, 2.5, 3.5])
        #expect(pair[0].columns[1] == [1, 1, 0, 0] && pair[1].columns[1] == [0, 0, 0, 2])
        #expect(pair.allSatisfy { $0.notes.isEmpty && $0.isHistogram })
    }

    @Test func seededBarsCarryMeanAndSampleSD() {
        let bars = Series.bars(x: [1, 2], seeds: [[1, 3], [2, 2]], title: "m")
        #expect(bars.columns[1] == [2, 2])
        #expect(abs(bars.columns[2][0] - 2.0.squareRoot()) < 1e-12 && bars.columns[2][1] == 0)
        let script = GnuplotScript.script(for: Figure(name: "b", caption: testCaption, panel: Panel(series: [bars])))
        #expect(script.contains("using 1:2:3 with boxerrorbars"))
        #expect(Series.bars(x: [1], seeds: [[1]]).notes.count == 1)
    }

    @Test func logAxesAreLabelledWithPowersOfTenOrPlainDecimals() {
        let wide = Panel(logY: true, series: [.lines(x: [1, 2, 3], y: [1e-6, 1e-3, 1])])
        let s = GnuplotScript.script(for: Figure(name: "w", caption: testCaption, panel: wide))
        #expect(s.contains("set format y '10^{%L}'\nset ytics 1e-6, 10.0\n"))
        // Within one decade (0.2 … 0.5 touches only 10^-1 … 10^0): plain decimals.
        let narrow = Panel(logX: true, xRange: 0.2...0.5, series: [.lines(x: [0.2, 0.5], y: [1, 2])])
        #expect(
            GnuplotScript.script(for: Figure(name: "n", caption: testCaption, panel: narrow)).contains(
                "set format x '%g'"))
        let huge = Panel(logX: true, series: [.lines(x: [1e-20, 1], y: [1, 2])])
        #expect(
            GnuplotScript.script(for: Figure(name: "h", caption: testCaption, panel: huge)).contains(
                "set xtics 1e-20, 1000.0"))
    }

    @Test func autoKeyGoesToAnEmptyCornerOrEdgeOrOutside() {
        // A rising line fills top right and bottom left; top left is the first empty corner.
        let rising = Panel(series: [.lines(x: (0...50).map(Double.init), y: (0...50).map(Double.init), title: "up")])
        #expect(KeyPlacement.emptiestCorner(rising, cell: (800, 500)) == .topLeft)
        #expect(
            GnuplotScript.script(for: Figure(name: "r", caption: testCaption, panel: rising))
                .contains("set key top left box opaque width 2 height 0.5"))
        // A falling line leaves the top right free.
        let falling = Panel(series: [.lines(x: [0, 1, 2, 3], y: [3, 1, 0.5, 0.2], title: "down")])
        #expect(KeyPlacement.emptiestCorner(falling, cell: (800, 500)) == .topRight)
        // Lines along the top and the bottom edge: the middle of the right edge is free.
        let bands = Panel(series: [
            .lines(x: [0, 10], y: [10, 10], title: "top"),
            .lines(x: [0, 10], y: [0, 0], title: "bottom"),
        ])
        #expect(KeyPlacement.emptiestCorner(bands, cell: (800, 500)) == .centerRight)
        // Points everywhere: nothing inside is free, the key goes outside.
        let grid = (0...10).flatMap { i in (0...10).map { j in (Double(i), Double(j)) } }
        let full = Panel(series: [.points(x: grid.map(\.0), y: grid.map(\.1), title: "everywhere")])
        #expect(KeyPlacement.emptiestCorner(full, cell: (800, 500)) == .outside)
        // In a narrow panel the key goes below instead, so that the plot keeps its width.
        #expect(KeyPlacement.emptiestCorner(full, cell: (400, 500)) == .below)
        // No titled series: no key.
        #expect(KeyPlacement.emptiestCorner(Panel(series: [.lines(x: [0, 1], y: [0, 1])]), cell: (800, 500)) == .none)
    }

    @Test func sharedColourBarDrawsOneBarOnOneRange() {
        let a = Series.heatMap(x: [0, 1], y: [0, 1], values: [[0, 1], [2, 3]])
        let b = Series.heatMap(x: [0, 1], y: [0, 1], values: [[5, 6], [7, 8]])
        let fig = Figure(
            name: "maps", caption: testCaption, columns: 2, sharedColorBar: true,
            panels: [
                Panel(series: [a]), Panel(series: [b]),
            ])
        let s = GnuplotScript.script(for: fig)
        #expect(s.components(separatedBy: "set cbrange [0.0:8.0]").count == 3)
        #expect(s.components(separatedBy: "unset colorbox").count == 2)
    }

    @Test func ramboIsVermillionAndOnlyRamboIs() {
        let shades = Set(MethodPalette.ramboShades)
        #expect(MethodPalette.styles["rambo-recall"]?.color == OkabeIto.vermillion)
        for (method, look) in MethodPalette.styles {
            #expect(shades.contains(look.color) == MethodPalette.isRambo(method), "\(method) is \(look.color)")
        }
        // No category and no role takes RaMBO's hues.
        for i in 0..<20 { #expect(!shades.contains(Categories.style(i).color)) }
        for role in Role.allCases { #expect(!shades.contains(role.style.color), "\(role)") }
    }

    @Test func baselinesAndRamboVariantsShownTogetherLookDifferent() {
        // Baselines each have their own colour.
        let baselines = ["triplet", "contrastive", "bce", "ce", "bce+ap", "raw-pixels"].map {
            MethodPalette.style($0).color
        }
        #expect(Set(baselines).count == baselines.count)
        // The variants drawn beside RaMBO differ from it and from each other in colour, marker or dash.
        for group in [
            [
                "rambo-recall", "rambo-recall-loglog", "rambo-recall-no-memory", "rambo-recall-no-margin",
                "rambo-recall-query-memory",
            ],
            ["rambo-ap", "rambo-ap-beta0", "rambo-ap-paper"],
            [
                "rambo-map", "rambo-lambda-div5", "rambo-lambda-x5",
                "rambo-no-margin",
            ],
        ] {
            let looks = group.map(MethodPalette.style)
            #expect(Set(looks).count == looks.count, "\(group)")
        }
        // Every ink reads back from the text the scripts carry.
        for ink in [Ink.method("bce+ap"), .role(.meanDifference), .category(3)] { #expect(Ink(ink.description) == ink) }
        #expect(Ink("colour #FF0000") == nil && Ink("role nobody") == nil)
    }
}
