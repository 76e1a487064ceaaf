import Foundation
import Rambo
import Support
import Testing

@testable import Datasets

let hersheyDirectory = dataDirectory.appendingPathComponent("hershey", isDirectory: true)

@Suite struct HersheyParserTests {
    @Test func knownGlyph() throws {
        let font = try HersheyFont.load(style: "rowmans", directory: hersheyDirectory)
        #expect(font.name == "rowmans" && font.glyphs.count == 96)
        // "  501  9I[RFJ[ RRFZ[ RMTWT": A as two slanted strokes and a bar.
        let a = try #require(font.glyph(for: "A"))
        #expect(a.number == 501 && a.vertexCount == 9)
        #expect(a.left == -9 && a.right == 9)
        #expect(
            a.strokes == [
                [HersheyPoint(x: 0, y: -12), HersheyPoint(x: -8, y: 9)],
                [HersheyPoint(x: 0, y: -12), HersheyPoint(x: 8, y: 9)],
                [HersheyPoint(x: -5, y: 2), HersheyPoint(x: 5, y: 2)],
            ])
        // Records are in ASCII order from space: the space is blank, digits and letters follow the Hershey numbers.
        #expect(font.glyphs[0].strokes.isEmpty && font.glyphs[0].number == 699)
        #expect(font.glyph(for: "0")?.number == 700 && font.glyph(for: "9")?.number == 709)
        #expect(font.glyph(for: "Z")?.number == 526 && font.glyph(for: "a")?.number == 601)
        #expect(font.glyph(for: "z")?.number == 626)
        #expect(font.glyph(for: "I")?.strokes == [[HersheyPoint(x: 0, y: -12), HersheyPoint(x: 0, y: 9)]])
        #expect(font.glyph(for: "é") == nil)
    }

    @Test func allTwelveLatinStylesLoad() throws {
        let fonts = try HersheyFont.loadLatinStyles(directory: hersheyDirectory)
        #expect(fonts.map(\.name) == HersheyFont.latinStyles)
        #expect(fonts.allSatisfy { $0.glyphs.count == 96 })
        #expect(HersheyFont.latinCharacters.count == 62 && Set(HersheyFont.latinCharacters).count == 62)
        // The styles differ, with one exception: cursive and scripts draw all 52 letters identically (they differ
        // only in their digits, which they share with rowmans and scriptc respectively).
        let letters = HersheyFont.latinCharacters.prefix(52)
        func sameLetters(_ a: HersheyFont, _ b: HersheyFont) -> Int {
            letters.filter { a.glyph(for: $0)!.strokes == b.glyph(for: $0)!.strokes }.count
        }
        for i in fonts.indices {
            for j in fonts.indices where j > i {
                let expected = Set([fonts[i].name, fonts[j].name]) == ["cursive", "scripts"] ? 52 : 0
                #expect(sameLetters(fonts[i], fonts[j]) == expected, "\(fonts[i].name) vs \(fonts[j].name)")
            }
        }
        let cursive = fonts[0]
        let scripts = fonts[8]
        let rowmans = fonts[1]
        let scriptc = fonts[7]
        #expect(cursive.glyph(for: "7")!.strokes == rowmans.glyph(for: "7")!.strokes)
        #expect(scripts.glyph(for: "7")!.strokes == scriptc.glyph(for: "7")!.strokes)
        #expect(HersheyFont.distinctLetterStyles.count == 11 && !HersheyFont.distinctLetterStyles.contains("scripts"))
    }

    @Test func wrappedRecordsAreJoined() throws {
        let text = try String(contentsOf: hersheyDirectory.appendingPathComponent("gothicger.jhf"), encoding: .utf8)
        let longest = try #require(text.split(separator: "\n").max { $0.count < $1.count })
        #expect(longest.count > 144)
        var wrapped = ""
        var rest = Substring(longest)
        while !rest.isEmpty {
            wrapped += rest.prefix(72) + "\n"
            rest = rest.dropFirst(72)
        }
        let oneLine = try HersheyFont(parsing: Array((longest + "\n  699  1JZ\n").utf8), name: "one")
        let multi = try HersheyFont(parsing: Array((wrapped + "  699  1JZ\r\n").utf8), name: "wrapped")
        #expect(multi.glyphs.count == 2)
        #expect(multi.glyphs[0] == oneLine.glyphs[0])
        #expect(multi.glyphs[1].vertexCount == 1 && multi.glyphs[1].strokes.isEmpty)
    }

    @Test func malformedRecordsNameFileAndLine() {
        let short = datasetError { try HersheyFont(parsing: Array("  501  9I[RFJ[ RRFZ[ RMTW\n".utf8), name: "f.jhf") }
        #expect(short?.kind == .truncated && short?.file == "f.jhf")
        #expect(short?.problem.hasPrefix("line 1: glyph 501 declares 9 vertices") == true)
        let long = datasetError {
            try HersheyFont(parsing: Array("  699  1JZ\n  501  2I[RFJ\n".utf8), name: "g.jhf")
        }
        #expect(long?.kind == .malformed && long?.problem.hasPrefix("line 2:") == true)
        #expect(datasetError { try HersheyFont(parsing: Array("  5x1  2I[RF\n".utf8), name: "h") }?.kind == .malformed)
        #expect(datasetError { try HersheyFont(parsing: [], name: "empty") }?.kind == .malformed)
        #expect(datasetError { try HersheyFont.load(style: "nope", directory: hersheyDirectory) }?.kind == .missing)
    }
}

