import Foundation
import Support
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
        try fakeGnuplot(in: dir, command: "printf '\(body)' > \"$out\"\n\(tail)")
    }

    /// A fake gnuplot that copies `bytes` to the output file, then runs `tail` and exits 0.
    func fakeGnuplot(in dir: URL, writing bytes: [UInt8], tail: String = "") throws -> URL {
        let fixture = dir.appendingPathComponent("fixture-\(UUID().uuidString).bin")
        try Data(bytes).write(to: fixture)
        return try fakeGnuplot(in: dir, command: "cat '\(fixture.path)' > \"$out\"\n\(tail)")
    }

    /// A fake gnuplot: `$out` is the output file named by `-e "outfile='…'"`; runs `command`, then exits 0.
    func fakeGnuplot(in dir: URL, command: String) throws -> URL {
        let url = dir.appendingPathComponent("fake-gnuplot-\(UUID().uuidString)")
        let script = """
            #!/bin/sh
            out=$(printf '%s' "$2" | sed -n "s/^outfile='\\([^']*\\)'.*/\\1/p")
            \(command)
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
        let png = try fakeGnuplot(in: dir, writing: PNGCheckTests.onePixel)
        #expect(
            try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: png, timeout: 30).map(\.lastPathComponent)
                == ["fault.png"])
        let svg = try fakeGnuplot(
            in: dir, body: "<?xml version=\"1.0\"?>\\n<!DOCTYPE svg>\\n<svg a=\"x>y\"><g/></svg>\\n")
        #expect(
            try Gnuplot.render(figure, in: dir, formats: [.svg], gnuplot: svg, timeout: 30).map(\.lastPathComponent)
                == ["fault.svg"])
    }

    /// A gnuplot that never exits and has a child that keeps its output pipes open: stopped at the limit with
    /// its whole process group, reported, and no scratch file anywhere (none in the folder, none in TMPDIR).
    @Test func aGnuplotThatNeverExitsIsKilledWithItsChildAndReported() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hang = try fakeGnuplot(
            in: dir, command: "sleep 600 &\necho $! > child.pid\necho $$ > gnuplot.pid\nexec sleep 600")
        do {
            _ = try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: hang, timeout: 0.5)
            Issue.record("a hung gnuplot was not stopped")
        } catch let GnuplotError.timedOut(script, seconds) {
            #expect(script == "fault.gp" && seconds == 0.5)
            #expect("\(GnuplotError.timedOut(script: script, seconds: seconds))".contains("within 0.5 s"))
        }
        for name in ["gnuplot.pid", "child.pid"] {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(!isRunning(pid), "\(name): \(pid) still runs")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.contains("fault.png") && !files.contains { $0.hasPrefix(".") }, "\(files)")
        let scratch = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("rambo-gnuplot-\(getpid())-") }
        #expect(scratch.isEmpty, "\(scratch)")
    }

    /// A PNG with a valid signature and trailer but garbage between them, one with a second IEND, one cut inside
    /// a chunk: each refused chunk by chunk, never renamed into place.
    static let malformed: [(String, [UInt8])] = {
        let png = PNGCheckTests.onePixel
        let iend: [UInt8] = Array(png.suffix(12))
        let garbage: [UInt8] = PNGCheck.signature + [UInt8](repeating: 0x5A, count: 40) + iend
        return [("garbage", garbage), ("double IEND", png + iend), ("cut", Array(png.prefix(50)))]
    }()

    @Test(arguments: RendererFaultTests.malformed)
    func aMalformedPNGIsRefused(label: String, bytes: [UInt8]) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = try fakeGnuplot(in: dir, writing: bytes)
        #expect(throws: GnuplotError.self, "\(label)") {
            try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: fake, timeout: 30)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.contains("fault.png") && !files.contains { $0.hasPrefix(".") }, "\(label): \(files)")
    }

    /// Symbolic links planted at the temporary names earlier versions used point at a victim file: rendering
    /// never writes through them (its temporaries are fresh names created exclusively) and leaves them alone.
    @Test func plantedSymbolicLinksAreNeverFollowed() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.appendingPathComponent("victim.txt")
        try Data("victim".utf8).write(to: victim)
        let planted = [".fault.partial.png", ".fault.png.partial", ".fault.dat.partial", ".fault.gp.partial"]
        for name in planted {
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent(name).path, withDestinationPath: victim.path)
        }
        let fake = try fakeGnuplot(in: dir, writing: PNGCheckTests.onePixel)
        _ = try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: fake, timeout: 30)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "victim")
        for name in planted {
            let target = try FileManager.default.destinationOfSymbolicLink(
                atPath: dir.appendingPathComponent(name).path)
            #expect(target == victim.path)
        }
        #expect(try [UInt8](Data(contentsOf: dir.appendingPathComponent("fault.png"))) == PNGCheckTests.onePixel)
        // The exclusive creation itself: a name taken by a symbolic link is refused, the link's target untouched.
        let taken = dir.appendingPathComponent(".fault.partial.png")
        #expect(throws: OutputError.self) { try Output.writeNew(Data("x".utf8), to: taken) }
        #expect(try String(contentsOf: victim, encoding: .utf8) == "victim")
    }

    /// A gnuplot (or anything else) that swaps its output file for a symbolic link to a valid PNG: the file this
    /// run created is what is checked, so the swap is refused and nothing appears under the final name.
    @Test func aReplacedTemporaryIsRefused() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let elsewhere = dir.appendingPathComponent("elsewhere.png")
        try Data(PNGCheckTests.onePixel).write(to: elsewhere)
        let fake = try fakeGnuplot(in: dir, command: "rm -f \"$out\"\nln -s '\(elsewhere.path)' \"$out\"")
        do {
            _ = try Gnuplot.render(figure, in: dir, formats: [.png], gnuplot: fake, timeout: 30)
            Issue.record("a replaced temporary was accepted")
        } catch let GnuplotError.incompleteOutput(_, _, why) {
            #expect(why.contains("removed or replaced"), "\(why)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("fault.png").path))
    }

    @Test func theTimeLimitSettingIsCheckedAndNamed() throws {
        #expect(try Gnuplot.timeout(environment: [:]) == 120)
        #expect(try Gnuplot.timeout(environment: ["RAMBO_GNUPLOT_TIMEOUT": "2.5"]) == 2.5)
        for bad in ["abc", "-5", "0", "inf", "nan", "1e9", ""] {
            do {
                _ = try Gnuplot.timeout(environment: ["RAMBO_GNUPLOT_TIMEOUT": bad])
                Issue.record("RAMBO_GNUPLOT_TIMEOUT=\(bad) was accepted")
            } catch {
                #expect("\(error)".hasPrefix("RAMBO_GNUPLOT_TIMEOUT='\(bad)'"), "\(error)")
            }
        }
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

/// Whether `pid` still runs: it answers signal 0 and is not a zombie waiting for its new parent to reap it. A
/// process just sent SIGKILL takes a moment to die, so this waits up to 10 s for it to stop (a bound for "it
/// ended at all", never a timing assertion).
func isRunning(_ pid: Int32) -> Bool {
    for _ in 0..<200 {
        guard runsNow(pid) else { return false }
        usleep(50_000)
    }
    return true
}

private func runsNow(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}
