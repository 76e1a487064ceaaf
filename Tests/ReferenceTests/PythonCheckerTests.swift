import Foundation
import RamboReference
import Testing

/// The porter's route without Swift: `Data/reference/port.py` (SPEC.md in plain Python) agrees with `eval` bit for
/// bit on random cases, and `Data/reference/check.py` gives `verify`'s verdicts on a corpus of good and bad results.
/// Both need only `python3`, which every machine of this project has; without it the tests are skipped, and the
/// skip says why.
@Suite(.serialized) struct PythonCheckerTests {
    static let python: String? = {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] + pathCandidates()
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }()

    static func pathCandidates() -> [String] {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
    }

    static let repository = Tool.vectors.deletingLastPathComponent().deletingLastPathComponent()

    /// Runs python3 with `arguments`; the output parsed as JSON.
    static func runJSON(_ arguments: [String]) throws -> (status: Int32, value: JSONValue) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python!)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, try JSONParser.parse(bytes: [UInt8](data)))
    }

    /// 10,000 random cases (near-ties, parallel and integer embeddings, signed zeros, both conventions): the
    /// port written from SPEC.md answers every one as `eval` does, bit for bit. RAMBO_FUZZ_SEED draws others.
    @Test(.enabled(if: python != nil, "python3 is not installed: the SPEC port is not run"))
    func aPortWrittenFromTheSpecAgreesWithEvalBitForBit() throws {
        let seed = ProcessInfo.processInfo.environment["RAMBO_FUZZ_SEED"] ?? "27"
        let run = try Self.runJSON([
            Self.repository.appendingPathComponent("Data/reference/port.py").path, "fuzz", "--tool",
            Tool.binary.path, "--count", "10000", "--seed", seed, "--json",
        ])
        let mismatches = run.value["mismatches"]?.arrayValue ?? [.null]
        #expect(run.status == 0 && mismatches.isEmpty, "seed \(seed): \(JSONWriter.compact(run.value))")
        #expect(run.value["agreed"] == .integer(10_000))
        // Every op of the port is drawn, the metrics under both conventions.
        let rows = run.value["table"]?.arrayValue ?? []
        for op in ["recall_at_k", "map_at_r", "average_precision"] {
            for convention in ["paper", "official"] {
                #expect(
                    rows.contains { $0["op"] == .string(op) && $0["convention"] == .string(convention) },
                    "\(op) \(convention) was not drawn")
            }
        }
    }

    /// A port with either quotient form of the cosine is caught by the same draw.
    @Test(.enabled(if: python != nil, "python3 is not installed: the SPEC port is not run"))
    func theRejectedCosineProceduresDisagreeWithEval() throws {
        for procedure in ["quotient", "quotient-sqrt-product"] {
            let run = try Self.runJSON([
                Self.repository.appendingPathComponent("Data/reference/port.py").path, "fuzz", "--tool",
                Tool.binary.path, "--count", "3000", "--seed", "27", "--cosine", procedure, "--json",
            ])
            #expect(run.status == 1 && (run.value["mismatches"]?.arrayValue?.count ?? 0) > 0, "\(procedure)")
        }
    }

    /// check.py and `verify --json` on the corpus of scripts/reference/corpus.py: the same exit code, counts and
    /// failed ids on every entry.
    @Test(.enabled(if: python != nil, "python3 is not installed: check.py is not run"))
    func theStandardLibraryCheckerGivesVerifysVerdictsOnTheCorpus() throws {
        let run = try Self.runJSON([
            Self.repository.appendingPathComponent("scripts/reference/corpus.py").path, "--tool", Tool.binary.path,
            "--vectors", Tool.vectors.path, "--json",
        ])
        let entries = run.value["entries"]?.doubleValue ?? 0
        #expect(run.status == 0 && entries >= 100 && run.value["agreed"]?.doubleValue == entries)
        for row in run.value["rows"]?.arrayValue ?? [] where row["agree"] != .bool(true) {
            Issue.record("check.py and verify differ on \(JSONWriter.compact(row))")
        }
        // The corpus holds passing, failing and refused files alike.
        let exits = Set((run.value["rows"]?.arrayValue ?? []).compactMap { $0["verify"]?["exit"]?.doubleValue })
        #expect(exits == [0, 1, 2])
    }
}
