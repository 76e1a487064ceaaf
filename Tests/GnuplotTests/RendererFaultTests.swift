import Foundation
import Testing

@testable import Gnuplot

/// gnuplot misbehaving: exiting 0 after writing a truncated file (what gnuplot 5.4 does on a full disk), or never
/// exiting. Driven through a fake gnuplot, a shell script that reads the output name from `-e "outfile='…'"`.
@Suite struct RendererFaultTests {
    let figure = Figure(
        name: "fault", caption: "A rising line, drawn by a fake gnuplot that misbehaves on purpose.",
        panel: Panel(xLabel: "x", yLabel: "y", series: [.lines(x: [0, 1], y: [0, 1])]))

    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gnuplot-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A fake gnuplot that writes `body` (printf format) to the output file, then runs `tail` and exits 0.
    func fakeGnuplot(in dir: URL, body: String, tail: String = "") throws -> URL {
        let url = dir.appendingPathComponent("fake-gnuplot")
        let script = """
            #!/bin/sh
            out=$(printf '%s' "$2" | sed -n "s/^outfile='\\([^']*\\)'.*/\\1/p")
            printf '\(body)' > "$out"
            \(tail)
            exit 0

            """
        try Data(script.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    static let pngStart = "\\211PNG\\r\\n\\032\\n"
    static let iend = "\\000\\000\\000\\000IEND\\256B`\\202"

    @Test(arguments: [
        (OutputFormat.png, RendererFaultTests.pngStart + "\\000\\000\\000\\rIHDR"),
        (OutputFormat.png, ""),
        (OutputFormat.svg, "<?xml version=\"1.0\"?>\\n<svg width=\"10\"><g><path d=\"M0 0\"/>"),
        (OutputFormat.svg, ""),
    ])
    func aTruncatedOutputIsAnErrorAndNeverRenamedIntoPlace(format: OutputFormat, body: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = try fakeGnuplot(in: dir, body: body)
        do {
            _ = try Gnuplot.render(figure, in: dir, formats: [format], gnuplot: fake, timeout: 30)
            Issue.record("a truncated \(format) was accepted")
        } catch let GnuplotError.incompleteOutput(name, kind, _) {
            #expect(name == "fault" && kind == format.rawValue)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.contains("fault.\(format.rawValue)") && !files.contains { $0.contains("partial") }, "\(files)")
    }

    @Test func aCompleteOutputIsRenamedIntoPlace() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = try fakeGnuplot(in: dir, body: Self.pngStart + "data" + Self.iend)
        #expect(
            try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: png, timeout: 30).map(\.lastPathComponent)
                == ["fault.png"])
        let svg = try fakeGnuplot(
            in: dir, body: "<?xml version=\"1.0\"?>\\n<!DOCTYPE svg>\\n<svg a=\"x>y\"><g/></svg>\\n")
        #expect(
            try Gnuplot.render(figure, in: dir, formats: [.svg], gnuplot: svg, timeout: 30).map(\.lastPathComponent)
                == ["fault.svg"])
    }

    @Test func aGnuplotThatNeverExitsIsKilledAndReported() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hang = try fakeGnuplot(in: dir, body: "", tail: "echo $$ > \"$out.pid\"; exec sleep 600")
        do {
            _ = try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: hang, timeout: 0.5)
            Issue.record("a hung gnuplot was not stopped")
        } catch let GnuplotError.timedOut(script, seconds) {
            #expect(script == "fault.gp" && seconds == 0.5)
            #expect("\(GnuplotError.timedOut(script: script, seconds: seconds))".contains("within 0.5 s"))
        }
        // The child is gone: its pid no longer answers signal 0.
        let pidFile = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".pid") }
        if let pidFile, let text = try? String(contentsOf: dir.appendingPathComponent(pidFile), encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            #expect(kill(pid, 0) != 0, "gnuplot \(pid) still runs")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("fault.png").path))
    }

    @Test(
        arguments: [
            ("<svg></svg>", nil),
            ("<?xml version=\"1.0\"?>\n<!-- c -->\n<svg><desc>a &amp; b</desc><g><![CDATA[<x>]]></g></svg>\n", nil),
            ("<svg><g></svg>", "does not close"),
            ("<svg><g>", "ends inside <g>"),
            ("<svg></svg><svg></svg>", "second root"),
            ("<html></html>", "not <svg>"),
            ("<svg><path d=\"M0", "unterminated start tag"),
            ("", "no <svg>"),
        ] as [(String, String?)])
    func svgWellFormedness(text: String, problem: String?) {
        let found = SVGCheck.problem(in: Array(text.utf8))
        if let problem {
            #expect(found?.contains(problem) == true, "\(text): \(found ?? "accepted")")
        } else {
            #expect(found == nil, "\(text): \(found ?? "")")
        }
    }
}
