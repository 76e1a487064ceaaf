// `rambo-reference cases --vectors DIR`: the vectors' inputs as a cases file, so a port runs exactly them.
import Foundation
import RamboReference

enum CasesCommand {
    static let usage = """
        usage: rambo-reference cases --vectors DIR [--op OP] [--convention paper|official] [--valid-only]

        Prints {"cases": [...]} on stdout: every test of the vector files in DIR (or only those of OP and/or of
        one convention) with its id, op, convention, inputs, flags, comment and "result": "valid" or "invalid"
        (invalid: the port must answer {"id", "error"}), without the expected answers. Feed it to your port (or
        to `rambo-reference eval`), write {"results": [...]} and check it with `rambo-reference verify` using the
        same --op and --convention. --valid-only leaves out the invalid tests.
        """

    static func run(_ arguments: [String]) -> Never {
        var flagged = arguments
        let validOnly = flagged.contains("--valid-only")
        flagged.removeAll { $0 == "--valid-only" }
        let (values, _) = Console.options(
            flagged, allowed: ["vectors", "op", "convention"], positional: 0,
            usage: usage)
        guard let folder = values["vectors"] else { Console.fail("cases needs --vectors DIR; see --help") }
        let op = Console.op(values["op"])
        let convention = Console.convention(values["convention"])
        let tests = Console.loadVectors(folder).filter {
            Console.selected(op: op, convention: convention, $0.op, $0.convention) && (!validOnly || $0.valid)
        }
        Console.write(casesText(tests.map(\.annotatedCaseValue)))
        exit(0)
    }

    /// {"cases": [...]} with one case per line.
    static func casesText(_ cases: [JSONValue]) -> String {
        guard !cases.isEmpty else { return "{\"cases\": []}\n" }
        return "{\"cases\": [\n" + cases.map { "  " + JSONWriter.compact($0) }.joined(separator: ",\n") + "\n]}\n"
    }
}
