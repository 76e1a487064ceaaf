// Reading one case of `rambo-reference eval`: field by field, with an error that names the field and the index.
//
// A case is a JSON object: {"id": .., "op": .., "convention": "paper" | "official" (default "paper"), inputs...}.
// The inputs of each op are listed in `ReferenceOp.inputs`; any other field is an error (a misspelt "margn"
// would otherwise be silently ignored). "comment", "flags" and "result" (what `rambo-reference cases` copies from
// the vectors) are allowed and ignored.

import Rambo

/// What is wrong with a case, in words that name the field ("relevance[1][3] = 2; expected 0 or 1").
public struct ReferenceCaseError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The operations of the reference, with their inputs (README, "Checking a port"; chapter 13).
public enum ReferenceOp: String, CaseIterable, Sendable {
    case rank
    case rankBackward = "rank_backward"
    case recallLoss = "recall_loss"
    case apLoss = "ap_loss"
    case mapLoss = "map_loss"
    case recallAtK = "recall_at_k"
    case mapAtR = "map_at_r"
    case averagePrecision = "average_precision"

    /// Required inputs, then optional inputs with their defaults.
    public var inputs: (required: [String], optional: [String: JSONValue]) {
        switch self {
        case .rank: return (["scores"], [:])
        case .rankBackward: return (["scores", "upstream", "lambda"], [:])
        case .recallLoss:
            return (
                ["scores", "relevance", "lambda"],
                ["margin": .integer(0), "weighting": .string("log"), "memory": .array([])]
            )
        case .apLoss: return (["scores", "relevance", "lambda"], ["margin": .integer(0)])
        case .mapLoss:
            return (
                ["scores", "targets", "lambda"],
                ["margin": .integer(0), "interclass": .integer(0), "memory": .array([])]
            )
        case .recallAtK: return (["embeddings", "labels", "k"], [:])
        case .mapAtR: return (["embeddings", "labels"], [:])
        case .averagePrecision: return (["scores", "relevance"], [:])
        }
    }

    /// The output fields of a successful answer.
    public var outputs: [String] {
        switch self {
        case .rank: return ["ranks"]
        case .rankBackward: return ["grad"]
        case .recallLoss, .apLoss, .mapLoss: return ["loss", "grad"]
        case .recallAtK: return ["recall_at_k"]
        case .mapAtR: return ["map_at_r"]
        case .averagePrecision: return ["ap"]
        }
    }

    /// Whether the op has one definition (the metrics): its tests belong to both conventions, and a selection of
    /// either convention includes them.
    public var hasOneDefinition: Bool { self == .recallAtK || self == .mapAtR || self == .averagePrecision }

    /// Fields every case may carry besides its inputs.
    public static let metaFields: Set<String> = ["id", "op", "convention", "comment", "flags", "result"]
}

/// Typed, checked access to the fields of one case. Every accessor names the field in its error.
struct CaseReader {
    let fields: [String: JSONValue]

    func value(_ key: String) throws -> JSONValue {
        guard let v = fields[key] else { throw ReferenceCaseError("missing field \"\(key)\"") }
        return v
    }

    /// A finite number.
    func number(_ key: String) throws -> Double {
        try Self.number(try value(key), name: key)
    }

    static func number(_ v: JSONValue, name: String) throws -> Double {
        guard let d = v.doubleValue else { throw ReferenceCaseError("\(name) is \(v.kindName); expected a number") }
        guard d.isFinite else { throw ReferenceCaseError("\(name) is \(describe(d)); every value must be finite") }
        return d
    }

    static func describe(_ d: Double) -> String {
        d.isNaN ? "NaN" : (d > 0 ? "+infinity (or too large for a double)" : "-infinity (or too large for a double)")
    }

