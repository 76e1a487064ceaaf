// `rambo-reference verify --vectors DIR --results FILE`: checks a port's answers against the shipped vectors.
import Foundation
import Rambo
import RamboReference

enum VerifyCommand {
    static let usage = """
        usage: rambo-reference verify --vectors DIR --results FILE [--op OP]

        FILE is your port's {"results": [{"id": .., outputs...}, ...]}: any order, matched by id. Every test of
        the vector files in DIR (or only those of OP) must have an answer; a missing id is a failure. A valid
        test passes when every expected number e is matched within |answer − e| ≤ atol + rtol·|e| (the test's
        own tolerances: 0 for ranks, 1e-12 for losses, gradients and metrics), shapes agree and null is
        answered with null. An invalid test passes when the answer has an "error" field.

        Prints one line per failing test (op, id, convention, max abs and rel error, tolerance or reason), then
        "N passed, M failed". Exit: 0 all passed; 1 some failed; 2 bad folder or results file.
        """

    static func run(_ arguments: [String]) -> Never {
        let (values, _) = Console.options(arguments, allowed: ["vectors", "results", "op"], positional: 0, usage: usage)
        guard let folder = values["vectors"] else { Console.fail("verify needs --vectors DIR; see --help") }
        guard let resultsPath = values["results"] else { Console.fail("verify needs --results FILE; see --help") }
        let op = Console.op(values["op"])
        let tests = Console.loadVectors(folder).filter { op == nil || $0.op == op }
        let results = Console.readJSON(resultsPath, what: "results file")
        let report: ReferenceVectors.Report
        do {
            report = try ReferenceVectors.verify(tests, results: results)
        } catch {
            Console.fail("results file '\(resultsPath)': \(error)")
        }
        for line in report.lines { print(line) }
        print(report.summary)
        exit(report.failed > 0 ? 1 : 0)
    }
}
