import Foundation
import Testing

@testable import Gnuplot

/// The figure rules: the builder's output passes the lint for every kind of figure it offers, the lint finds each
/// broken rule in a script, and the builder refuses figures that break them.
@Suite struct FigureLintTests {
    let x = (1...20).map(Double.init)
    var y: [Double] { x.map { 1 / $0 } }

    /// One figure per kind of series and layout the builder offers, each within the rules.
    var everyKind: [Figure] {
        [
            Figure(
                name: "lines", caption: testCaption, width: 1000, height: 420, columns: 2,
                panels: [
                    Panel(
                        title: "lines etc.", xLabel: "x", yLabel: "1/x", logX: true, logY: true,
                        series: [
                            .lines(x: x, y: y, title: "rambo-recall", ink: .method("rambo-recall")),
                            .steps(x: x, y: y.map { $0 * 2 }, title: "steps"),
                            .points(x: x, y: y.map { $0 * 3 }, title: "points"),
                            .linesPoints(x: x, y: y.map { $0 * 4 }, title: "triplet", ink: .method("triplet")),
                            .constant(0.5, title: "chance", ink: .role(.chance)),
                        ]),
                    Panel(
                        title: "errors", xLabel: "x", yLabel: "value",
                        series: [
                            .errorBars(
                                x: x, y: y, err: y.map { $0 / 4 }, title: "mean Δ, 95 % CI", ink: .role(.meanDifference)
                            ),
                            .band(x: x, low: y.map { $0 * 0.8 }, high: y.map { $0 * 1.2 }, title: "band"),
                            Series(style: .impulses, title: "impulses", columns: [x, y]),
                            .constant(0, title: "level", ink: .role(.level), lineWidth: 1),
                        ]),
                ]),
            Figure(
                name: "bars", caption: testCaption, width: 1000, height: 420, columns: 2,
                panels: [
                    Panel(
                        title: "bars over categories", yLabel: "R@1", probability: .y, boxWidth: 0.4,
                        xTicks: [("one", 1), ("two", 2), ("three", 3)],
                        series: [
                            .bars(
                                x: [0.8, 1.8, 2.8], seeds: [[0.5, 0.6], [0.6, 0.7], [0.7, 0.9]], title: "bce",
                                ink: .method("bce")),
                            .bars(
                                x: [1.2, 2.2, 3.2], height: [0.4, 0.5, 0.8], title: "rambo-ap", ink: .method("rambo-ap")
                            ),
                        ]),
                    Panel(
                        title: "histograms", xLabel: "score", yLabel: "count",
                        series: Series.histograms(
                            [
                                (values: x, title: "positives", ink: .role(.positives)),
                                (values: x.map { $0 + 5 }, title: "negatives", ink: .role(.negatives)),
                            ], bins: 10)),
                ]),
            Figure(
                name: "maps", caption: testCaption, width: 900, height: 420, columns: 2, sharedColorBar: true,
                panels: [
                    Panel(
                        title: "map 1", xLabel: "s", yLabel: "t", square: true,
                        series: [.heatMap(x: [0, 1, 2], y: [0, 1], values: [[0, 1, 2], [3, 4, 5]])]),
                    Panel(
                        title: "map 2", xLabel: "s", yLabel: "t", square: true,
                        series: [.heatMap(x: [0, 1, 2], y: [0, 1], values: [[5, 6, 7], [8, 9, 10]])]),
                ]),
            // Texts offered one crowded place each: the builder moves them apart.
            Figure(
                name: "picture", caption: testCaption, width: 600, height: 600,
                panel: Panel(
                    title: "a picture with names", key: .none, grid: false, square: true, palette: .grey,
                    annotations: ["first name", "second name", "third name"].map {
                        Annotation($0, x: 4, y: -4, ink: .role(.groundTruth))
                    },
                    series: [.image((0..<16).map { r in (0..<16).map { Double(($0 + r) % 2) } })])),
            Figure(
                name: "shared", caption: testCaption, width: 1000, height: 600, columns: 2, shared: .x,
                panels: [
                    Panel(
                        xLabel: "recall", yLabel: "precision", probability: .both, key: .below,
                        series: [.lines(x: [0, 0.5], y: [1, 0.5], title: "ce", ink: .method("ce"))]),
                    Panel(
                        xLabel: "recall", yLabel: "precision", probability: .both, key: .below,
                        series: [
                            .lines(x: [0.2, 1], y: [0.9, 0.3], title: "rambo-map", ink: .method("rambo-map")),
                            .xErrorBars(x: [0.5], y: [0.5], err: [0.1], title: "paper", ink: .role(.paper)),
                        ]),
                ]),
        ]
    }

