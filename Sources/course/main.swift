// course: runs every chapter in order into OUT/chNN and writes the course book: OUT/index.html with one
// OUT/chNN.html per chapter (text, figures with captions, checks, metrics, narration; see Walkthrough/Book.swift),
// and OUT/index.md for readers on a forge.
//
//     swift run -c release course [--out out] [--quick] [--only ch03,ch04] [--seed N] [--timeout SECONDS]
//                                 [--repo DIR]
//     swift run -c release course --lint-figures out
//     swift run -c release course --readmes      (make readmes: each notebook chapter's README from its main.swift)
//
// --lint-figures DIR runs no chapter: it checks every figure under DIR against the figure rules (FigureLint: caption,
// width, inks, bars from 0, probability ranges, category ticks, shared axes, text) and exits 1 on any finding.
//
// Each chapter runs in its own process group with a time limit (--timeout, default 7200 s): a chapter that exceeds
// it is stopped with its gnuplot and reported as failed, and the course goes on with the next one. SIGINT and
// SIGTERM are forwarded to the running chapter, which removes its temporaries; course then stops too. One course
// at a time writes into an output folder (a lock file in it). The chapter texts come from the repository: the
// working folder, the folders above the course executable, or --repo DIR.
import Foundation
import Gnuplot
import Support
import Walkthrough

Output.prepare()
Output.program = "course"

func fail(_ message: String) -> Never {
    Output.error("course: \(message)")
    Output.exit(2)
}

/// Checks every figure under `folder` against the figure rules, prints one line per finding and a tally, and
/// exits: 0 when nothing was found, 1 otherwise, 2 when the folder cannot be read or holds no figure.
func lintFigures(_ folder: URL) -> Never {
    do {
        let (figures, findings) = try FigureLint.check(folder: folder)
        guard !figures.isEmpty else { fail("no figure (.gp file) under \(folder.path)") }
        for finding in findings { print(finding) }
        print("figure lint: \(figures.count) figures under \(folder.path), \(findings.count) findings")
        Output.exit(findings.isEmpty ? 0 : 1)
    } catch {
        fail("cannot read \(folder.path): \(error.localizedDescription)")
    }
}

var outRoot = URL(fileURLWithPath: "out")
var passThrough = [String]()
var only: Set<String>?
var timeout = 7200.0
var repoFlag: String?
var readmesOnly = false
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let a = arguments.removeFirst()
    switch a {
    case "--out":
        guard let v = arguments.first, !v.isEmpty, !v.hasPrefix("--") else { fail("--out needs a folder") }
        outRoot = URL(fileURLWithPath: arguments.removeFirst())
    case "--repo":
        guard let v = arguments.first, !v.isEmpty, !v.hasPrefix("--") else { fail("--repo needs a folder") }
        repoFlag = arguments.removeFirst()
    case "--quick":
        passThrough.append(a)
    case "--seed":
        // The chapters' own parser, so that course accepts exactly the seeds they accept.
        do { _ = try Options.parse(Array([a] + arguments.prefix(1)), chapter: "course", flags: []) } catch {
            fail("\(error)")
        }
        passThrough += [a, arguments.removeFirst()]
    case "--only":
        guard let v = arguments.first else { fail("--only needs chapter ids, e.g. ch01,ch03") }
        only = Set(v.split(separator: ",").map(String.init))
        arguments.removeFirst()
    case "--timeout":
        guard let v = arguments.first.flatMap(Double.init), v.isFinite, v > 0, v <= 7 * 86400 else {
            fail("--timeout needs seconds in (0, 604800]")
        }
        timeout = v
        arguments.removeFirst()
    case "--lint-figures":
        guard let folder = arguments.first else { fail("--lint-figures needs a folder, e.g. out") }
        lintFigures(URL(fileURLWithPath: folder))
    case "--readmes":
        readmesOnly = true
    case "--help", "-h":
        print(
            "usage: course [--out DIR] [--quick] [--seed N] [--only ch01,ch02] [--timeout SECONDS] [--repo DIR]\n"
                + "       course --lint-figures DIR\n" + "       course --readmes [--repo DIR]")
        Output.exit(0)
    default:
        fail("unknown option \(a); see --help")
    }
}
if let only, let unknown = only.first(where: { id in !Catalog.chapters.contains { $0.id == id } }) {
    fail("no chapter '\(unknown)'; chapters are \(Catalog.chapters.map(\.id).joined(separator: ", "))")
}

/// The chapter executables are built beside this one.
let executable = URL(fileURLWithPath: CommandLine.arguments[0])
let binaries = executable.resolvingSymlinksInPath().deletingLastPathComponent()
let repositoryRoot: URL
do { repositoryRoot = try Repository.locate(given: repoFlag, executable: executable) } catch { fail("\(error)") }
if readmesOnly {
    do {
        let written = try NotebookSource.writeReadmes(root: repositoryRoot)
        print(
            written.isEmpty
                ? "course: every README is up to date" : written.map { "wrote \($0)" }.joined(separator: "\n"))
    } catch {
        fail("cannot write the READMEs: \(error.localizedDescription)")
    }
    Output.exit(0)
}
let claimed: OutputFolder
do { claimed = try OutputFolder(claiming: outRoot) } catch { fail("\(error)") }
Orphans.adopt()

