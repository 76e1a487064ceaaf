import Foundation
import Support
import Testing

@testable import Walkthrough

@Suite struct OptionsTests {
    let flags: [Flag] = [
        .double("lambda", default: 1, help: "λ"), .int("steps", default: 10, help: "steps"),
        .bool("memory", help: "use memory"),
    ]

    @Test func commonOptionsAndChapterFlags() throws {
        let o = try Options.parse(
            ["--quick", "--out=/tmp/x", "--seed", "42", "--lambda", "0.25", "--memory"],
            chapter: "ch03", flags: flags)
        #expect(o.quick && !o.ascii)
        #expect(o.out.path == "/tmp/x")
        #expect(o.seed == 42)
        #expect(o.values["lambda"] == "0.25" && o.values["memory"] == "true")
        #expect(try Options.parse([], chapter: "ch03", flags: flags).out.path.hasSuffix("out/ch03"))
    }

    @Test(arguments: [
        (["--bogus"], "unknown option --bogus; see --help"),
        (["--lambda"], "--lambda needs a value"),
        (["--lambda", "abc"], "--lambda needs a finite number, got 'abc'"),
        (["--lambda=nan"], "--lambda needs a finite number, got 'nan'"),
        (["--steps", "1.5"], "--steps needs a whole number, got '1.5'"),
        (["--seed", "-3"], "--seed needs a non-negative whole number, got '-3'"),
        (["--memory=yes"], "--memory takes no value"),
        (["stray"], "unexpected argument 'stray'"),
    ])
    func mistakesAreNamed(arguments: [String], message: String) {
        #expect(throws: Error.self) { try Options.parse(arguments, chapter: "ch03", flags: flags) }
        do {
            _ = try Options.parse(arguments, chapter: "ch03", flags: flags)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func usageListsEveryFlagWithItsDefault() {
        let usage = Options.usage(chapter: "ch03", title: "The blackbox gradient", flags: flags)
        for needle in [
            "--quick", "--out TEXT", "--seed N", "--ascii", "--svg", "--lambda X", "(default 1.0)",
            "--steps N", "(default 10)", "--memory",
        ] {
            #expect(usage.contains(needle), "usage lacks \(needle)")
        }
    }

    @Test func summaryJSONHasTheDesignedShape() throws {
        var s = Summary(chapter: "ch09", title: "t")
        s.checks = [CheckResult(name: "a", passed: true, detail: "d")]
        s.metrics = ["fashion-mnist": ["rambo-recall": ["R@1": 0.85]]]
        let object = try JSONSerialization.jsonObject(with: s.json()) as! [String: Any]
        #expect(object["chapter"] as? String == "ch09")
        let checks = object["checks"] as! [[String: Any]]
        #expect(checks[0]["name"] as? String == "a" && checks[0]["passed"] as? Bool == true)
        let metrics = object["metrics"] as! [String: [String: [String: Double]]]
        #expect(metrics["fashion-mnist"]?["rambo-recall"]?["R@1"] == 0.85)
    }

    @Test func summaryKeepsPhasesAndReadsOlderSummariesWithout() throws {
        var s = Summary(chapter: "ch09", title: "t")
        s.phases = [
            PhaseTime(phase: "set-up", seconds: 0.5, cpuSeconds: 0.25),
            PhaseTime(phase: "§1 a", seconds: 2, cpuSeconds: 3.5),
        ]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try s.json().write(to: url)
        #expect(try Summary.read(from: url).phases == s.phases)
        var object = try JSONSerialization.jsonObject(with: s.json()) as! [String: Any]
        object["phases"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        #expect(try Summary.read(from: url).phases.isEmpty)
    }

    @Test func lambdaTextGivesBothUnits() {
        #expect(lambdaText(320, length: 640) == "λ = 320 (paper units; λ_code = λ/n = 0.5 for n = 640)")
        #expect(lambdaText(10766, length: 100) == "λ = 10766 (paper units; λ_code = λ/n = 107.7 for n = 100)")
        #expect(lambdaText(0.05, length: 2560) == "λ = 0.05 (paper units; λ_code = λ/n = 1.953e-05 for n = 2560)")
    }

    @Test func signedDifferencesAndVerdictWords() {
        #expect(0.25.signedFixed(3) == "+0.250")
        #expect((-0.25).signedFixed(3) == "−0.250")
        #expect(
            0.0.signedFixed(2) == "±0.00" && (-0.0).signedFixed(2) == "±0.00" && (-0.0004).signedFixed(3) == "±0.000")
        #expect(SeedVerdict.firstAhead.word == "ahead" && SeedVerdict.secondAhead.word == "behind")
        #expect(SeedVerdict.level.word == "level")
        #expect(SeedVerdict.secondAhead.words("rambo", "bce") == "bce ahead")
        #expect(SeedVerdict.firstAhead.words("rambo", "bce") == "rambo ahead")
    }

    @Test func compactNumbersAsTheNarrationPrintsLambda() {
        #expect(compactNumber(79.5) == "79.5")
        #expect(compactNumber(10766) == "10766")
        #expect(compactNumber(0.25) == "0.25")
        #expect(compactNumber(256) == "256")
        #expect(compactNumber(2 / 3) == "0.6667")
    }

    @Test func seedSummariesInWords() {
        #expect(meanAndSD([0.5, 0.7]) == "0.600 ± 0.141")
        #expect(meanAndSD([0.5]) == "0.500")
        #expect(
            seedVerdictText("rambo", "bce", [0.62, 0.53, 0.74], [0.60, 0.50, 0.70]).hasPrefix("rambo ahead of bce"))
        #expect(
            seedVerdictText("rambo", "bce", [0.60, 0.50, 0.70], [0.62, 0.53, 0.74]).hasPrefix(
                "bce ahead of rambo: paired difference 0.030, 95 % CI [0.005, 0.055]"))
        #expect(seedVerdictText("a", "b", [0.62, 0.53, 0.66], [0.60, 0.50, 0.70]).hasPrefix("a and b level"))
    }

