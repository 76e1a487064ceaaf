// The ops of the port-checking reference: one case in, one answer out. `rambo-reference eval`, `generate`, the
// ReferenceTests and chapter 13 all go through `Reference.answer(case:)`, so they cannot disagree.
//
// Answers (Float64 throughout):
//   rank               {"ranks": [n]}        paper: 1-based descending integers; official: rk/n (normalised)
//   rank_backward      {"grad": [n]}         paper: rankBackward, λ_paper; official: TrueRanker.backward, λ_code
//   recall_loss        {"loss", "grad"}      RecallLoss (weighting log | loglog | identity; memory optional)
//   ap_loss            {"loss", "grad"}      APLoss over [L][n] lists
//   map_loss           {"loss", "grad"}      MAPLoss with memory, margin (deterministic) and interclass β
//   recall_at_k        {"recall_at_k": {"1": .., "4": ..}}   or null when no query has a same-class item
//   map_at_r           {"map_at_r": x}       or null when no query has a same-class item
//   average_precision  {"ap": x}             or null when the list has no positive
// The metric ops have one definition; "convention" is accepted for them and changes nothing.
// A loss with no positive anywhere is 0 with a zero gradient (`paper`); `official` answers what the authors' code
// gives: a NaN loss, written as null (undefined), and its gradient.

import Rambo

/// Evaluation of reference cases.
public enum Reference {
    /// The most numbers one case may hold (inputs of every field together).
    public static let maximumNumbers = 10_000_000
    /// The most items of a retrieval case (recall_at_k, map_at_r cost O(N²) time and memory).
    public static let maximumRetrievalItems = 4096
    /// The most work one retrieval case may ask for: N²·d (the similarities) + N·K (K distinct k values) must not
    /// exceed this (about a second of arithmetic); a larger case is refused with an error before any work.
    public static let maximumRetrievalCost = 1 << 31
    /// The most scalar values a whole cases or results file may hold: the per-case cap plus room for ids and
    /// names. Counted while parsing, so a larger file is refused before it is parsed whole.
    public static let maximumFileValues = maximumNumbers + 100_000

    /// The answer to one case: `{"id": .., outputs...}`, or `{"id": .., "error": "what is wrong and where"}`.
    /// The id is echoed as given (`null` when missing). Never traps.
    public static func answer(case value: JSONValue) -> JSONValue {
        var id = value["id"] ?? .null
        do {
            if let d = id.doubleValue, !d.isFinite {
                id = .null  // never echo NaN or Infinity: they are not JSON
                throw ReferenceCaseError("id is \(CaseReader.describe(d)); expected a string or a finite number")
            }
            guard let fields = value.objectValue else {
                throw ReferenceCaseError("a case must be an object, got \(value.kindName)")
            }
            guard fields["id"] != nil else { throw ReferenceCaseError("missing field \"id\"") }
            guard id.stringValue != nil || id.doubleValue != nil else {
                throw ReferenceCaseError("id is \(id.kindName); expected a string or a finite number")
            }
            let reader = CaseReader(fields: fields)
            let opName = try reader.string("op")
            guard let op = ReferenceOp(rawValue: opName) else {
                throw ReferenceCaseError(
                    "unknown op \"\(opName)\"; expected one of "
                        + ReferenceOp.allCases.map(\.rawValue).joined(separator: ", "))
            }
            var convention = Convention.paper
            if fields["convention"] != nil {
                let name = try reader.string("convention")
                guard let c = Convention(rawValue: name) else {
                    throw ReferenceCaseError("unknown convention \"\(name)\"; expected paper or official")
                }
                convention = c
            }
            let (required, optional) = op.inputs
            var inputs = [String: JSONValue]()
            for key in fields.keys.sorted() where !ReferenceOp.metaFields.contains(key) {
                let v = fields[key]!
                guard required.contains(key) || optional[key] != nil else {
                    throw ReferenceCaseError(
                        "unknown field \"\(key)\" for op \(op.rawValue); its inputs are "
                            + (required + optional.keys.sorted()).joined(separator: ", "))
                }
                inputs[key] = v
            }
            var result = try outputs(op: op, convention: convention, inputs: inputs)
            for key in result.keys.sorted() where !allFinite(result[key]!) {
                throw ReferenceCaseError("the \(key) is not finite for these inputs (is lambda too small?)")
            }
            result["id"] = id
            return .object(result)
        } catch let error as ReferenceCaseError {
            return .object(["id": id, "error": .string(error.description)])
        } catch let error as RamboError {
            return .object(["id": id, "error": .string(error.description)])
        } catch {
            return .object(["id": id, "error": .string("\(error)")])
        }
    }