    @Test func everyKindPassesTheLintAsWritten() {
        for figure in everyKind {
            #expect(throws: Never.self, "\(figure.name)") { try GnuplotScript.validate(figure) }
            let findings = FigureLint.check(
                script: GnuplotScript.script(for: figure), data: GnuplotScript.data(for: figure), name: figure.name)
            #expect(findings.isEmpty, "\(figure.name): \(findings)")
        }
        // The builder fixed what the chapter left open: bars from 0, probability within [0, 1], shared x.
        let bars = GnuplotScript.script(for: everyKind[1])
        #expect(bars.contains("set yrange [0.0:0.9"))
        let shared = GnuplotScript.script(for: everyKind[4])
        let ranges = shared.split(separator: "\n").filter { $0.hasPrefix("set xrange") }
        #expect(ranges.count == 2 && ranges[0] == ranges[1])
        #expect(shared.contains("# shared: x\n") && shared.contains("# probability: x y\n"))
        // The three names, offered one place, went to three places.
        let labels = GnuplotScript.script(for: everyKind[3]).split(separator: "\n").filter { $0.hasPrefix("set label") }
        #expect(labels.count == 3 && Set(labels.map { $0.split(separator: " ").dropFirst(5).first }).count == 3)
        #expect(labels.allSatisfy { $0.contains(" boxed tc rgb '#009E73'") })
    }

