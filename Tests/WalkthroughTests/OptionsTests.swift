import Foundation
import Testing
@testable import Walkthrough

@Suite struct OptionsTests {
    let flags: [Flag] = [.double("lambda", default: 1, help: "λ"), .int("steps", default: 10, help: "steps"),
                         .bool("memory", help: "use memory")]

    @Test func commonOptionsAndChapterFlags() throws {
        let o = try Options.parse(["--quick", "--out=/tmp/x", "--seed", "42", "--lambda", "0.25", "--memory"],
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
        for needle in ["--quick", "--out TEXT", "--seed N", "--ascii", "--svg", "--lambda X", "(default 1.0)",
                       "--steps N", "(default 10)", "--memory"] {
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

    @Test func catalogMatchesTheChapterFolders() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Chapters").path)
            .filter { !$0.hasPrefix(".") }.sorted()
        #expect(folders == Catalog.chapters.map(\.folder))
        #expect(Catalog.chapters.map(\.id) == folders.map { "ch" + $0.prefix(2) })
    }
}
