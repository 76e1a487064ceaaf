import Foundation
import Testing

/// Learning/Overview.swift is the map of the module: it names every file of it.
@Suite("Learning overview")
struct OverviewTests {
    @Test("Overview.swift names every file of Sources/Learning")
    func everyFileListed() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Learning")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        let overview = try String(contentsOf: folder.appendingPathComponent("Overview.swift"), encoding: .utf8)
        #expect(files.count >= 17)
        for file in files {
            let listed = overview.contains("| \(file)") || overview.contains(", \(file)")
            #expect(listed, "\(file) is not in Overview.swift")
        }
    }
}