    /// The outputs of `op` on `inputs` (the case without id, op and convention). Missing optional inputs take
    /// their defaults (margin 0, weighting log, interclass 0, no memory).
    ///
    /// - Throws: `ReferenceCaseError` or `RamboError` naming the field that is wrong.
    public static func outputs(
        op: ReferenceOp, convention: Convention, inputs given: [String: JSONValue]
    ) throws
        -> [String: JSONValue]
    {
        let size = CaseReader.leafCount(.object(given), limit: maximumNumbers)
        guard size <= maximumNumbers else {
            throw ReferenceCaseError("the case holds more than \(maximumNumbers) numbers; split it")
        }
        var fields = op.inputs.optional
        for (k, v) in given { fields[k] = v }
        let reader = CaseReader(fields: fields)

        switch op {
        case .rank:
            let scores = try reader.vector("scores")
            switch convention {
            case .paper: return ["ranks": .array(rank(scores).map(JSONValue.integer))]
            case .official: return ["ranks": JSONValue(normalisedRank(scores))]
            }

        case .rankBackward:
            let scores = try reader.vector("scores")
            let upstream = try reader.vector("upstream")
            let lambda = try reader.number("lambda")
            try validateRankBackward(scores: scores, upstream: upstream, lambda: lambda)
            switch convention {
            case .paper: return ["grad": JSONValue(rankBackward(scores: scores, upstream: upstream, lambda: lambda))]
            case .official:
                return ["grad": JSONValue(officialRankBackward(scores: scores, upstream: upstream, lambda: lambda))]
            }

        case .recallLoss:
            let scores = try reader.matrix("scores")
            let relevance = try reader.binaryMatrix("relevance")
            try CaseReader.sameShape(scores, relevance, name: "relevance")
            let name = try reader.string("weighting")
            guard let weighting = RecallWeighting(rawValue: name) else {
                throw ReferenceCaseError("unknown weighting \"\(name)\"; expected log, loglog or identity")
            }
            if convention == .official { try CaseReader.rectangular(scores, name: "scores") }
            let memory = try reader.memory("memory", relevanceKey: "relevance")
            for (k, batch) in memory.enumerated() {
                switch convention {
                case .paper:
                    guard batch.scores.count == scores.count else {
                        throw ReferenceCaseError(
                            "memory[\(k)].scores has \(batch.scores.count) rows, expected "
                                + "\(scores.count) (paper: stored scores are extra columns of each current row)")
                    }
                case .official:
                    try CaseReader.rectangular(batch.scores, name: "memory[\(k)].scores", columns: scores[0].count)
                }
            }
            let loss = RecallLoss(
                lambda: try reader.number("lambda"), margin: try reader.number("margin"),
                weighting: weighting, convention: convention)
            try loss.validate(scores: scores, relevance: relevance, memory: memory)
            return lossOutputs(loss.valueAndGradient(scores: scores, relevance: relevance, memory: memory))

        case .apLoss:
            let scores = try reader.matrix("scores")
            let relevance = try reader.binaryMatrix("relevance")
            try CaseReader.sameShape(scores, relevance, name: "relevance")
            if convention == .official { try CaseReader.rectangular(scores, name: "scores") }
            let loss = APLoss(
                lambda: try reader.number("lambda"), margin: try reader.number("margin"),
                convention: convention)
            try loss.validate(scores: scores, relevance: relevance)
            return lossOutputs(loss.valueAndGradient(scores: scores, relevance: relevance))

        case .mapLoss:
            let scores = try reader.matrix("scores")
            let targets = try reader.binaryMatrix("targets")
            try CaseReader.rectangular(scores, name: "scores")
            try CaseReader.sameShape(scores, targets, name: "targets")
            let memory = try reader.memory("memory", relevanceKey: "targets")
            for (k, batch) in memory.enumerated() {
                try CaseReader.rectangular(batch.scores, name: "memory[\(k)].scores", columns: scores[0].count)
            }
            let loss = MAPLoss(
                lambda: try reader.number("lambda"), margin: try reader.number("margin"),
                interclass: try reader.number("interclass"), convention: convention)
            try loss.validate(scores: scores, targets: targets, memory: memory)
            return lossOutputs(loss.valueAndGradient(scores: scores, targets: targets, memory: memory))

        case .recallAtK, .mapAtR:
            let embeddings = try reader.matrix("embeddings")
            guard embeddings.count <= maximumRetrievalItems else {
                throw ReferenceCaseError(
                    "embeddings has \(embeddings.count) items; at most \(maximumRetrievalItems) per case")
            }
            try CaseReader.rectangular(embeddings, name: "embeddings")
            for (i, e) in embeddings.enumerated() where !e.reduce(0, { $0 + $1 * $1 }).isFinite {
                throw ReferenceCaseError("embeddings[\(i)] is too large: its squared norm overflows a double")
            }
            let labels = try reader.integers("labels")
            // Each distinct k once (the answer is keyed by k), and the work bounded before it starts.
            let ks = op == .recallAtK ? Array(Set(try reader.integers("k", positive: true))).sorted() : []
            let n = embeddings.count
            let d = embeddings[0].count
            let cost = n.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: d)
            guard !cost.overflow, cost.partialValue + n * ks.count <= maximumRetrievalCost else {
                throw ReferenceCaseError(
                    "this case asks for N²·d + N·K = \(n)²·\(d) + \(n)·\(ks.count) operations; "
                        + "at most \(maximumRetrievalCost) per case (fewer items or dimensions)")
            }
            let ranking = try RetrievalRanking(embeddings: embeddings, labels: labels)
            if op == .mapAtR { return ["map_at_r": ranking.mapAtR().map(JSONValue.number) ?? .null] }
            guard let recall = ranking.recallAtK(ks) else { return ["recall_at_k": .null] }
            var values = [String: JSONValue]()
            for (k, v) in recall { values[String(k)] = .number(v) }
            return ["recall_at_k": .object(values)]

        case .averagePrecision:
            let scores = try reader.vector("scores")
            let relevance = try reader.binaryVector("relevance")
            guard relevance.count == scores.count else {
                throw ReferenceCaseError("relevance has \(relevance.count) entries, expected \(scores.count)")
            }
            return ["ap": averagePrecision(scores: scores, relevance: relevance).map(JSONValue.number) ?? .null]
        }
    }

    static func allFinite(_ v: JSONValue) -> Bool {
        switch v {
        case .number(let d): return d.isFinite
        case .array(let a): return a.allSatisfy(allFinite)
        case .object(let o): return o.values.allSatisfy(allFinite)
        default: return true
        }
    }

    /// A loss answer; an official NaN loss (no positive, as the authors' code gives it) is written as null.
    static func lossOutputs(_ result: LossResult) -> [String: JSONValue] {
        ["loss": result.loss.isNaN ? .null : .number(result.loss), "grad": JSONValue(result.gradient)]
    }

    /// Why a cases file cannot be evaluated at all (as opposed to one bad case).
    public struct FileError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The answers to every case of a cases file `{"cases": [...]}`, in order, and how many of them are errors.
    ///
    /// - Throws: `FileError` when the value is not an object with a "cases" list.
    public static func answers(file: JSONValue) throws -> (results: [JSONValue], errors: Int) {
        guard let o = file.objectValue else {
            throw FileError(description: "the file holds \(file.kindName); expected an object {\"cases\": [...]}")
        }
        guard let cases = o["cases"] else { throw FileError(description: "the file has no \"cases\" field") }
        guard let list = cases.arrayValue else {
            throw FileError(description: "\"cases\" is \(cases.kindName); expected a list of cases")
        }
        let results = list.map { answer(case: $0) }
        return (results, results.reduce(0) { $0 + ($1["error"] == nil ? 0 : 1) })
    }
}
