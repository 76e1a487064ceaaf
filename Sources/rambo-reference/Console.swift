// Command-line plumbing shared by the subcommands: messages, options, reading JSON files.
import Foundation
import Rambo
import RamboReference
import Support

enum Console {
    /// Writes one line to stderr (checked: a closed or full stderr never traps; see `Output`).
    static func error(_ message: String) {
        Output.error(message)
    }

    /// One line on stderr, prefixed with the tool's name, then exit (2 by default: a usage or file problem).
    static func fail(_ message: String, code: Int32 = 2) -> Never {
        error("rambo-reference: \(message)")
        Output.exit(code)
    }

    /// Writes text to stdout, in order with `print`; a lost write makes the tool exit 2 (`Output`).
    static func write(_ text: String) {
        Output.write(text)
    }

    /// Parses `--name value` / `--name=value` options; `--help` prints `usage` and exits 0.
    static func options(
        _ arguments: [String], allowed: [String], positional: Int, usage: String
    )
        -> (values: [String: String], positional: [String])
    {
        var values = [String: String]()
        var free = [String]()
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if argument == "--help" || argument == "-h" {
                print(usage)
                exit(0)
            }
            guard argument.hasPrefix("--") else {
                free.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var value: String? = nil
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard allowed.contains(name) else { fail("unknown option --\(name); see --help") }
            if value == nil {
                guard i < arguments.count else { fail("--\(name) needs a value") }
                value = arguments[i]
                i += 1
            }
            values[name] = value
        }
        guard free.count == positional else {
            fail(
                positional == 0
                    ? "unexpected argument '\(free[0])'; see --help"
                    : "expected \(positional) file argument\(positional == 1 ? "" : "s"), got \(free.count); see --help"
            )
        }
        return (values, free)
    }

    /// Reads and parses a JSON file, or fails with one line and exit 2.
    static func readJSON(_ path: String, what: String) -> JSONValue {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            fail("\(what) '\(path)' does not exist")
        }
        guard !isDirectory.boolValue else { fail("\(what) '\(path)' is a folder, expected a JSON file") }
        // Limits before and while parsing: a file larger than this cannot hold a case within the caps.
        let maximumBytes = 64 * Reference.maximumFileValues
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
            size.intValue > maximumBytes
        {
            fail("\(what) '\(path)' has \(size.intValue) bytes; at most \(maximumBytes) (split it)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(what) '\(path)'") }
        do {
            return try JSONParser.parse(bytes: [UInt8](data), maximumValues: Reference.maximumFileValues)
        } catch let error as JSONParseError {
            fail("\(what) '\(path)' is not valid JSON: \(error)")
        } catch {
            fail("\(what) '\(path)' is not valid JSON: \(error)")
        }
    }

    /// Every test of the vector files (`*.json`) in a folder, in file-name order; fails with one line on a
    /// missing folder, an unreadable file or a duplicate id.
    static func loadVectors(_ folder: String) -> [ReferenceVector] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            fail("the vectors folder '\(folder)' does not exist")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { fail("the vectors folder '\(folder)' holds no .json files") }
        var tests = [ReferenceVector]()
        var seen = Set<String>()
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            let file = readJSON(path, what: "vector file")
            do {
                for test in try ReferenceVectors.tests(in: file, name: name) {
                    guard seen.insert(test.id).inserted else { fail("\(name): duplicate test id \(test.id)") }
                    tests.append(test)
                }
            } catch {
                fail("\(error)")
            }
        }
        return tests
    }

    /// The convention named by `--convention`, if any; fails on an unknown name.
    static func convention(_ name: String?) -> Convention? {
        guard let name else { return nil }
        guard let convention = Convention(rawValue: name) else {
            fail("unknown convention '\(name)'; expected paper or official")
        }
        return convention
    }

    /// Whether a case or test of `op` and `convention` is in the selection of `--op` and `--convention`. The
    /// metric ops have one definition: any `--convention` selects them.
    static func selected(
        op: ReferenceOp?, convention: Convention?, _ testOp: ReferenceOp, _ testConvention: Convention
    )
        -> Bool
    {
        (op == nil || op == testOp) && (convention == nil || convention == testConvention || testOp.hasOneDefinition)
    }

    /// The op named by `--op`, if any; fails on an unknown name.
    static func op(_ name: String?) -> ReferenceOp? {
        guard let name else { return nil }
        guard let op = ReferenceOp(rawValue: name) else {
            fail(
                "unknown op '\(name)'; expected one of " + ReferenceOp.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return op
    }
}

enum Usage {
    static let general = """
        rambo-reference: the RaMBO reference for ports (Float64, exact to the last digit)

        usage:
          rambo-reference eval CASES.json                       answer every case: {"results": [...]} on stdout
          rambo-reference generate --out DIR                    write the shipped test vectors, one file per op
          rambo-reference verify --vectors DIR --results FILE   check a port's results against the vectors
          rambo-reference cases --vectors DIR [--op OP] [--convention C]   the vectors' inputs as a cases file

        eval, verify and cases take --op OP and --convention paper|official to work on a selection.
        The full definition of every op, both conventions: Data/reference/SPEC.md.

        Run `rambo-reference COMMAND --help` for the details of a command.
        Exit codes: 0 ok; 1 a case erred (eval) or a test failed (verify); 2 a usage or file problem.
        """
}
