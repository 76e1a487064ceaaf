// The shipped test vectors (`Data/reference/*.json`) and the comparison `rambo-reference verify` makes.
//
// A vector file (Wycheproof-style):
//   {"schema_version": 1, "generator": "...", "op": "...", "notes": {flag: explanation}, "number_of_tests": N,
//    "test_groups": [{"op", "convention", "tests": [{"id", "flags", "comment", "result": "valid" | "invalid",
//                                                    "inputs": {...}, "expected": {...}, "rtol", "atol"}]}]}
// A valid test passes when the port's answer has every expected field and every number e' of it satisfies
//     |e' − e| ≤ atol + rtol · |e|
// (shapes equal, nulls where null is expected, no "error"). An invalid test passes when the port answers with an
// "error" field (any message; the expected one is shown for reference).

import Rambo

/// One test of a vector file.
public struct ReferenceVector: Sendable, Equatable {
    public var id: String
    public var op: ReferenceOp
    public var convention: Convention
    public var flags: [String]
    public var comment: String
    /// `false` for inputs a port must reject with an error.
    public var valid: Bool
    public var inputs: [String: JSONValue]
    public var expected: [String: JSONValue]
    public var rtol: Double
    public var atol: Double

    public init(
        id: String, op: ReferenceOp, convention: Convention, flags: [String], comment: String = "",
        valid: Bool = true, inputs: [String: JSONValue], expected: [String: JSONValue],
        rtol: Double, atol: Double
    ) {
        self.id = id
        self.op = op
        self.convention = convention
        self.flags = flags
        self.comment = comment
        self.valid = valid
        self.inputs = inputs
        self.expected = expected
        self.rtol = rtol
        self.atol = atol
    }

    /// The test as a case for `eval`: its inputs with id, op and convention, without the expected answer.
    public var caseValue: JSONValue {
        var o = inputs
        o["id"] = .string(id)
        o["op"] = .string(op.rawValue)
        o["convention"] = .string(convention.rawValue)
        return .object(o)
    }

    /// `caseValue` with what a porter needs besides the inputs: the flags, the comment and "result": "valid" or
    /// "invalid" (inputs that must be answered with an error). `eval` ignores these fields.
    public var annotatedCaseValue: JSONValue {
        guard case .object(var o) = caseValue else { return caseValue }
        o["flags"] = .array(flags.map(JSONValue.string))
        o["result"] = .string(valid ? "valid" : "invalid")
        if !comment.isEmpty { o["comment"] = .string(comment) }
        return .object(o)
    }

    /// The test as it is stored in a vector file.
    public var testValue: JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(id), "flags": .array(flags.map(JSONValue.string)),
            "result": .string(valid ? "valid" : "invalid"),
            "inputs": .object(inputs), "expected": .object(expected), "rtol": .number(rtol), "atol": .number(atol),
        ]
        if !comment.isEmpty { o["comment"] = .string(comment) }
        return .object(o)
    }
}

/// Why a vector file or a results file cannot be used, in one line.
public struct ReferenceFileError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reading vector files and comparing a port's answers with them.
public enum ReferenceVectors {
    /// The schema version `generate` writes and `verify` reads.
    public static let schemaVersion = 1

    /// The tolerances of every official vector: Float32 ranks carry a relative rounding of 2^-24 ≈ 6e-8, and a
    /// port that rounds them (or a loss built on them) in another order differs by a few of those.
    public static let officialTolerance = (rtol: 1e-6, atol: 1e-9)

