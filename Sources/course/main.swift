// course: runs every chapter in order into OUT/chNN and writes the course book: OUT/index.html with one
// OUT/chNN.html per chapter (text, figures with captions, checks, metrics, narration; see Walkthrough/Book.swift),
// and OUT/index.md for readers on a forge.
//
//     swift run -c release course [--out out] [--quick] [--only ch03,ch04] [--seed N] [--timeout SECONDS]
//     swift run -c release course --readmes      (make readmes: each notebook chapter's README from its main.swift)
//
// Each chapter runs with a time limit (--timeout, default 7200 s): a chapter that exceeds it is stopped and
// reported as failed, and the course goes on with the next one.
import Foundation
import Support
import Walkthrough

Output.prepare()
Output.program = "course"

func fail(_ message: String) -> Never {
    Output.error("course: \(message)")
    Output.exit(2)
}

var outRoot = URL(fileURLWithPath: "out")
var passThrough = [String]()
var only: Set<String>?
var timeout = 7200.0
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let a = arguments.removeFirst()
    switch a {
    case "--out":
        guard !arguments.isEmpty else { fail("--out needs a folder") }
        outRoot = URL(fileURLWithPath: arguments.removeFirst())
    case "--quick":
        passThrough.append(a)
    case "--seed":
        guard let v = arguments.first, UInt64(v) != nil else { fail("--seed needs a non-negative whole number") }
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
    case "--readmes":
        do {
            let written = try NotebookSource.writeReadmes(root: URL(fileURLWithPath: "."))
            print(
                written.isEmpty
                    ? "course: every README is up to date" : written.map { "wrote \($0)" }.joined(separator: "\n"))
        } catch {
            fail("cannot write the READMEs: \(error.localizedDescription)")
        }
        Output.exit(0)
    case "--help", "-h":
        print("usage: course [--out DIR] [--quick] [--seed N] [--only ch01,ch02] [--timeout SECONDS] | --readmes")
        Output.exit(0)
    default:
        fail("unknown option \(a); see --help")
    }
}
if let only, let unknown = only.first(where: { id in !Catalog.chapters.contains { $0.id == id } }) {
    fail("no chapter '\(unknown)'; chapters are \(Catalog.chapters.map(\.id).joined(separator: ", "))")
}

/// The chapter executables are built beside this one.
let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()

var results = [(info: ChapterInfo, status: Int32, summary: Summary?, seconds: Double)]()
for info in Catalog.chapters where only?.contains(info.id) ?? true {
    let binary = binaries.appendingPathComponent(info.id)
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        fail("\(binary.path) is missing; build first with: swift build -c release")
    }
    let dir = outRoot.appendingPathComponent(info.id)
    let log = dir.appendingPathComponent("log.txt")
    let process = Process()
    process.executableURL = binary
    process.arguments = ["--out", dir.path] + passThrough
    let handle: FileHandle
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw OutputError(path: log.path, reason: "cannot create")
        }
        handle = try FileHandle(forWritingTo: log)
    } catch {
        fail("cannot write \(log.path): \(error.localizedDescription)")
    }
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    let start = Date()
    do { try process.run() } catch { fail("cannot run \(binary.path): \(error.localizedDescription)") }
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        process.terminate()
        if finished.wait(timeout: .now() + 5) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
    }
    try? handle.close()
    let seconds = Date().timeIntervalSince(start)
    let summary = try? Summary.read(from: dir.appendingPathComponent("summary.json"))
    let checks = summary.map { s in "\(s.checks.filter(\.passed).count)/\(s.checks.count) checks" } ?? "no summary"
    let status = timedOut ? 124 : process.terminationStatus
    print(
        "\(status == 0 ? "✓" : "✗") \(info.id) \(info.title.padding(toLength: 34, withPad: " ", startingAt: 0)) "
            + "\(checks), \(summary?.figures.count ?? 0) figures, \(String(format: "%.1f", seconds)) s"
            + (timedOut
                ? "  (stopped after the \(Int(timeout)) s time limit; see \(log.path))"
                : status == 0 ? "" : "  (exit \(status); see \(log.path))"))
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
        index += "![\(Book.caption(chapter: r.info.id, figure: figure))](\(r.info.id)/\(figure).png)\n"
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
    try FileManager.default.createDirectory(at: outRoot, withIntermediateDirectories: true)
    try Output.writeFile(index, to: outRoot.appendingPathComponent("index.md"))
} catch {
    fail("cannot write \(outRoot.path)/index.md: \(error.localizedDescription)")
}

// The HTML book. Chapter texts are read from the repository (the working folder), converted by cmark-gfm.
let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
let outPath = outRoot.standardizedFileURL.path
let repository: String
if outPath.hasPrefix(cwd + "/") {
    let depth = outPath.dropFirst(cwd.count + 1).split(separator: "/").count
    repository = Array(repeating: "..", count: depth).joined(separator: "/")
} else {
    repository = "file://" + cwd
}
if Book.cmark == nil {
    print("course: cmark-gfm is not installed; chapter texts appear preformatted (make setup installs it)")
}
let docsIndex = "docs/documentation/rambo/index.html"
let docs = FileManager.default.fileExists(atPath: outRoot.appendingPathComponent(docsIndex).path) ? docsIndex : nil
let bookChapters = results.map { r -> BookChapter in
    let readme =
        (try? String(contentsOfFile: "Chapters/\(r.info.folder)/README.md", encoding: .utf8))
        ?? "# \(r.info.id) · \(r.info.title)\n\n(Chapters/\(r.info.folder)/README.md not found.)\n"
    let log = (try? String(contentsOf: outRoot.appendingPathComponent("\(r.info.id)/log.txt"), encoding: .utf8)) ?? ""
    let main = try? String(contentsOfFile: "Chapters/\(r.info.folder)/main.swift", encoding: .utf8)
    return BookChapter(
        info: r.info, status: r.status, seconds: r.summary?.seconds ?? r.seconds, summary: r.summary,
        textHTML: Book.markdownToHTML(readme), narration: log, source: main.map(NotebookSource.init))
}
do {
    let quick = passThrough.contains("--quick")
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