    @Test func debugBuildsRefuseRunsThatWouldTakeMinutes() {
        let none: [String: String] = [:]
        // ch03 runs in full in debug; ch05 only in --quick; ch09 not at all.
        #expect(Chapter.debugRefusal("ch03", arguments: [], quick: false, environment: none) == nil)
        #expect(Chapter.debugRefusal("ch05", arguments: ["--quick"], quick: true, environment: none) == nil)
        let full = Chapter.debugRefusal("ch05", arguments: ["--seed", "3"], quick: false, environment: none)
        #expect(full?.contains("swift run -c release ch05 --seed 3 (or add --quick)") == true, "\(full ?? "nil")")
        let quick = Chapter.debugRefusal("ch09", arguments: ["--quick"], quick: true, environment: none)
        #expect(quick?.hasPrefix("ch09: this is a debug build, in which even a --quick run") == true)
        #expect(quick?.contains("swift run -c release ch09 --quick") == true)
        #expect(Chapter.debugRefusal("ch09", arguments: [], quick: false, environment: ["RAMBO_DEBUG_RUN": "1"]) == nil)
        // Every training chapter is limited.
        let limited = Catalog.chapters.filter { $0.debugRuns != .all }.map(\.id)
        #expect(limited == ["ch05", "ch06", "ch07", "ch08", "ch09", "ch10", "ch11", "ch12"])
    }

    @Test func catalogMatchesTheChapterFolders() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Chapters").path)
            .filter { !$0.hasPrefix(".") }.sorted()
        #expect(folders == Catalog.chapters.map(\.folder))
        #expect(Catalog.chapters.map(\.id) == folders.map { "ch" + $0.prefix(2) })
    }

    /// The catalogue is the one list of titles: each chapter takes its id (and so its title) from it, its README
    /// opens with that title, and the README's chapter table follows its order.
    @Test func chaptersAndReadmesFollowTheCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var readmeTable: [String] = []
        for line in try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
            .split(separator: "\n") where line.hasPrefix("| ") && line.contains("(Chapters/")
        {
            readmeTable.append(String(line.split(separator: "(Chapters/")[1].prefix { $0 != "/" }))
        }
        #expect(readmeTable == Catalog.chapters.map(\.folder))
        for info in Catalog.chapters {
            let folder = root.appendingPathComponent("Chapters").appendingPathComponent(info.folder)
            let source = try String(contentsOf: folder.appendingPathComponent("main.swift"), encoding: .utf8)
            #expect(source.contains("Chapter(\n    \"\(info.id)\","), "\(info.id): Chapter(\"\(info.id)\", ...)")
            let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
            // A README generated from main.swift opens with a comment saying so, then the same heading.
            let heading = "# Chapter \(info.id.dropFirst(2)) · \(info.title)"
            let body = readme.hasPrefix("<!--") ? String(readme.drop { $0 != "#" }) : readme
            #expect(body.hasPrefix(heading + "\n"), "\(info.folder)/README.md opens with \(heading)")
        }
    }
}

/// Flags that declare their range and their quick value.
@Suite struct FlagRangeTests {
    let flags: [Flag] = [
        .double("lambda", default: 1, in: 1e-3...1e3, help: "λ"),
        .int("steps", default: 100, quick: 10, in: 1...1000, help: "steps"),
        .string("search", default: "on", choices: ["on", "off"], help: "search"),
    ]

    @Test(arguments: [
        (["--lambda", "5e-324"], "--lambda must be in 0.001…1000, got 5e-324"),
        (["--lambda", "1e308"], "--lambda must be in 0.001…1000, got 1e308"),
        (["--quick", "--steps", "-1"], "--steps must be in 1…1000, got -1"),
        (["--steps=99999999999"], "--steps must be in 1…1000, got 99999999999"),
        (["--steps", "99999999999999999999999"], "--steps needs a whole number, got '99999999999999999999999'"),
        (["--search", "maybe"], "--search must be one of on, off, got 'maybe'"),
    ])
    func valuesOutsideTheRangeAreNamed(arguments: [String], message: String) {
        do {
            _ = try Options.parse(arguments, chapter: "ch03", flags: flags)
            Issue.record("\(arguments) was accepted")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func boundsAreInclusiveAndQuickValuesAreUsedOnlyWhenTheFlagIsAbsent() throws {
        let o = try Options.parse(["--lambda", "1e-3", "--steps", "1000"], chapter: "ch03", flags: flags)
        #expect(o.values["lambda"] == "1e-3" && o.values["steps"] == "1000")
        #expect(flags[1].unsetText(quick: true) == "10" && flags[1].unsetText(quick: false) == "100")
        #expect(flags[0].unsetText(quick: true) == "1.0")
    }

    @Test func usageStatesDefaultQuickValueAndRange() {
        let usage = Options.usage(chapter: "ch03", title: "t", flags: flags)
        #expect(usage.contains("(default 100; quick 10; range 1…1000)"), "\(usage)")
        #expect(usage.contains("(default 1.0; range 0.001…1000)"), "\(usage)")
        #expect(usage.contains("(default on; on | off)"), "\(usage)")
    }
}