    /// The tests of one vector file.
    ///
    /// - Parameter name: the file's name, used in errors.
    /// - Throws: `ReferenceFileError` naming the file and the test that is malformed.
    public static func tests(in file: JSONValue, name: String) throws -> [ReferenceVector] {
        func fail(_ message: String) -> ReferenceFileError { ReferenceFileError("\(name): \(message)") }
        guard let o = file.objectValue else {
            throw fail("not a vector file (expected an object with \"test_groups\")")
        }
        guard let version = o["schema_version"]?.doubleValue else { throw fail("no \"schema_version\"") }
        guard version == Double(schemaVersion) else {
            throw fail(
                "schema_version \(JSONWriter.number(version)) is not supported (this tool reads \(schemaVersion))")
        }
        guard let groups = o["test_groups"]?.arrayValue else { throw fail("no \"test_groups\" list") }
        var result = [ReferenceVector]()
        for (g, group) in groups.enumerated() {
            guard let opName = group["op"]?.stringValue, let op = ReferenceOp(rawValue: opName) else {
                throw fail("test_groups[\(g)] has no known \"op\"")
            }
            guard let cName = group["convention"]?.stringValue, let convention = Convention(rawValue: cName) else {
                throw fail("test_groups[\(g)] has no known \"convention\"")
            }
            guard let tests = group["tests"]?.arrayValue else { throw fail("test_groups[\(g)] has no \"tests\" list") }
            for (t, test) in tests.enumerated() {
                let at = "test_groups[\(g)].tests[\(t)]"
                guard let id = test["id"]?.stringValue else { throw fail("\(at) has no string \"id\"") }
                guard let inputs = test["inputs"]?.objectValue, let expected = test["expected"]?.objectValue else {
                    throw fail("test \(id) needs \"inputs\" and \"expected\" objects")
                }
                guard let rtol = test["rtol"]?.doubleValue, let atol = test["atol"]?.doubleValue,
                    rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite
                else { throw fail("test \(id) needs finite \"rtol\" and \"atol\" ≥ 0") }
                let flags = (test["flags"]?.arrayValue ?? []).compactMap(\.stringValue)
                let valid = test["result"]?.stringValue != "invalid"
                // An expected answer that checks nothing would pass any port: refuse it.
                if valid {
                    for key in op.outputs where expected[key] == nil {
                        throw fail(
                            "test \(id) expects no \"\(key)\"; a valid \(op.rawValue) test needs "
                                + op.outputs.map { "\"\($0)\"" }.joined(separator: " and "))
                    }
                    if !ReferenceVectors.finite(.object(expected)) {
                        throw fail(
                            "test \(id) expects NaN or infinity, which any answer would match; undefined "
                                + "values are written null")
                    }
                    if !expected.values.contains(where: { $0 != .null }) && op != .recallAtK && op != .mapAtR
                        && op != .averagePrecision
                    {
                        throw fail("test \(id) expects only null; nothing would be checked")
                    }
                }
                result.append(
                    ReferenceVector(
                        id: id, op: op, convention: convention, flags: flags,
                        comment: test["comment"]?.stringValue ?? "",
                        valid: valid, inputs: inputs, expected: expected, rtol: rtol, atol: atol))
            }
        }
        return result
    }

    /// Whether every number of a value is finite.
    static func finite(_ v: JSONValue) -> Bool {
        switch v {
        case .number(let d): return d.isFinite
        case .array(let a): return a.allSatisfy(finite)
        case .object(let o): return o.values.allSatisfy(finite)
        default: return true
        }
    }

    /// The result of checking one answer against one test.
    public struct Outcome: Sendable, Equatable {
        public var passed: Bool
        /// Why it failed (empty when it passed).
        public var reason: String
        /// The largest |answer − expected| and |answer − expected| / |expected| over the compared numbers.
        public var maxAbsoluteError: Double
        public var maxRelativeError: Double
    }

    /// Compares one answer (`nil` when the port gave none) with a test.
    public static func compare(_ test: ReferenceVector, answer: JSONValue?) -> Outcome {
        func failed(_ reason: String) -> Outcome {
            Outcome(passed: false, reason: reason, maxAbsoluteError: 0, maxRelativeError: 0)
        }
        guard let answer else { return failed("no answer with this id in the results") }
        guard let fields = answer.objectValue else { return failed("the answer is \(answer.kindName), not an object") }
        if !test.valid {
            return fields["error"] != nil
                ? Outcome(passed: true, reason: "", maxAbsoluteError: 0, maxRelativeError: 0)
                : failed(
                    "these inputs are invalid and must be answered with an \"error\" (expected: "
                        + "\(test.expected["error"]?.stringValue ?? "an error"))")
        }
        if let error = fields["error"] { return failed("the port answered an error: \(JSONWriter.compact(error))") }
        var state = Comparison(rtol: test.rtol, atol: test.atol)
        for key in test.expected.keys.sorted() {
            guard let actual = fields[key] else { return failed("the answer has no \"\(key)\"") }
            state.compare(test.expected[key]!, actual, path: key)
            if let mismatch = state.mismatch { return failed(mismatch) }
        }
        let worst = state.worstPath.map { " at \($0)" } ?? ""
        return Outcome(
            passed: state.withinTolerance,
            reason: state.withinTolerance
                ? ""
                : "outside tolerance rtol \(JSONWriter.number(test.rtol)), "
                    + "atol \(JSONWriter.number(test.atol))\(worst)",
            maxAbsoluteError: state.maxAbs, maxRelativeError: state.maxRel)
    }

