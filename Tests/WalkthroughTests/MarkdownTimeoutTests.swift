import Foundation
import Testing

@testable import Walkthrough

/// cmark-gfm runs with a time limit: a hung one (with a child holding its output open) never stops the book.
@Suite struct MarkdownTimeoutTests {
    @Test func aHungCmarkIsStoppedAndTheTextShownPreformatted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmark-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = dir.appendingPathComponent("cmark-gfm")
        try Data("#!/bin/sh\nsleep 600 &\necho $! > '\(dir.path)/child'\nexec sleep 600\n".utf8).write(to: fake)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let html = Book.markdownToHTML("# a < b", cmark: fake, timeout: 0.5)
        #expect(html == "<pre># a &lt; b</pre>\n")
        let child = try String(contentsOf: dir.appendingPathComponent("child"), encoding: .utf8)
        let pid = try #require(Int32(child.trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<200 where !gone {  // up to 10 s for the killed child to be reaped
            gone = kill(pid, 0) != 0
            if !gone { usleep(50_000) }
        }
        #expect(gone, "cmark-gfm's child \(pid) outlived it")
    }

    @Test func theRealCmarkStillConverts() throws {
        let cmark = try #require(Book.cmark, "cmark-gfm is installed by make setup")
        #expect(Book.markdownToHTML("*a*", cmark: cmark, timeout: 30) == "<p><em>a</em></p>\n")
    }
}