@Suite struct HersheyRenderTests {
    let rowmans = try! HersheyFont.load(style: "rowmans", directory: hersheyDirectory)

    @Test func verticalBarDarkensItsColumn() {
        let bar = rowmans.glyph(for: "I")!
        let img = HersheyRenderer.render(bar, width: 28, height: 28)
        // The bar is centred on x = 14, between columns 13 and 14; stroke width 0.07·28 = 1.96 px.
        for y in 4...23 {
            #expect(img[y * 28 + 13] > 0.95 && img[y * 28 + 14] > 0.95, "row \(y)")
        }
        for y in 0..<28 {
            for x in Array(0...11) + Array(16...27) { #expect(img[y * 28 + x] == 0, "(\(x), \(y))") }
        }
        // Ink area ≈ length × width (+ round caps): the bar is 22.4 px long (21 units fitted into 80 % of 28).
        let sum = img.reduce(0, +)
        let body = 22.4 * 1.96
        #expect(sum > Float(body) && sum < Float(body + 3.2 * 0.98 * 0.98 + 1), "sum \(sum)")
        // Rotated by 90° it becomes a horizontal bar in rows 13 and 14.
        let turned = HersheyRenderer.render(
            bar, width: 28, height: 28,
            augmentation: GlyphAugmentation(rotation: Double.pi / 2))
        for x in 4...23 { #expect(turned[13 * 28 + x] > 0.95 && turned[14 * 28 + x] > 0.95) }
        #expect(turned[5 * 28 + 13] == 0)
        #expect(abs(turned.reduce(0, +) - sum) < 0.05)
    }

    @Test func fixedRenderOfAKnownGlyph() {
        let a = rowmans.glyph(for: "A")!
        let img = HersheyRenderer.render(a, width: 28, height: 28, frame: rowmans.latinFrame)
        #expect(img.count == 784 && img.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Regression values of this exact render (rowmans 'A', font frame, identity augmentation, 28×28).
        let sum = img.reduce(0, +)
        #expect(abs(sum - 81.585) < 0.01, "sum \(sum)")
        // Independently: ink ≈ stroke length × width. Strokes: 2·√(8² + 21²) + 10 = 54.9 units at the frame's
        // scale min(22.4/22, 22.4/29) px per unit, width 1.96 px; overlaps at the joins take a little off.
        let units: Double = 2 * (64.0 + 441.0).squareRoot() + 10
        let pixelsPerUnit: Double = 22.4 / 29
        let estimate = Float(units * pixelsPerUnit * 1.96)
        #expect(sum > 0.9 * estimate && sum < 1.05 * estimate, "sum \(sum), estimate \(estimate)")
        let top = (0..<28).first { y in (0..<28).contains { img[y * 28 + $0] > 0.5 } }
        #expect(top == 3)
        // Left-right symmetric up to the half-pixel grid: the glyph is centred on x = 14.
        var asymmetry: Float = 0
        for y in 0..<28 { for x in 0..<14 { asymmetry += abs(img[y * 28 + x] - img[y * 28 + 27 - x]) } }
        #expect(asymmetry < 0.01)
        // The font frame keeps relative size: 'o' has less ink height than 'O'.
        func inkRows(_ c: Character) -> Int {
            let im = HersheyRenderer.render(rowmans.glyph(for: c)!, width: 28, height: 28, frame: rowmans.latinFrame)
            return (0..<28).filter { y in (0..<28).contains { im[y * 28 + $0] > 0.5 } }.count
        }
        #expect(inkRows("o") < inkRows("O") - 4)
    }

    @Test func augmentationIsDeterministicFromTheSeed() {
        var r1 = SplitMix64(seed: 42)
        var r2 = SplitMix64(seed: 42)
        var r3 = SplitMix64(seed: 43)
        let a1 = GlyphAugmentation.random(using: &r1)
        #expect(a1 == GlyphAugmentation.random(using: &r2))
        #expect(a1 != GlyphAugmentation.random(using: &r3))
        #expect(abs(a1.rotation) <= 0.15 && (0.85...1.05).contains(a1.scale) && abs(a1.shear) <= 0.2)
        #expect((0.05...0.09).contains(a1.strokeWidth))
        var none = SplitMix64(seed: 1)
        #expect(GlyphAugmentation.random(.none, using: &none) == .identity)
    }

    @Test func glyphSetShapesLabelsAndDeterminism() throws {
        let fonts = try HersheyFont.loadLatinStyles(directory: hersheyDirectory)
        let set = HersheyGlyphSet.build(
            fonts: fonts, classes: [0, 27, 61], rendersPerGlyph: 3, width: 20,
            height: 24, seed: 5)
        #expect(set.images.count == 3 * 12 * 3)
        #expect(set.images.width == 20 && set.images.height == 24 && set.images.pixelCount == 480)
        #expect(
            set.images.classNames.count == 62 && set.images.classNames[27] == "b" && set.images.classNames[61] == "9")
        #expect(set.images.labels == [0, 27, 61].flatMap { [Int](repeating: $0, count: 36) })
        #expect(Array(set.styles.prefix(7)) == [0, 0, 0, 1, 1, 1, 2])
        #expect(set.styleNames == HersheyFont.latinStyles)
        // Every render has ink, and the copies of one glyph differ from each other.
        #expect((0..<set.images.count).allSatisfy { set.images.image($0).reduce(0, +) > 5 })
        #expect(set.images.image(0) != set.images.image(1))
        // Same seed, same pixels; another seed, other pixels.
        #expect(
            set
                == HersheyGlyphSet.build(
                    fonts: fonts, classes: [0, 27, 61], rendersPerGlyph: 3, width: 20,
                    height: 24, seed: 5))
        let other = HersheyGlyphSet.build(
            fonts: fonts, classes: [0, 27, 61], rendersPerGlyph: 3, width: 20,
            height: 24, seed: 6)
        #expect(other.images.pixels != set.images.pixels)
        // A render does not depend on which other classes or fonts were asked for.
        let alone = HersheyGlyphSet.build(
            fonts: [fonts[4]], classes: [27], rendersPerGlyph: 3, width: 20,
            height: 24, seed: 5)
        let start = (12 + 4) * 3
        #expect(alone.images.pixels == Array(set.images.pixels[(start * 480)..<((start + 3) * 480)]))
        #expect(alone.styleNames == ["gothiceng"] && alone.styles == [0, 0, 0])
    }
}

