import Foundation
import Support

extension NotebookSource {
    /// The first line of every generated README, which `course --readmes` looks for before replacing a README.
    public static let generatedMarker =
        "<!-- Generated from main.swift by `make readmes`: edit main.swift, not this file. -->"

    /// The chapter's README.md, generated from its main.swift (the prose has one home: the markup): the title, the
    /// introduction, one `## §N Title` per cell with its prose and a link to its lines of main.swift, the takeaways,
    /// "Try this" with each answer in `<details>`, and the appendix. Maths stays `$…$`, which forges render.
    public func readme(for info: ChapterInfo) -> String {
        var s = Self.generatedMarker + "\n\n# Chapter \(info.id.dropFirst(2)) · \(info.title)\n\n"
        var appendixStarted = false
        for cell in cells {
            guard let heading = cell.heading else {
                if !cell.prose.isEmpty { s += cell.prose + "\n\n" }
                continue
            }
            if cell.kind == .appendix && !appendixStarted {
                appendixStarted = true
                s += closing()
            }
            let last = cell.codeLine + cell.codeLineCount - 1
            s += "## \(heading)\n\n"
            if !cell.prose.isEmpty { s += cell.prose + "\n\n" }
            s +=
                "<sub>Code: [main.swift lines \(cell.codeLine)–\(last)](main.swift#L\(cell.codeLine)-L\(last))</sub>\n\n"
        }
        if !appendixStarted { s += closing() }
        for part in appendices { s += "## Appendix · \(part.title)\n\n\(part.markdown)\n\n" }
        return s.trimmingCharacters(in: .newlines) + "\n"
    }

    /// Takeaways and "Try this" as Markdown.
    private func closing() -> String {
        var s = ""
        if let takeaways { s += "## Takeaways\n\n\(takeaways)\n\n" }
        guard !tryThis.isEmpty else { return s }
        s += "## Try this\n\n"
        for (i, item) in tryThis.enumerated() {
            s += "\(i + 1). " + Self.indented(item.question, by: 3).dropFirst(3) + "\n\n"
            s += "   ```sh\n   \(item.command)\n   ```\n\n"
            s +=
                "   <details><summary>Answer</summary>\n\n" + Self.indented(item.answer, by: 3)
                + "\n\n   </details>\n\n"
        }
        return s
    }

    private static func indented(_ text: String, by n: Int) -> String {
        let pad = String(repeating: " ", count: n)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }
            .joined(separator: "\n")
    }

    /// Writes the README of every notebook chapter under `root/Chapters` whose README is missing, generated, or
    /// differs; a hand-written README of a chapter not yet written as cells is left alone.
    ///
    /// - Returns: the READMEs written (paths relative to `root`).
    public static func writeReadmes(root: URL) throws -> [String] {
        var written = [String]()
        for info in Catalog.chapters {
            let folder = root.appendingPathComponent("Chapters/\(info.folder)")
            let main = try String(contentsOf: folder.appendingPathComponent("main.swift"), encoding: .utf8)
            let source = NotebookSource(main)
            guard source.isNotebook else { continue }
            let readme = folder.appendingPathComponent("README.md")
            let text = source.readme(for: info)
            if (try? String(contentsOf: readme, encoding: .utf8)) != text {
                try Output.writeFile(text, to: readme)
                written.append("Chapters/\(info.folder)/README.md")
            }
        }
        return written
    }
}
