// `rambo-reference cases --vectors DIR`: the vectors' inputs as a cases file, so a port runs exactly them.
import Foundation
import Rambo
import RamboReference

enum CasesCommand {
    static let usage = """
        usage: rambo-reference cases --vectors DIR [--op OP] [--valid-only]

        Prints {"cases": [...]} on stdout: every test of the vector files in DIR (or only those of OP) with its
        id, op, convention and inputs, and without the expected answers. Feed it to your port (or to
        `rambo-reference eval`), write {"results": [...]} and check it with `rambo-reference verify`.
        --valid-only leaves out the tests whose inputs must be rejected with an error.
        """

    static func run(_ arguments: [String]) -> Never {
        var flagged = arguments
        let validOnly = flagged.contains("--valid-only")
        flagged.removeAll { $0 == "--valid-only" }
        let (values, _) = Console.options(flagged, allowed: ["vectors", "op"], positional: 0, usage: usage)
        guard let folder = values["vectors"] else { Console.fail("cases needs --vectors DIR; see --help") }
        let op = Console.op(values["op"])
        let tests = Console.loadVectors(folder).filter { (op == nil || $0.op == op) && (!validOnly || $0.valid) }
        Console.write(casesText(tests.map(\.caseValue)))
        exit(0)
    }

    /// {"cases": [...]} with one case per line.
    static func casesText(_ cases: [JSONValue]) -> String {
        guard !cases.isEmpty else { return "{\"cases\": []}\n" }
        return "{\"cases\": [\n" + cases.map { "  " + JSONWriter.compact($0) }.joined(separator: ",\n") + "\n]}\n"
    }
}