    /// Whether the reference answers a case (an object with its op and inputs) with `answer`, within
    /// |reference − a| ≤ atol + rtol·|a| for every number a of `answer`: `compare` with the other's answer as the
    /// expected one (how the ecosystem fixture's claims are checked).
    public static func referenceAnswers(
        _ testCase: JSONValue, with answer: JSONValue, rtol: Double, atol: Double
    )
        -> Bool
    {
        guard var fields = testCase.objectValue, let op = fields["op"]?.stringValue.flatMap(ReferenceOp.init) else {
            return false
        }
        fields["id"] = .string("compared")
        let test = ReferenceVector(
            id: "compared", op: op, convention: .paper, flags: [], inputs: [:], expected: answer.objectValue ?? [:],
            rtol: rtol, atol: atol)
        return compare(test, answer: Reference.answer(case: .object(fields))).passed
    }

    /// The one-line report of a failed test: op, id, errors and tolerance or the reason.
    public static func failureLine(_ test: ReferenceVector, _ outcome: Outcome) -> String {
        let errors =
            outcome.maxAbsoluteError > 0 || outcome.maxRelativeError > 0
            ? "max abs error \(JSONWriter.number(outcome.maxAbsoluteError)), max rel error "
                + "\(JSONWriter.number(outcome.maxRelativeError)), " : ""
        return "FAIL \(test.op.rawValue) \(test.id) (\(test.convention.rawValue)): \(errors)\(outcome.reason)"
    }

    /// What `verify` found.
    public struct Report: Sendable {
        /// One line per failed test, in vector order, then notes (results with unknown ids).
        public var lines: [String]
        public var passed: Int
        public var failed: Int
        /// Every judged test with its outcome, in vector order.
        public var outcomes: [(test: ReferenceVector, outcome: Outcome)] = []
        /// The notes alone (results with unknown ids, outside the selection, without a string id).
        public var notes: [String] = []
        /// "312 passed, 0 failed".
        public var summary: String { "\(passed) passed, \(failed) failed" }

        /// One row per op and convention, in op order (paper, then official); the metric ops, which have one
        /// definition, form one row with the convention "any".
        public var table: [(op: ReferenceOp, convention: String, passed: Int, failed: Int)] {
            var rows = [(op: ReferenceOp, convention: String, passed: Int, failed: Int)]()
            for op in ReferenceOp.allCases {
                let names = op.hasOneDefinition ? ["any"] : Convention.allCases.map(\.rawValue)
                for name in names {
                    let mine = outcomes.filter {
                        $0.test.op == op && (op.hasOneDefinition || $0.test.convention.rawValue == name)
                    }
                    guard !mine.isEmpty else { continue }
                    let passed = mine.filter(\.outcome.passed).count
                    rows.append((op, name, passed, mine.count - passed))
                }
            }
            return rows
        }

        /// The table as aligned text: op, convention, passed, failed.
        public var tableText: String {
            let header = "op".padding(18) + "convention".padding(12) + "passed".leftPadding(7) + "failed".leftPadding(8)
            let rows = table.map { row in
                row.op.rawValue.padding(18) + row.convention.padding(12) + String(row.passed).leftPadding(7)
                    + String(row.failed).leftPadding(8)
            }
            return ([header] + rows).joined(separator: "\n")
        }

        /// The report as JSON: {"passed", "failed", "table": [{"op", "convention", "passed", "failed"}],
        /// "failures": [{"id", "op", "convention", "reason"}], "notes": [...]}.
        public var json: JSONValue {
            .object([
                "passed": .integer(passed), "failed": .integer(failed),
                "table": .array(
                    table.map { row in
                        .object([
                            "op": .string(row.op.rawValue), "convention": .string(row.convention),
                            "passed": .integer(row.passed), "failed": .integer(row.failed),
                        ])
                    }),
                "failures": .array(
                    outcomes.filter { !$0.outcome.passed }.map { test, outcome in
                        .object([
                            "id": .string(test.id), "op": .string(test.op.rawValue),
                            "convention": .string(test.convention.rawValue), "reason": .string(outcome.reason),
                        ])
                    }),
                "notes": .array(notes.map(JSONValue.string)),
            ])
        }
    }

