import Foundation
import Testing

@testable import Gnuplot

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
                (values: [0, 1], title: "a", color: nil),
                (values: [3, 4], title: "b", color: nil),
            ], bins: 4)
        #expect(pair[0].columns[0] == pair[1].columns[0])
        #expect(pair[0].columns[0] == [0.5, 1.5, 2.5, 3.5])
        #expect(pair[0].columns[1] == [1, 1, 0, 0] && pair[1].columns[1] == [0, 0, 0, 2])
        #expect(pair.allSatisfy { $0.notes.isEmpty })
    }

    @Test func seededBarsCarryMeanAndSampleSD() {
        let bars = Series.bars(x: [1, 2], seeds: [[1, 3], [2, 2]], title: "m")
        #expect(bars.columns[1] == [2, 2])
        #expect(abs(bars.columns[2][0] - 2.0.squareRoot()) < 1e-12 && bars.columns[2][1] == 0)
        let script = GnuplotScript.script(for: Figure(name: "b", panel: Panel(series: [bars])))
        #expect(script.contains("using 1:2:3 with boxerrorbars"))
        #expect(Series.bars(x: [1], seeds: [[1]]).notes.count == 1)
    }

    @Test func logAxesAreLabelledWithPowersOfTenOrPlainDecimals() {
        let wide = Panel(logY: true, series: [.lines(x: [1, 2, 3], y: [1e-6, 1e-3, 1])])
        let s = GnuplotScript.script(for: Figure(name: "w", panel: wide))
        #expect(s.contains("set format y '10^{%L}'\nset ytics 1e-6, 10.0\n"))
        // Within one decade (0.2 … 0.5 touches only 10^-1 … 10^0): plain decimals.
        let narrow = Panel(logX: true, xRange: 0.2...0.5, series: [.lines(x: [0.2, 0.5], y: [1, 2])])
        #expect(GnuplotScript.script(for: Figure(name: "n", panel: narrow)).contains("set format x '%g'"))
        let huge = Panel(logX: true, series: [.lines(x: [1e-20, 1], y: [1, 2])])
        #expect(GnuplotScript.script(for: Figure(name: "h", panel: huge)).contains("set xtics 1e-20, 1000.0"))
    }

    @Test func autoKeyGoesToAnEmptyCornerOrEdgeOrOutside() {
        // A rising line fills top right and bottom left; top left is the first empty corner.
        let rising = Panel(series: [.lines(x: (0...50).map(Double.init), y: (0...50).map(Double.init), title: "up")])
        #expect(KeyPlacement.emptiestCorner(rising, cell: (800, 500)) == .topLeft)
        #expect(GnuplotScript.script(for: Figure(name: "r", panel: rising)).contains("set key top left box opaque"))
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
        // No titled series: no key.
        #expect(KeyPlacement.emptiestCorner(Panel(series: [.lines(x: [0, 1], y: [0, 1])]), cell: (800, 500)) == .none)
    }

    @Test func sharedColourBarDrawsOneBarOnOneRange() {
        let a = Series.heatMap(x: [0, 1], y: [0, 1], values: [[0, 1], [2, 3]])
        let b = Series.heatMap(x: [0, 1], y: [0, 1], values: [[5, 6], [7, 8]])
        let fig = Figure(
            name: "maps", columns: 2, sharedColorBar: true,
            panels: [
                Panel(series: [a]), Panel(series: [b]),
            ])
        let s = GnuplotScript.script(for: fig)
        #expect(s.components(separatedBy: "set cbrange [0.0:8.0]").count == 3)
        #expect(s.components(separatedBy: "unset colorbox").count == 2)
    }

    @Test func everyMethodHasOneOkabeItoStyle() {
        let methods = [
            "raw-pixels", "rambo-recall", "rambo-ap", "rambo-map", "triplet", "contrastive", "bce", "ce",
            "bce+ap",
        ]
        let allowed = Set(OkabeIto.cycle + [OkabeIto.grey])
        for m in methods { #expect(allowed.contains(MethodPalette.color(m)), "\(m)") }
        // Baselines shown side by side must differ.
        let together = ["raw-pixels", "rambo-recall", "triplet", "contrastive"].map(MethodPalette.color)
        #expect(Set(together).count == together.count)
        let ap = ["bce", "rambo-ap", "bce+ap", "rambo-ap-beta0"].map(MethodPalette.color)
        #expect(Set(ap).count == ap.count)
    }
}

/// Renders one figure holding every series kind and checks the files gnuplot wrote.
@Suite(.enabled(if: Gnuplot.executable != nil, "gnuplot is not installed"))
struct EverySeriesKindRenders {
    @Test func everyKindRendersToACompletePNG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gnuplot-kinds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = (1...20).map(Double.init)
        let y = x.map { 1 / $0 }
        let fig = Figure(
            name: "kinds", title: "every kind", width: 1200, height: 800, columns: 3,
            sharedColorBar: true,
            panels: [
                Panel(
                    title: "lines etc.", logX: true, logY: true,
                    series: [
                        .lines(x: x, y: y, title: "lines", color: MethodPalette.color("rambo-recall")),
                        .steps(x: x, y: y.map { $0 * 2 }, title: "steps"),
                        .points(x: x, y: y.map { $0 * 3 }, title: "points"),
                        .linesPoints(x: x, y: y.map { $0 * 4 }, title: "linespoints"),
                        .constant(0.5, title: "constant"),
                    ]),
                Panel(
                    title: "errors",
                    series: [
                        .errorBars(x: x, y: y, err: y.map { $0 / 4 }, title: "error bars"),
                        .band(x: x, low: y.map { $0 * 0.8 }, high: y.map { $0 * 1.2 }, title: "band"),
                        Series(style: .impulses, title: "impulses", columns: [x, y]),
                    ]),
                Panel(
                    title: "bars",
                    series: [
                        .bars(x: [1, 2, 3], seeds: [[1, 2], [2, 3], [3, 5]], title: "seeded bars"),
                        .bars(x: [4], height: [2], title: "bars"),
                    ]),
                Panel(
                    title: "histograms",
                    series: Series.histograms(
                        [
                            (values: x, title: "a", color: OkabeIto.blue),
                            (values: x.map { $0 + 5 }, title: "b", color: nil),
                        ],
                        bins: 10)),
                Panel(
                    title: "map 1", square: true,
                    series: [.heatMap(x: [0, 1, 2], y: [0, 1], values: [[0, 1, 2], [3, 4, 5]])]),
                Panel(
                    title: "map 2", square: true,
                    series: [.heatMap(x: [0, 1, 2], y: [0, 1], values: [[5, 6, 7], [8, 9, 10]])]),
            ])
        let files = try Gnuplot.render(fig, in: dir)
        let png = try Data(contentsOf: files[0])
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.suffix(8).starts(with: Array("IEND".utf8)))  // the last chunk: the file is complete
        let script = try String(contentsOf: dir.appendingPathComponent("kinds.gp"), encoding: .utf8)
        for clause in [
            "with lines", "with steps", "with points", "with linespoints", "with yerrorbars",
            "with filledcurves", "with impulses", "with boxerrorbars", "with boxes", "with image",
            "set format x '10^{%L}'", "set cbrange [0.0:10.0]", "unset colorbox", "lc rgb '#D55E00'",
        ] {
            #expect(script.contains(clause), "\(clause)")
        }
        let data = try String(contentsOf: dir.appendingPathComponent("kinds.dat"), encoding: .utf8)
        #expect(data.contains("1.0 1.5 0.7071067811865476\n"))  // seeded bar: mean 1.5, sd √½
    }
}