var results = [(info: ChapterInfo, status: Int32, summary: Summary?, seconds: Double)]()
for info in Catalog.chapters where only?.contains(info.id) ?? true {
    let binary = binaries.appendingPathComponent(info.id)
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        fail("\(binary.path) is missing; build first with: swift build -c release")
    }
    if let problem = claimed.problem() { fail(problem) }
    let dir = outRoot.appendingPathComponent(info.id)
    let log = dir.appendingPathComponent("log.txt")
    let start = Date()
    let termination: ChildProcess.Termination
    do {
        termination = try ChapterRun.run(binary, into: dir, arguments: passThrough, timeout: timeout)
    } catch {
        fail("\(error)")
    }
    let seconds = Date().timeIntervalSince(start)
    let summary = (try? Summary.read(from: dir.appendingPathComponent("summary.json"))).flatMap {
        $0.chapter == info.id ? $0 : nil
    }
    let checks = summary.map { s in "\(s.checks.filter(\.passed).count)/\(s.checks.count) checks" } ?? "no summary"
    let status = ChapterRun.status(termination)
    print(
        "\(status == 0 ? "✓" : "✗") \(info.id) \(info.title.padding(toLength: 34, withPad: " ", startingAt: 0)) "
            + "\(checks), \(summary?.figures.count ?? 0) figures, \(String(format: "%.1f", seconds)) s"
            + (status == 0 ? "" : "  (\(termination); see \(log.path))"))
    fflush(nil)  // every C output stream, stdout included: one line per chapter as it finishes, also when piped
    results.append((info, status, summary, seconds))
}

// index.md: one section per chapter with its text, figures and numbers.
var index =
    "# RaMBO in Swift: the course\n\nRendered by `make course`; the same run as a web page: `index.html`. "
    + "Each chapter's narration is in `chNN/log.txt`.\n\n"
index += "| chapter | title | checks | figures | seconds |\n|---|---|---|---|---|\n"
for r in results {
    let s = r.summary
    index +=
        "| [\(r.info.id)](#\(r.info.id)) | \(r.info.title) | "
        + "\(s.map { "\($0.checks.filter(\.passed).count)/\($0.checks.count)" } ?? "failed") | "
        + "\(s?.figures.count ?? 0) | \(s.map { String(format: "%.1f", $0.seconds) } ?? "–") |\n"
}
for r in results {
    let relativeReadme = "../Chapters/\(r.info.folder)/README.md"
    index +=
        "\n## \(r.info.id)\n\n**\(r.info.title)** · [chapter text](\(relativeReadme)) · "
        + "[narration](\(r.info.id)/log.txt) · [summary.json](\(r.info.id)/summary.json) · "
        + "[book page](\(r.info.id).html)\n\n"
    guard let s = r.summary else {
        index += "The chapter did not finish (exit \(r.status)).\n"
        continue
    }
    for f in s.checks where !f.passed { index += "- ✗ \(f.name): \(f.detail)\n" }
    for figure in s.figures {
        index += "![\(Book.caption(s, figure: figure))](\(r.info.id)/\(figure).png)\n"
    }
    // Metrics pivoted as in the HTML book: one table per dataset, methods down, metrics across.
    for table in Book.pivot(s.metrics) {
        index +=
            "\n**\(table.dataset)**\n\n| method | " + table.metrics.joined(separator: " | ") + " |\n|---|"
            + String(repeating: "---|", count: table.metrics.count) + "\n"
        for row in table.rows {
            index +=
                "| \(row.method) | "
                + row.values.map { $0.map { String(format: "%.4f", $0) } ?? "–" }.joined(separator: " | ") + " |\n"
        }
    }
}
do {
    if let problem = claimed.problem() { fail(problem) }
    try Output.writeFile(index, to: outRoot.appendingPathComponent("index.md"))
} catch {
    fail("cannot write \(outRoot.path)/index.md: \(error.localizedDescription)")
}

// The HTML book. Chapter texts are read from the repository (found above), converted by cmark-gfm.
let repository = Repository.link(from: outRoot, to: repositoryRoot)
if Book.cmark == nil {
    print("course: cmark-gfm is not installed; chapter texts appear preformatted (make setup installs it)")
}
let docsIndex = "docs/documentation/rambo/index.html"
let docs = FileManager.default.fileExists(atPath: outRoot.appendingPathComponent(docsIndex).path) ? docsIndex : nil
let bookChapters = results.map { r -> BookChapter in
    let readme =
        (try? String(
            contentsOf: repositoryRoot.appendingPathComponent("Chapters/\(r.info.folder)/README.md"), encoding: .utf8))
        ?? "# \(r.info.id) · \(r.info.title)\n\n(Chapters/\(r.info.folder)/README.md not found.)\n"
    let log = (try? String(contentsOf: outRoot.appendingPathComponent("\(r.info.id)/log.txt"), encoding: .utf8)) ?? ""
    let main = try? String(
        contentsOf: repositoryRoot.appendingPathComponent("Chapters/\(r.info.folder)/main.swift"), encoding: .utf8)
    return BookChapter(
        info: r.info, status: r.status, seconds: r.summary?.seconds ?? r.seconds, summary: r.summary,
        textHTML: Book.markdownToHTML(readme), narration: log, source: main.map(NotebookSource.init))
}
do {
    let quick = passThrough.contains("--quick")
    if let problem = claimed.problem() { fail(problem) }
    let notes = try Book.write(bookChapters, to: outRoot, quick: quick, docs: docs, repository: repository)
    for note in notes { print("course: \(note)") }
} catch {
    fail("cannot write the course book into \(outRoot.path): \(error.localizedDescription)")
}
let failed = results.filter { $0.status != 0 }
let chapterSeconds = results.reduce(0) { $0 + $1.seconds }
print(
    "\(results.count - failed.count) of \(results.count) chapters passed in \(String(format: "%.0f", chapterSeconds)) s "
        + "of chapter runs; book: \(outRoot.path)/index.html (and index.md)")
Output.exit(failed.isEmpty ? 0 : 1)