    @Test(.enabled(if: Gnuplot.executable != nil, "gnuplot is not installed"))
    func everyKindRendersAndTheFolderLintsClean() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gnuplot-kinds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for figure in everyKind {
            let png = try Data(contentsOf: try Gnuplot.render(figure, in: dir)[0])
            #expect(png.suffix(8).starts(with: Array("IEND".utf8)), "\(figure.name)")
        }
        let (figures, findings) = try FigureLint.check(folder: dir)
        #expect(figures.sorted() == everyKind.map(\.name).sorted())
        #expect(findings.isEmpty, "\(findings)")
    }

    /// The rule each edit of a clean script breaks.
    @Test func theLintFindsEachBrokenRule() {
        let bars = everyKind[1]
        let script = GnuplotScript.script(for: bars)
        let data = GnuplotScript.data(for: bars)
        func rules(_ edited: String, data: String? = nil, png: Data? = nil) -> Set<String> {
            Set(
                FigureLint.check(script: edited, data: data ?? GnuplotScript.data(for: bars), name: "b", png: png).map(
                    \.rule))
        }
        func edit(_ old: String, _ new: String) -> String {
            #expect(script.contains(old), "the clean script lacks \(old)")
            return script.replacingOccurrences(of: old, with: new)
        }
        #expect(rules(script).isEmpty)
        #expect(rules(edit("# caption: \(testCaption)", "# caption: Figure bars of ch01.")) == ["caption"])
        #expect(rules(edit("size 1000,420", "size 1400,420")) == ["size"])
        #expect(rules(edit("font 'DejaVu Sans,11'", "font 'DejaVu Sans,8'")) == ["size"])
        #expect(rules(edit("lc rgb '#D55E00'", "lc rgb '#1F77B4'")) == ["ink"])
        #expect(rules(edit("# inks: method bce; method rambo-ap", "# inks: method bce; method triplet")) == ["ink"])
        #expect(rules(edit("# inks: method bce; method rambo-ap\n", "")) == ["ink"])
        #expect(rules(edit("title 'rambo-ap'", "title 'RaMBO, tuned'")).isEmpty)
        #expect(rules(edit("title 'bce'", "title 'RaMBO'")) == ["ink"])
        #expect(rules(edit("set yrange [0.0:", "set yrange [0.3:")) == ["bars"])
        #expect(rules(edit("set xtics ('one'", "set xticks ('one'")) == ["categories", "axes"])
        #expect(rules(edit("# probability: y\n", "")) == ["probability"])  // "R@1" names a probability
        let tooHigh = data.replacingOccurrences(of: "1.2 0.4", with: "1.2 1.4")
        #expect(rules(script, data: tooHigh) == ["probability"])
        #expect(rules(edit("set ylabel 'R\\@1'\n", "unset ylabel\n")) == ["axes"])
        var png = [UInt8](repeating: 0, count: 24)
        png.replaceSubrange(12..<16, with: Array("IHDR".utf8))
        png[19] = 0xE8  // 1000 wide
        png[23] = 0x64  // 100 high, not 420
        #expect(rules(script, png: Data(png)) == ["png"])
        // Texts: unboxed, or on top of each other.
        let picture = GnuplotScript.script(for: everyKind[3])
        let unboxed = picture.replacingOccurrences(of: " boxed ", with: " ")
        #expect(Set(FigureLint.check(script: unboxed, data: nil, name: "p").map(\.rule)) == ["text"])
        let firstLabel = picture.split(separator: "\n").first { $0.hasPrefix("set label") }!
        let stacked = picture + firstLabel + "\n"
        #expect(FigureLint.check(script: stacked, data: nil, name: "p").contains { $0.message.contains("overlaps") })
        // Shared ranges that differ.
        let shared = GnuplotScript.script(for: everyKind[4])
        let firstRange = shared.split(separator: "\n").first { $0.hasPrefix("set xrange") }!
        let unshared = shared.replacingCharacters(in: shared.range(of: firstRange)!, with: "set xrange [0.0:0.6]")
        #expect(Set(FigureLint.check(script: unshared, data: nil, name: "s").map(\.rule)).contains("shared"))
    }

    @Test func theBuilderRefusesFiguresThatBreakTheRules() {
        func refusal(_ figure: Figure) -> String? {
            do {
                try GnuplotScript.validate(figure)
                return nil
            } catch GnuplotError.invalidFigure(let why) {
                return why
            } catch {
                return "\(error)"
            }
        }
        let line = Series.lines(x: [0, 1], y: [0.2, 0.4], title: "line", ink: .category(0))
        func panel(_ series: [Series], yLabel: String = "value", yRange: ClosedRange<Double>? = nil) -> Panel {
            Panel(xLabel: "x", yLabel: yLabel, yRange: yRange, xTicks: [("a", 0), ("b", 1)], series: series)
        }
        #expect(refusal(Figure(name: "ok", caption: testCaption, panel: panel([line]))) == nil)
        #expect(refusal(Figure(name: "c", caption: "", panel: panel([line])))?.contains("no caption") == true)
        #expect(
            refusal(Figure(name: "c", caption: "Figure c of ch01.", panel: panel([line])))?.contains("placeholder")
                == true)
        #expect(
            refusal(Figure(name: "w", caption: testCaption, width: 1600, panel: panel([line])))?.contains("1600 px")
                == true)
        let unknown = Series.lines(x: [0, 1], y: [0, 1], title: "x", ink: .method("tripplet"))
        #expect(refusal(Figure(name: "m", caption: testCaption, panel: panel([unknown])))?.contains("tripplet") == true)
        let restyled = Series.linesPoints(
            x: [0, 1], y: [0, 1], title: "triplet", ink: .method("triplet"), pointType: 7)
        #expect(
            refusal(Figure(name: "m", caption: testCaption, panel: panel([restyled])))?.contains("point type") == true)
        let bars = Series.bars(x: [0, 1], height: [0.6, 0.7], title: "bars", ink: .category(0))
        #expect(
            refusal(Figure(name: "b", caption: testCaption, panel: panel([bars], yRange: 0.5...0.8)))?.contains(
                "start at 0") == true)
        #expect(refusal(Figure(name: "b", caption: testCaption, panel: panel([bars]))) == nil)
        var probability = panel([line], yLabel: "AP")
        #expect(refusal(Figure(name: "p", caption: testCaption, panel: probability))?.contains("declare") == true)
        probability.probability = .y
        #expect(refusal(Figure(name: "p", caption: testCaption, panel: probability)) == nil)
        probability.yRange = 0...1.4
        #expect(refusal(Figure(name: "p", caption: testCaption, panel: probability))?.contains("within [0, 1]") == true)
        // One meaning per look: a category drawn like a method beside it.
        let twins = [
            Series.lines(x: [0, 1], y: [0, 1], title: "triplet", ink: .method("triplet")),
            Series.lines(x: [0, 1], y: [1, 0], title: "blue", ink: .category(0)),
        ]
        #expect(
            refusal(Figure(name: "t", caption: testCaption, panel: panel(twins)))?.contains("look the same") == true)
    }

    @Test func digitHeightsFollowTheBookColumn() {
        // 11 pt digits are about 10.7 px at full size; a 1000 px figure is shown at 992/1000 of it.
        #expect(abs(FigureRules.digitPixels(fontPoints: 11, width: 800) - 11 * 0.972) < 1e-9)
        #expect(FigureRules.digitPixels(fontPoints: 11, width: 1000) >= FigureRules.minDigitPixels)
        #expect(FigureRules.digitPixels(fontPoints: 11, width: 1800) < FigureRules.minDigitPixels)
        #expect(FigureRules.digitPixels(fontPoints: 10, width: 600) < FigureRules.minDigitPixels)
        #expect(FigureRules.looksLikeProbability("test mAP") && FigureRules.looksLikeProbability("AP^{50}"))
        #expect(FigureRules.looksLikeProbability("R@1") && FigureRules.looksLikeProbability("precision"))
        #expect(!FigureRules.looksLikeProbability("Δ mAP") && !FigureRules.looksLikeProbability("1 − AP"))
        #expect(!FigureRules.looksLikeProbability("test mAP − BCE's") && !FigureRules.looksLikeProbability("density"))
    }
}
