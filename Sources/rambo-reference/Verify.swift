// `rambo-reference verify --vectors DIR --results FILE`: checks a port's answers against the shipped vectors.
import Foundation
import RamboReference

enum VerifyCommand {
    static let usage = """
        usage: rambo-reference verify --vectors DIR --results FILE [--op OP] [--convention paper|official]

        FILE is your port's {"results": [{"id": .., outputs...}, ...]}: any order, matched by id. Every test of
        the selection (all tests of the vector files in DIR, or only those of OP and/or of one convention) must
        have an answer; a missing id is a failure. Results for tests outside the selection are not judged. A
        valid test passes when every expected number e is matched within |answer − e| ≤ atol + rtol·|e| (the
        test's own tolerances: paper 0 for ranks and 1e-12 for the rest; official 1e-6 relative, 1e-9 absolute,
        for its Float32 ranks), shapes agree, and an expected null (undefined: a metric without a same-class
        item, an official loss that is NaN) is answered with null, NaN or "NaN". An invalid test passes when the
        answer has an "error" field.

        Prints one line per failing test (op, id, convention, max abs and rel error, tolerance or reason), then
        "N passed, M failed". Exit: 0 all passed; 1 some failed; 2 bad folder or results file, or an empty
        selection (nothing checked).
        """

    static func run(_ arguments: [String]) -> Never {
        let (values, _) = Console.options(
            arguments, allowed: ["vectors", "results", "op", "convention"], positional: 0,
            usage: usage)
        guard let folder = values["vectors"] else { Console.fail("verify needs --vectors DIR; see --help") }
        guard let resultsPath = values["results"] else { Console.fail("verify needs --results FILE; see --help") }
        let op = Console.op(values["op"])
        let convention = Console.convention(values["convention"])
        let all = Console.loadVectors(folder)
        let tests = all.filter { Console.selected(op: op, convention: convention, $0.op, $0.convention) }
        guard !tests.isEmpty else {
            Console.fail("no test of the vectors in '\(folder)' matches the selection, so nothing would be checked")
        }
        let results = Console.readJSON(resultsPath, what: "results file")
        let report: ReferenceVectors.Report
        do {
            report = try ReferenceVectors.verify(tests, results: results, known: Set(all.map(\.id)))
        } catch {
            Console.fail("results file '\(resultsPath)': \(error)")
        }
        for line in report.lines { print(line) }
        print(report.summary)
        exit(report.failed > 0 ? 1 : 0)
    }
}
