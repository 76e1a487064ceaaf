// `rambo-reference verify --vectors DIR --results FILE`: checks a port's answers against the shipped vectors.
import Foundation
import Rambo
import RamboReference

enum VerifyCommand {
    static let usage = """
        usage: rambo-reference verify --vectors DIR --results FILE [--op OP] [--convention paper|official] [--json]

        FILE is your port's {"results": [{"id": .., outputs...}, ...]}: any order, matched by id. Every test of
        the selection (all tests of the vector files in DIR, or only those of OP and/or of one convention) must
        have an answer; a missing id is a failure. Results for tests outside the selection are not judged. A
        valid test passes when every expected number e is matched within |answer − e| ≤ atol + rtol·|e| (the
        test's own tolerances: paper 0 for ranks and 1e-12 for the rest; official 1e-6 relative, 1e-9 absolute,
        for its Float32 ranks), shapes agree, and an expected null (undefined: a metric without a same-class
        item, an official loss that is NaN) is answered with null, NaN or "NaN". An invalid test passes when the
        answer has an "error" field.

        The metric ops (recall_at_k, map_at_r, average_precision) have one definition: --convention paper and
        --convention official both select their tests. Results are matched by string id.

        Prints one line per failing test (op, id, convention, max abs and rel error, tolerance or reason), notes,
        a table of passed and failed tests per op and convention, then "N passed, M failed". --json prints the
        same as one JSON object instead: {"passed", "failed", "table": [{"op", "convention", "passed",
        "failed"}], "failures": [{"id", "op", "convention", "reason"}], "notes": [...]}.
        Exit: 0 all passed; 1 some failed; 2 bad folder or results file, or an empty selection (nothing checked).
        The same verdicts without Swift: python3 Data/reference/check.py (same options).
        """

    static func run(_ arguments: [String]) -> Never {
        var flagged = arguments
        let asJSON = flagged.contains("--json")
        flagged.removeAll { $0 == "--json" }
        let (values, _) = Console.options(
            flagged, allowed: ["vectors", "results", "op", "convention"], positional: 0,
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
        if asJSON {
            Console.write(JSONWriter.pretty(report.json) + "\n")
        } else {
            Console.write(
                report.lines.map { $0 + "\n" }.joined() + report.tableText + "\n" + report.summary + "\n")
        }
        exit(report.failed > 0 ? 1 : 0)
    }
}
