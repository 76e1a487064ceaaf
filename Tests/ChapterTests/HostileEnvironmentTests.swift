import Foundation
import Support
import Testing
import Walkthrough

/// The executables under signals, shared folders, hostile paths and a hostile environment, driven as a user would
/// (`sh` scripts around the built chapters and `course`, a fake gnuplot on PATH). Every run must end in a clear
/// error or a correct result, with no process left behind, no temporary left and nothing wrong under a final
/// name. Each script runs under `timeout -s KILL 300`, so a hang fails the test (status 137) instead of holding
/// the suite; no assertion depends on how long anything took.
@Suite(.serialized) struct HostileEnvironmentTests {
    /// A scratch folder with `bin/` for fake programs; removed by `clean()`.
    struct Scratch {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        func clean() { try? FileManager.default.removeItem(at: root) }

        /// A fake `gnuplot` in `bin/`: `$out` is the output file named by `-e "outfile='…'"`.
        func fakeGnuplot(_ command: String) throws {
            let script = """
                #!/bin/sh
                out=$(printf '%s' "$2" | sed -n "s/^outfile='\\([^']*\\)'.*/\\1/p")
                \(command)

                """
            let url = root.appendingPathComponent("bin/gnuplot")
            try Data(script.utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }

        /// A gnuplot that starts a child, records both pids in `pids` and hangs, deaf to SIGTERM.
        func hangingGnuplot() throws {
            try fakeGnuplot(
                "sleep 600 &\necho $$ $! > '\(path("pids")).new' && mv '\(path("pids")).new' '\(path("pids"))'\n"
                    + "trap '' TERM INT\nsleep 600")
        }

        /// Shell lines that wait (at most 60 s) until the hanging gnuplot has written its pids.
        var waitForGnuplot: String {
            "i=0; while [ ! -s '\(path("pids"))' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done"
        }

        /// The pids the hanging gnuplot recorded that still run.
        func survivors() -> [Int32] {
            let text = (try? String(contentsOfFile: path("pids"), encoding: .utf8)) ?? ""
            return text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }.filter(isRunning)
        }

        /// Runs `script` with /bin/sh under `timeout -s KILL 300`, `$B` the built executables, PATH led by `bin/`.
        func run(_ script: String) throws -> FaultTests.Run {
            let file = root.appendingPathComponent("script-\(UUID().uuidString).sh")
            try Data(("PATH='\(path("bin"))':\"$PATH\"\n" + script).utf8).write(to: file)
            return try FaultTests.shell("exec timeout -s KILL 300 /bin/sh '\(file.path)'")
        }
    }

    func write(_ text: String, to path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// Hidden files (temporaries, lock files) left in `folder`, recursively.
    static func hiddenFiles(in folder: String) -> [String] {
        let all = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
        return all.filter { ($0 as NSString).lastPathComponent.hasPrefix(".") }
    }

    // MARK: - Signals and time limits

    /// SIGTERM to a chapter while its gnuplot hangs (with a child, deaf to SIGTERM): the chapter stops the whole
    /// gnuplot group, removes its temporaries and lock file, says so and exits 128 + 15.
    @Test func aStoppedChapterTakesItsGnuplotAndTemporariesWithIt() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.hangingGnuplot()
        let run = try s.run(
            """
            "$B/ch01" --quick --out '\(s.path("out"))' > '\(s.path("log"))' 2>&1 &
            pid=$!
            \(s.waitForGnuplot)
            kill -TERM $pid
            wait $pid
            echo "status $?"
            """)
        #expect(run.stdout.contains("status 143"), "\(run.stdout) \(run.stderr)")
        let log = (try? String(contentsOfFile: s.path("log"), encoding: .utf8)) ?? ""
        #expect(log.contains("ch01: stopped by SIGTERM"), "\(log.suffix(500))")
        #expect(s.survivors().isEmpty, "gnuplot or its child still runs")
        #expect(Self.hiddenFiles(in: s.path("out")).isEmpty, "\(Self.hiddenFiles(in: s.path("out")))")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: s.path("out"))) ?? []
        #expect(left.isEmpty, "a stopped figure left \(left)")
    }