@Suite struct ToyTests {
    @Test func gaussianClusters() {
        let a = Toy.gaussianClusters(classes: 4, perClass: 50, dimensions: 3, spread: 0.1, seed: 9)
        #expect(a.count == 200 && a.points.allSatisfy { $0.count == 3 } && a.centers.count == 4)
        #expect(a.labels == (0..<4).flatMap { [Int](repeating: $0, count: 50) })
        #expect(a == Toy.gaussianClusters(classes: 4, perClass: 50, dimensions: 3, spread: 0.1, seed: 9))
        #expect(a != Toy.gaussianClusters(classes: 4, perClass: 50, dimensions: 3, spread: 0.1, seed: 10))
        // Each class mean is within a few standard errors (0.1 / √50 ≈ 0.014) of its centre.
        for c in 0..<4 {
            let members = a.points.indices.filter { a.labels[$0] == c }
            for j in 0..<3 {
                let mean = members.map { a.points[$0][j] }.reduce(0, +) / 50
                #expect(abs(mean - a.centers[c][j]) < 0.06)
            }
        }
    }

    @Test func imbalancedMultiLabel() {
        let p = [0.5, 0.1, 0.014, 0.75]
        let t = Toy.imbalancedMultiLabel(samples: 1000, features: 8, prevalences: p, seed: 3)
        #expect(t.count == 1000 && t.features.allSatisfy { $0.count == 8 } && t.labels.allSatisfy { $0.count == 4 })
        #expect(t.labelCounts == [500, 100, 14, 750])
        #expect(t == Toy.imbalancedMultiLabel(samples: 1000, features: 8, prevalences: p, seed: 3))
        #expect(t.labels != Toy.imbalancedMultiLabel(samples: 1000, features: 8, prevalences: p, seed: 4).labels)
        // Labels follow the features: a least-squares linear score separates label 0 far better than chance.
        let y = t.labels.map { $0[0] ? 1.0 : 0.0 }
        var best = 0.0
        for j in 0..<8 {
            let corr = zip(t.features, y).map { $0[j] * ($1 - 0.5) }.reduce(0, +) / 1000
            best = max(best, abs(corr))
        }
        #expect(best > 0.05)
    }
}
