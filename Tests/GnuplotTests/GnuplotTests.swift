import Foundation
import Testing

@testable import Gnuplot

@Suite struct ScriptTests {
    let figure = Figure(
        name: "demo", caption: "A demo figure whose caption says what the reader should look at.",
        panel: Panel(
            title: "It's a demo", xLabel: "x", yLabel: "R@1", logY: true, key: .bottomLeft,
            series: [
                .lines(x: [1, 2, 3], y: [10, 100, 1000], title: "growth"),
                .points(x: [1.5], y: [.nan], title: "missing"),
                .constant(50, title: "level"),
            ]))

    @Test func dataHasOneBlockPerSeriesAndWritesNaN() {
        let data = GnuplotScript.data(for: figure)
        #expect(data.contains("1.0 10.0\n2.0 100.0\n3.0 1000.0\n"))
        #expect(data.contains("\n\n\n# block 1: panel 0, missing\n1.5 NaN\n"))
        #expect(!data.contains("block 2"))  // the constant line has no data
    }

    @Test func scriptSelectsBlocksQuotesTextAndSetsAxes() {
        let script = GnuplotScript.script(for: figure)
        #expect(script.contains("set title 'It''s a demo'"))
        #expect(script.contains("set ylabel 'R\\@1'"))
        #expect(script.contains("set logscale y\n"))
        #expect(script.contains("set key bottom left box opaque width 2 height 0.5"))
        // Series without an ink take the panel's first free categories: blue, orange, bluish green.
        #expect(script.contains("datafile index 0 using 1:2 with lines lc rgb '#0072B2' lw 2.0 dt 1 title 'growth'"))
        #expect(script.contains("datafile index 1 using 1:2 with points lc rgb '#E69F00' pt 5 ps 0.6 title 'missing'"))
        #expect(script.contains("50.0 with lines lc rgb '#009E73' lw 2.0 dt 1 title 'level'"))
        #expect(script.contains("# caption: A demo figure whose caption says what the reader should look at.\n"))
        #expect(script.contains("# inks: category 0; category 1; category 2\n"))
        #expect(script.contains("set terminal pngcairo"))
        #expect(!script.contains("multiplot"))
    }

    @Test func multiPanelFiguresUseMultiplotAndNumberBlocksAcrossPanels() {
        let two = Figure(
            name: "two", caption: "Two panels: a line on the left and a histogram on the right.", title: "Two",
            columns: 2,
            panels: [
                Panel(series: [.lines(x: [0, 1], y: [0, 1])]),
                Panel(series: [.histogram([0.1, 0.2, 0.9], bins: 2, range: 0...1)]),
            ])
        let script = GnuplotScript.script(for: two)
        #expect(script.contains("set multiplot layout 1,2 title 'Two'"))
        #expect(script.contains("datafile index 1 using 1:2 with boxes"))
        // Histogram: bins [0, 0.5) and [0.5, 1] hold 2 and 1 values, drawn at their centres.
        #expect(GnuplotScript.data(for: two).contains("0.25 2.0\n0.75 1.0\n"))
    }

    @Test func heatMapsWriteScanLinesAndImagesHideAxes() {
        let map = Series.heatMap(x: [0, 1], y: [5, 6, 7], values: [[1, 2], [3, 4], [5, 6]])
        let fig = Figure(
            name: "heat", caption: "A grey picture of six values, from black (0) to white (6).",
            panel: Panel(palette: .grey, colorRange: 0...6, series: [map]))
        #expect(GnuplotScript.data(for: fig).contains("0.0 5.0 1.0\n0.0 6.0 3.0\n0.0 7.0 5.0\n\n1.0 5.0 2.0\n"))
        let script = GnuplotScript.script(for: fig)
        #expect(script.contains("with image"))
        #expect(script.contains("set palette gray\nunset colorbox"))
        #expect(script.contains("set cbrange [0.0:6.0]"))
    }

    @Test func malformedFiguresAreRejectedWithTheirPlace() {
        let ragged = Figure(
            name: "ragged", caption: "A line whose y column is one value short of its x column.",
            panel: Panel(series: [.lines(x: [1, 2], y: [1])]))
        #expect(throws: GnuplotError.invalidFigure("ragged panel 0 series 0: column 1 has 1 values, column 0 has 2")) {
            try GnuplotScript.validate(ragged)
        }
        let badName = Figure(
            name: "../escape", caption: "A figure whose name would write outside its folder.",
            panel: Panel(series: []))
        #expect(throws: GnuplotError.invalidFigure("name '../escape' must be letters, digits, - or _")) {
            try GnuplotScript.validate(badName)
        }
    }
}

/// Renders real files; needs gnuplot (installed by `make test`).
@Suite(.enabled(if: Gnuplot.executable != nil, "gnuplot is not installed"))
struct RenderTests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gnuplot-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func rendersPNGandSVGandASCII() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fig = Figure(
            name: "sine", caption: "One period and a half of the sine, to check the three outputs.",
            panel: Panel(
                title: "sine", xLabel: "x", yLabel: "sin x",
                series: [
                    .lines(x: (0..<50).map { Double($0) / 8 }, y: (0..<50).map { sin(Double($0) / 8) }, title: "sin")
                ]))
        let files = try Gnuplot.render(fig, in: dir, formats: [.png, .svg])
        let png = try Data(contentsOf: files[0])
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))  // the PNG signature
        let svg = try String(contentsOf: files[1], encoding: .utf8)
        #expect(svg.contains("<svg"))
        let ascii = try Gnuplot.ascii(fig, in: dir, columns: 60, lines: 20)
        #expect(ascii.contains("sine") && ascii.split(separator: "\n").count >= 15)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func gnuplotErrorsComeBackWithItsMessageAndLeaveNoPartialFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A log axis with no positive value: gnuplot stops ("all points y value undefined!").
        let fig = Figure(
            name: "nothing", caption: "Negative values on a log axis, which gnuplot refuses to draw.",
            panel: Panel(xLabel: "x", yLabel: "y", logY: true, series: [.lines(x: [0, 1], y: [-1, -2])]))
        do {
            try Gnuplot.render(fig, in: dir)
            Issue.record("gnuplot drew a log axis without a positive value")
        } catch let GnuplotError.failed(script, message) {
            #expect(script == "nothing.gp")
            #expect(message.contains("undefined"))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(Set(files) == ["nothing.gp", "nothing.dat"])
    }
}