    /// Checks a port's results file `{"results": [...]}` (any order, matched by id) against the tests.
    ///
    /// - Parameters:
    ///   - tests: the selection to judge (for example one op or one convention).
    ///   - known: every id of the vector files, when `tests` is a selection of them: results for known ids outside
    ///     the selection are not judged and not reported as unknown. `nil`: the ids of `tests`.
    /// - Throws: `ReferenceFileError` when the results are not an object with a "results" list, or when the
    ///   selection is empty (nothing would be checked).
    public static func verify(
        _ tests: [ReferenceVector], results: JSONValue, known: Set<String>? = nil
    ) throws
        -> Report
    {
        guard let list = results["results"]?.arrayValue else {
            throw ReferenceFileError(
                results.objectValue == nil
                    ? "the results file holds \(results.kindName); expected an object {\"results\": [...]}"
                    : "the results file has no \"results\" list")
        }
        guard !tests.isEmpty else { throw ReferenceFileError("no test is selected, so nothing would be checked") }
        var byID = [String: [JSONValue]]()
        var unnamed = 0
        for answer in list {
            if let s = answer["id"]?.stringValue { byID[s, default: []].append(answer) } else { unnamed += 1 }
        }
        var report = Report(lines: [], passed: 0, failed: 0)
        let selected = Set(tests.map(\.id))
        let everyID = known ?? selected
        for test in tests {
            let answers = byID[test.id] ?? []
            let outcome =
                answers.count > 1
                ? Outcome(
                    passed: false, reason: "answered \(answers.count) times", maxAbsoluteError: 0, maxRelativeError: 0)
                : compare(test, answer: answers.first)
            report.outcomes.append((test, outcome))
            if outcome.passed {
                report.passed += 1
            } else {
                report.failed += 1
                report.lines.append(failureLine(test, outcome))
            }
        }
        let unknown = byID.keys.filter { !everyID.contains($0) }.count
        let outside = byID.keys.filter { everyID.contains($0) && !selected.contains($0) }.count
        if unknown > 0 { report.notes.append("\(unknown) results have ids that are not in the vectors (ignored)") }
        if outside > 0 {
            report.notes.append("\(outside) results are for tests outside the selection (not judged)")
        }
        if unnamed > 0 { report.notes.append("\(unnamed) results have no string id (ignored)") }
        report.lines += report.notes.map { "note: " + $0 }
        return report
    }
}

/// A running comparison of an expected value with an answer: shapes first, then numbers within tolerance.
struct Comparison {
    let rtol: Double
    let atol: Double
    var maxAbs = 0.0
    var maxRel = 0.0
    var withinTolerance = true
    var worstPath: String?
    var worstExcess = 0.0
    var mismatch: String?

    init(rtol: Double, atol: Double) {
        self.rtol = rtol
        self.atol = atol
    }

    mutating func compare(_ expected: JSONValue, _ actual: JSONValue, path: String) {
        guard mismatch == nil else { return }
        switch expected {
        case .null:
            // Undefined (the metrics' null, the official losses' NaN): null, NaN (Python's json) or "NaN".
            let undefined = actual == .null || actual.doubleValue?.isNaN == true || actual == .string("NaN")
            if !undefined {
                mismatch = "\(path) should be null (undefined: null, NaN or \"NaN\"), got \(JSONWriter.compact(actual))"
            }
        case .integer, .number:
            let e = expected.doubleValue!
            guard let a = actual.doubleValue else {
                mismatch = "\(path) should be a number, got \(actual.kindName)"
                return
            }
            guard a.isFinite else {
                mismatch = "\(path) is \(JSONWriter.number(a)), expected \(JSONWriter.number(e))"
                return
            }
            let abs = (a - e).magnitude
            let rel = e == 0 ? (abs == 0 ? 0 : .infinity) : abs / e.magnitude
            maxAbs = max(maxAbs, abs)
            maxRel = max(maxRel, rel)
            let allowed = atol + rtol * e.magnitude
            if abs > allowed {
                withinTolerance = false
                if abs - allowed > worstExcess || worstPath == nil {
                    worstExcess = abs - allowed
                    worstPath = "\(path) (expected \(JSONWriter.compact(expected)), got \(JSONWriter.compact(actual)))"
                }
            }
        case .array(let e):
            guard let a = actual.arrayValue else {
                mismatch = "\(path) should be a list of \(e.count), got \(actual.kindName)"
                return
            }
            guard a.count == e.count else {
                mismatch = "\(path) has \(a.count) entries, expected \(e.count)"
                return
            }
            for i in e.indices { compare(e[i], a[i], path: "\(path)[\(i)]") }
        case .object(let e):
            guard let a = actual.objectValue else {
                mismatch = "\(path) should be an object, got \(actual.kindName)"
                return
            }
            for key in e.keys.sorted() {
                guard let v = a[key] else {
                    mismatch = "\(path) has no \"\(key)\""
                    return
                }
                compare(e[key]!, v, path: "\(path).\(key)")
            }
        case .bool, .string:
            if actual != expected {
                mismatch = "\(path) should be \(JSONWriter.compact(expected)), got \(JSONWriter.compact(actual))"
            }
        }
    }
}

extension String {
    /// The string followed by spaces up to `width` characters (never cut).
    fileprivate func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    /// Spaces then the string, up to `width` characters (never cut).
    fileprivate func leftPadding(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