    /// A string.
    func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw ReferenceCaseError("\(key) is \(v.kindName); expected a string") }
        return s
    }

    /// A non-empty list of finite numbers.
    func vector(_ key: String) throws -> [Double] { try Self.vector(try value(key), name: key) }

    static func vector(_ v: JSONValue, name: String) throws -> [Double] {
        guard let a = v.arrayValue else {
            throw ReferenceCaseError("\(name) is \(v.kindName); expected a list of numbers")
        }
        guard !a.isEmpty else { throw ReferenceCaseError("\(name) is empty") }
        return try a.enumerated().map { i, e in try number(e, name: "\(name)[\(i)]") }
    }

    /// A non-empty list of non-empty lists of finite numbers (rows may differ in length; the ops check shapes).
    func matrix(_ key: String) throws -> [[Double]] { try Self.matrix(try value(key), name: key) }

    static func matrix(_ v: JSONValue, name: String) throws -> [[Double]] {
        guard let a = v.arrayValue else {
            throw ReferenceCaseError("\(name) is \(v.kindName); expected a list of lists of numbers")
        }
        guard !a.isEmpty else { throw ReferenceCaseError("\(name) is empty") }
        return try a.enumerated().map { i, row in
            guard row.arrayValue != nil else {
                throw ReferenceCaseError(
                    "\(name)[\(i)] is \(row.kindName); expected a list of numbers (\(name) is a list of lists)")
            }
            return try vector(row, name: "\(name)[\(i)]")
        }
    }

    /// A 0/1 list (numbers 0 or 1, or booleans).
    static func binary(_ v: JSONValue, name: String) throws -> [Bool] {
        guard let a = v.arrayValue else { throw ReferenceCaseError("\(name) is \(v.kindName); expected a list of 0/1") }
        guard !a.isEmpty else { throw ReferenceCaseError("\(name) is empty") }
        return try a.enumerated().map { i, e in
            if case .bool(let b) = e { return b }
            let d = try number(e, name: "\(name)[\(i)]")
            if d == 1 { return true }
            if d == 0 { return false }
            throw ReferenceCaseError("\(name)[\(i)] = \(JSONWriter.number(d)); expected 0 or 1")
        }
    }

    func binaryVector(_ key: String) throws -> [Bool] { try Self.binary(try value(key), name: key) }

    func binaryMatrix(_ key: String) throws -> [[Bool]] { try Self.binaryMatrix(try value(key), name: key) }

    static func binaryMatrix(_ v: JSONValue, name: String) throws -> [[Bool]] {
        guard let a = v.arrayValue else {
            throw ReferenceCaseError("\(name) is \(v.kindName); expected a list of lists of 0/1")
        }
        guard !a.isEmpty else { throw ReferenceCaseError("\(name) is empty") }
        return try a.enumerated().map { i, row in
            guard row.arrayValue != nil else {
                throw ReferenceCaseError(
                    "\(name)[\(i)] is \(row.kindName); expected a list of 0/1 (\(name) is a list of lists)")
            }
            return try binary(row, name: "\(name)[\(i)]")
        }
    }

    /// Whole numbers (labels, k): each must be integral with |n| < 2^53, so that it is exact in a double. A
    /// larger one (9007199254740993) is refused, never rounded to a neighbour.
    func integers(_ key: String, positive: Bool = false) throws -> [Int] {
        let v = try value(key)
        guard let a = v.arrayValue else {
            throw ReferenceCaseError("\(key) is \(v.kindName); expected a list of whole numbers")
        }
        guard !a.isEmpty else { throw ReferenceCaseError("\(key) is empty") }
        let limit = 9_007_199_254_740_992  // 2^53
        return try a.enumerated().map { i, e in
            let n: Int
            if case .integer(let exact) = e {
                guard exact.magnitude < UInt(limit) else {
                    throw ReferenceCaseError(
                        "\(key)[\(i)] = \(exact) is too large; whole numbers must be below 2^53 in magnitude")
                }
                n = exact
            } else {
                let d = try Self.number(e, name: "\(key)[\(i)]")
                guard d == d.rounded() else {
                    throw ReferenceCaseError("\(key)[\(i)] = \(JSONWriter.number(d)); expected a whole number")
                }
                // 2^53 itself may be the rounding of a larger number written with a fraction or an exponent.
                guard d.magnitude < Double(limit), let exact = Int(exactly: d) else {
                    throw ReferenceCaseError(
                        "\(key)[\(i)] = \(JSONWriter.number(d)) is too large; "
                            + "whole numbers must be below 2^53 in magnitude")
                }
                n = exact
            }
            if positive, n <= 0 {
                throw ReferenceCaseError("\(key)[\(i)] = \(n); expected a whole number ≥ 1")
            }
            return n
        }
    }

    /// Score memory: a list of {"scores": [[..]], relevanceKey: [[..]]} objects.
    func memory(_ key: String, relevanceKey: String) throws -> [ScoreBatch] {
        let v = try value(key)
        guard let a = v.arrayValue else {
            throw ReferenceCaseError(
                "\(key) is \(v.kindName); expected a list of {\"scores\", \"\(relevanceKey)\"} objects")
        }
        return try a.enumerated().map { k, entry in
            let name = "\(key)[\(k)]"
            guard let o = entry.objectValue else {
                throw ReferenceCaseError(
                    "\(name) is \(entry.kindName); expected an object with \"scores\" and \"\(relevanceKey)\"")
            }
            for field in o.keys where field != "scores" && field != relevanceKey {
                throw ReferenceCaseError(
                    "\(name) has an unknown field \"\(field)\"; expected \"scores\" and \"\(relevanceKey)\"")
            }
            guard let s = o["scores"] else { throw ReferenceCaseError("\(name) is missing \"scores\"") }
            guard let r = o[relevanceKey] else { throw ReferenceCaseError("\(name) is missing \"\(relevanceKey)\"") }
            let scores = try Self.matrix(s, name: "\(name).scores")
            let relevance = try Self.binaryMatrix(r, name: "\(name).\(relevanceKey)")
            try Self.sameShape(scores, relevance, name: "\(name).\(relevanceKey)")
            return ScoreBatch(scores: scores, relevance: relevance)
        }
    }

    /// Relevance of the same shape as the scores.
    static func sameShape(_ scores: [[Double]], _ relevance: [[Bool]], name: String) throws {
        guard relevance.count == scores.count else {
            throw ReferenceCaseError(
                "\(name) has \(relevance.count) rows, expected \(scores.count) (one per row of scores)")
        }
        for q in scores.indices where relevance[q].count != scores[q].count {
            throw ReferenceCaseError("\(name)[\(q)] has \(relevance[q].count) entries, expected \(scores[q].count)")
        }
    }

    /// Every row of the same length.
    static func rectangular(_ rows: [[Double]], name: String, columns: Int? = nil) throws {
        let width = columns ?? rows[0].count
        for (q, row) in rows.enumerated() where row.count != width {
            throw ReferenceCaseError(
                "\(name)[\(q)] has \(row.count) entries, expected \(width) (every row the same length)")
        }
    }

    /// How many scalar leaves a value holds (to refuse oversized cases before working on them).
    static func leafCount(_ v: JSONValue, limit: Int) -> Int {
        var count = 0
        var stack = [v]
        while let top = stack.popLast() {
            switch top {
            case .array(let a): stack.append(contentsOf: a)
            case .object(let o): stack.append(contentsOf: o.values)
            default:
                count += 1
                if count > limit { return count }
            }
        }
        return count
    }
}