    /// SIGTERM to `course`: forwarded to the running chapter, which stops its gnuplot; course waits for it and
    /// exits 143; nothing is left running or half-written.
    @Test func courseForwardsSIGTERMToItsChapter() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.hangingGnuplot()
        let run = try s.run(
            """
            "$B/course" --quick --only ch01 --out '\(s.path("out"))' > '\(s.path("log"))' 2>&1 &
            pid=$!
            \(s.waitForGnuplot)
            kill -TERM $pid
            wait $pid
            echo "status $?"
            """)
        #expect(run.stdout.contains("status 143"), "\(run.stdout) \(run.stderr)")
        let chapterLog = (try? String(contentsOfFile: s.path("out/ch01/log.txt"), encoding: .utf8)) ?? ""
        #expect(chapterLog.contains("ch01: stopped by SIGTERM"), "\(chapterLog.suffix(500))")
        #expect(s.survivors().isEmpty, "gnuplot or its child still runs")
        #expect(Self.hiddenFiles(in: s.path("out")).isEmpty, "\(Self.hiddenFiles(in: s.path("out")))")
    }

    /// A chapter killed outright (SIGKILL) under `course`: reported by the signal's name, and course stops the
    /// gnuplot it left behind (adopted as a subreaper) and removes its temporaries and lock file.
    @Test func courseClearsWhatAKilledChapterLeaves() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.hangingGnuplot()
        let run = try s.run(
            """
            "$B/course" --quick --only ch01 --out '\(s.path("out"))' > '\(s.path("log"))' 2>&1 &
            pid=$!
            \(s.waitForGnuplot)
            kill -KILL $(pgrep -P $pid -x ch01)
            wait $pid
            echo "status $?"
            """)
        #expect(run.stdout.contains("status 1"), "\(run.stdout) \(run.stderr)")
        let log = (try? String(contentsOfFile: s.path("log"), encoding: .utf8)) ?? ""
        #expect(log.contains("(killed by SIGKILL; see"), "\(log)")
        #expect(s.survivors().isEmpty, "the killed chapter's gnuplot still runs")
        #expect(Self.hiddenFiles(in: s.path("out")).isEmpty, "\(Self.hiddenFiles(in: s.path("out")))")
    }

    /// A gnuplot that never returns is stopped at RAMBO_GNUPLOT_TIMEOUT with its child; a chapter that never
    /// returns is stopped at course's --timeout with its gnuplot. Both are reported by what happened.
    @Test func timeLimitsStopWholeProcessGroups() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.hangingGnuplot()
        let chapter = try s.run(
            "RAMBO_GNUPLOT_TIMEOUT=1 exec \"$B/ch01\" --quick --out '\(s.path("out"))' > '\(s.path("log"))'")
        let log = (try? String(contentsOfFile: s.path("log"), encoding: .utf8)) ?? ""
        #expect(chapter.status == 1, "exit \(chapter.status): \(chapter.stderr)")
        #expect(log.contains("gnuplot did not finish rank-sweep.gp within 1.0 s"), "\(log.suffix(800))")
        #expect(s.survivors().isEmpty && Self.hiddenFiles(in: s.path("out")).isEmpty)
        try FileManager.default.removeItem(atPath: s.path("pids"))
        let course = try s.run("exec \"$B/course\" --quick --only ch01 --timeout 2 --out '\(s.path("book"))'")
        #expect(course.status == 1, "exit \(course.status): \(course.stderr)")
        #expect(course.stdout.contains("(stopped after its 2 s time limit; see"), "\(course.stdout)")
        #expect(s.survivors().isEmpty, "gnuplot or its child outlived its chapter")
        #expect(Self.hiddenFiles(in: s.path("book")).isEmpty, "\(Self.hiddenFiles(in: s.path("book")))")
    }

    @Test(arguments: ["abc", "-5", "inf", "nan", "0"])
    func aBadGnuplotTimeLimitIsNamed(value: String) throws {
        let s = try Scratch()
        defer { s.clean() }
        let run = try s.run("RAMBO_GNUPLOT_TIMEOUT='\(value)' exec \"$B/ch01\" --quick --out '\(s.path("out"))'")
        #expect(run.status == 2, "exit \(run.status)")
        #expect(run.stderr.hasPrefix("ch01: RAMBO_GNUPLOT_TIMEOUT='\(value)' is not a time limit"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("out")))
    }

    // MARK: - One run per folder

    /// While one chapter holds a folder, a second chapter and a course into it are refused with the holder's
    /// pid, and write nothing; the holder is unaffected.
    @Test func aSecondRunIntoABusyFolderIsRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.hangingGnuplot()
        let out = s.path("out")
        let run = try s.run(
            """
            "$B/ch01" --quick --out '\(out)' > '\(s.path("log"))' 2>&1 &
            pid=$!
            \(s.waitForGnuplot)
            echo "holder $pid"
            "$B/ch04" --quick --out '\(out)' > /dev/null 2> '\(s.path("second"))'
            echo "second $?"
            "$B/course" --quick --only ch01 --out '\(out)' > /dev/null 2> '\(s.path("third"))'
            echo "third $?"
            kill -TERM $pid
            wait $pid
            """)
        let holder = run.stdout.split(separator: "\n").first { $0.hasPrefix("holder ") }?.dropFirst(7) ?? "?"
        #expect(run.stdout.contains("second 2") && run.stdout.contains("third 2"), "\(run.stdout)")
        for name in ["second", "third"] {
            let text = (try? String(contentsOfFile: s.path(name), encoding: .utf8)) ?? ""
            #expect(text.contains("another run (pid \(holder)) is writing into \(out)"), "\(name): \(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.path("out/line.png")), "ch04 wrote into the busy folder")
        #expect(s.survivors().isEmpty && Self.hiddenFiles(in: out).isEmpty)
    }

    /// A gnuplot that deletes the output folder: the chapter stops with one line naming the vanished folder,
    /// exit 2, and never re-creates it.
    @Test func aFolderThatVanishesIsAnError() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.fakeGnuplot("rm -rf \"$PWD\"")
        let run = try s.run("exec \"$B/ch01\" --quick --out '\(s.path("out"))'")
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
        #expect(
            run.stderr.contains("ch01: the output folder \(s.path("out")) vanished during the run"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("out")), "the folder was re-created")
    }

    /// course into a folder holding an earlier run's summary.json: a chapter that does not finish is reported as
    /// such, never with the old summary's checks and figures.
    @Test func courseNeverReportsAStaleSummary() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.hangingGnuplot()
        let checks = (0..<17).map { #"{"name": "old \#($0)", "passed": true, "detail": ""}"# }
        let stale =
            #"{"chapter": "ch01", "title": "old", "checks": ["#
            + checks.joined(separator: ", ")
            + #"], "metrics": {}, "figures": ["a", "b", "c", "d", "e"], "seconds": 1, "quick": true}"#
        #expect(try Summary.read(from: write(stale, to: s.path("stale.json"))).checks.count == 17)
        try FileManager.default.createDirectory(atPath: s.path("out/ch01"), withIntermediateDirectories: true)
        _ = try write(stale, to: s.path("out/ch01/summary.json"))
        let run = try s.run("exec \"$B/course\" --quick --only ch01 --timeout 1 --out '\(s.path("out"))'")
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stdout.contains("ch01") && run.stdout.contains("no summary, 0 figures"), "\(run.stdout)")
        #expect(!run.stdout.contains("17/17"))
        let index = (try? String(contentsOfFile: s.path("out/index.md"), encoding: .utf8)) ?? ""
        #expect(index.contains("The chapter did not finish (exit 124)"), "\(index)")
        #expect(!FileManager.default.fileExists(atPath: s.path("out/ch01/summary.json")))
    }

    // MARK: - Hostile paths

    /// Symbolic links to a victim planted at every temporary name earlier versions used, and at summary.json's:
    /// the chapter succeeds, the victim and the links are untouched, and nothing lands in TMPDIR.
    @Test func plantedSymbolicLinksAreNeverFollowed() throws {
        let s = try Scratch()
        defer { s.clean() }
        let out = s.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: s.path("tmp"), withIntermediateDirectories: true)
        try Data("victim".utf8).write(to: URL(fileURLWithPath: s.path("victim")))
        var planted = [String]()
        for figure in ["rank-sweep", "loss-landscape"] {
            planted += [".\(figure).partial.png", ".\(figure).png.partial", ".\(figure).dat.partial"]
        }
        planted += [".summary.json.partial"]
        for name in planted {
            try FileManager.default.createSymbolicLink(atPath: "\(out)/\(name)", withDestinationPath: s.path("victim"))
        }
        let run = try s.run("TMPDIR='\(s.path("tmp"))' exec \"$B/ch01\" --quick --out '\(out)'")
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        #expect(try String(contentsOfFile: s.path("victim"), encoding: .utf8) == "victim")
        for name in planted {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(out)/\(name)")) == s.path("victim"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path("tmp")).isEmpty, "scratch files in TMPDIR")
        #expect(Self.hiddenFiles(in: out).sorted() == planted.sorted())
    }

    /// A symbolic link at the lock file's name is refused (never followed); a dangling link as --out is named.
    @Test func linksWhereTheRunClaimsItsFolderAreRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        try Data("victim".utf8).write(to: URL(fileURLWithPath: s.path("victim")))
        try FileManager.default.createDirectory(atPath: s.path("out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: s.path("out/\(OutputFolder.lockName)"), withDestinationPath: s.path("victim"))
        let locked = try s.run("exec \"$B/ch01\" --quick --out '\(s.path("out"))'")
        #expect(locked.status == 2 && locked.stderr.contains("cannot create the lock file"), "\(locked.stderr)")
        #expect(try String(contentsOfFile: s.path("victim"), encoding: .utf8) == "victim")
        try FileManager.default.createSymbolicLink(atPath: s.path("dangling"), withDestinationPath: s.path("missing"))
        let dangling = try s.run("exec \"$B/ch01\" --quick --out '\(s.path("dangling"))'")
        #expect(dangling.status == 2, "exit \(dangling.status)")
        #expect(
            dangling.stderr.contains("it is a symbolic link to \(s.path("missing")), which does not exist"),
            "\(dangling.stderr)")
    }

    /// A gnuplot that writes a PNG signature, garbage and an IEND trailer: refused as incomplete, never renamed.
    @Test func aFakePNGIsNeverAccepted() throws {
        let s = try Scratch()
        defer { s.clean() }
        try s.fakeGnuplot(
            "printf '\\211PNG\\r\\n\\032\\nGARBAGEGARBAGE\\000\\000\\000\\000IEND\\256B`\\202' > \"$out\"")
        let run = try s.run("exec \"$B/ch01\" --quick --out '\(s.path("out"))'")
        #expect(run.status == 1, "exit \(run.status): \(run.stderr)")
        #expect(run.stdout.contains("gnuplot wrote an incomplete rank-sweep.png"), "\(run.stdout.suffix(800))")
        #expect(!FileManager.default.fileExists(atPath: s.path("out/rank-sweep.png")))
        #expect(Self.hiddenFiles(in: s.path("out")).isEmpty)
    }

    // MARK: - course outside the repository, flags

    /// From another working folder course finds the chapter texts above its executable; a copy of it with no
    /// repository around says what is missing and exits 2, as does a --repo without the texts.
    @Test func courseFindsItsTextsOrSaysWhatIsMissing() throws {
        let s = try Scratch()
        defer { s.clean() }
        let outside = try s.run(
            "cd '\(s.path("bin"))' && exec \"$B/course\" --quick --only ch01 --out '\(s.path("o"))'")
        #expect(outside.status == 0, "exit \(outside.status): \(outside.stderr)")
        let page = (try? String(contentsOfFile: s.path("o/ch01.html"), encoding: .utf8)) ?? ""
        #expect(page.contains("Chapter 01 · Sorting and ranking") && !page.contains("not found"))
        let alone = try s.run(
            "cp \"$B/course\" '\(s.path("bin/course"))' && cd / && exec '\(s.path("bin/course"))' --out '\(s.path("p"))'"
        )
        #expect(alone.status == 2 && alone.stderr.contains("cannot find the chapter texts"), "\(alone.stderr)")
        let repo = try s.run("exec \"$B/course\" --repo '\(s.path("bin"))' --out '\(s.path("q"))'")
        #expect(repo.status == 2, "exit \(repo.status)")
        #expect(repo.stderr.contains("--repo \(s.path("bin")) lacks Chapters/01-sorting-and-ranking/README.md"))
        #expect(
            !FileManager.default.fileExists(atPath: s.path("p")) && !FileManager.default.fileExists(atPath: s.path("q"))
        )
    }

    /// A forgotten value (`--out --quick`) is refused rather than taken as a folder name; course accepts exactly
    /// the seeds the chapters accept.
    @Test func flagsThatLookLikeValuesAndSeedRanges() throws {
        let s = try Scratch()
        defer { s.clean() }
        let chapter = try s.run("cd '\(s.path("bin"))' && exec \"$B/ch01\" --out --quick")
        #expect(chapter.status == 2 && chapter.stderr.contains("--out needs a value"), "\(chapter.stderr)")
        let course = try s.run("cd '\(s.path("bin"))' && exec \"$B/course\" --out --quick")
        #expect(course.status == 2 && course.stderr.contains("--out needs a folder"), "\(course.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("bin/--quick")))
        for seed in ["18446744073709551615", "-1", "x"] {
            let a = try s.run("exec \"$B/ch01\" --seed \(seed) --out '\(s.path("o"))'")
            let b = try s.run("exec \"$B/course\" --seed \(seed) --out '\(s.path("o"))'")
            #expect(a.status == 2 && b.status == 2, "\(seed): \(a.status) \(b.status)")
            #expect(
                a.stderr.dropFirst("ch01: ".count) == b.stderr.dropFirst("course: ".count), "\(a.stderr) \(b.stderr)")
        }
    }

    // MARK: - Resource limits

    /// Few descriptors: a chapter renders (10) or says which file it could not open (5), never traps.
    @Test func fewDescriptorsGiveAMessageNotATrap() throws {
        let s = try Scratch()
        defer { s.clean() }
        let ten = try s.run("ulimit -n 10; exec \"$B/ch01\" --quick --out '\(s.path("ten"))'")
        #expect(ten.status == 0, "exit \(ten.status): \(ten.stderr)")
        let five = try s.run("ulimit -n 5; exec \"$B/ch01\" --quick --out '\(s.path("five"))'")
        #expect(five.status == 1 || five.status == 2, "exit \(five.status): \(five.stderr)")
        #expect((five.stdout + five.stderr).contains("Too many open files"), "\(five.stdout.suffix(500))")
        #expect(Self.hiddenFiles(in: s.path("five")).isEmpty)
    }

    /// A file-size limit smaller than the first data file, without `trap '' XFSZ`: the chapter reports the
    /// failed write naming the file and exits 2 instead of dying of SIGXFSZ; no temporary is left.
    @Test func aFileSizeLimitIsAFailedWriteNotADeath() throws {
        let s = try Scratch()
        defer { s.clean() }
        let run = try s.run("ulimit -f 2; exec \"$B/ch02\" --quick --out '\(s.path("out"))' > /dev/null")
        #expect(run.status == 2, "exit \(run.status): \(run.stderr)")
        #expect(
            run.stderr.hasPrefix("ch02: cannot write \(s.path("out"))/") && run.stderr.contains(": File too large"),
            "\(run.stderr)")
        #expect(Self.hiddenFiles(in: s.path("out")).isEmpty)
        let figures = try s.run("ulimit -f 40; exec \"$B/ch02\" --quick --out '\(s.path("small"))'")
        #expect(figures.status == 1, "exit \(figures.status): \(figures.stderr)")
        #expect(figures.stdout.contains("incomplete clusters.png: gnuplot was stopped by the file-size limit"))
        #expect(Self.hiddenFiles(in: s.path("small")).isEmpty)
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
