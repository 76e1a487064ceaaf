// `rambo-reference eval CASES.json`: answers every case, in order.
import Foundation
import RamboReference

enum EvalCommand {
    static let usage = """
        usage: rambo-reference eval CASES.json [--op OP] [--convention paper|official]

        Reads {"cases": [case, ...]} and prints {"results": [answer, ...]} on stdout, one answer per line, in
        case order. A case is {"id", "op", "convention": "paper" | "official" (default paper), inputs...}:

          op                 inputs                                              answer
          rank               scores [n]                                          ranks [n]
          rank_backward      scores [n], upstream [n], lambda                    grad [n]
          recall_loss        scores [Q][n], relevance [Q][n], lambda,            loss, grad [Q][n]
                             margin (0), weighting log|loglog|identity (log), memory ([])
          ap_loss            scores [L][n], relevance [L][n], lambda, margin (0) loss, grad [L][n]
          map_loss           scores [B][C], targets [B][C], lambda, margin (0),  loss, grad [B][C]
                             interclass (0), memory [{scores, targets}] ([])
          recall_at_k        embeddings [N][d], labels [N], k [..]               recall_at_k {"1": ..} or null
          map_at_r           embeddings [N][d], labels [N]                       map_at_r or null
          average_precision  scores [n], relevance [n]                           ap or null

        convention official: the authors' code (ranks Float32 rk/n, the later index first among ties, NaN loss
        without a positive); the metric ops have one definition. The full spec: Data/reference/SPEC.md.
        --op and --convention answer only the cases of that op and/or convention (the others are left out).

        Numbers are Float64 and printed in shortest round-trip form. null means undefined: no query with a
        same-class item (recall_at_k, map_at_r), no positive (average_precision), an official loss that is NaN.
        A malformed case answers {"id": .., "error": "what is wrong and where"} and the others still answer.

        Limits: files of at most \(Console.maximumFileBytes) bytes (held in memory with their values: the peak
        is about 4 times the file), at most \(Reference.maximumNumbers) numbers per case and
        \(Reference.maximumFileValues) values per file (counted while parsing); retrieval cases at most \(Reference.maximumRetrievalItems) items and
        N²·d + N·K ≤ \(Reference.maximumRetrievalCost) operations (d dimensions, K distinct k values; repeated k
        values are answered once). A case over a limit answers an error.
        Exit: 0 all answered; 1 some case erred; 2 the file is missing or not a JSON object with "cases".
        """

    static func run(_ arguments: [String]) -> Never {
        let (values, files) = Console.options(arguments, allowed: ["op", "convention"], positional: 1, usage: usage)
        let op = Console.op(values["op"])
        let convention = Console.convention(values["convention"])
        var file = Console.readJSON(files[0], what: "cases file")
        if op != nil || convention != nil, case .object(var o) = file, let cases = o["cases"]?.arrayValue {
            // A case whose op or convention cannot be read is kept, so that it answers its own error.
            o["cases"] = .array(
                cases.filter { c in
                    guard let name = c["op"]?.stringValue, let caseOp = ReferenceOp(rawValue: name) else { return true }
                    let caseConvention =
                        c["convention"].map { $0.stringValue.flatMap(Convention.init(rawValue:)) }
                        ?? .paper
                    guard let caseConvention else { return true }
                    return Console.selected(op: op, convention: convention, caseOp, caseConvention)
                })
            file = .object(o)
        }
        let answered: (results: [JSONValue], errors: Int)
        do {
            answered = try Reference.answers(file: file)
        } catch {
            Console.fail("cases file '\(files[0])': \(error)")
        }
        Console.write(resultsText(answered.results))
        if answered.errors > 0 {
            Console.error("rambo-reference: \(answered.errors) of \(answered.results.count) cases erred")
        }
        exit(answered.errors > 0 ? 1 : 0)
    }

    /// {"results": [...]} with one compact answer per line.
    static func resultsText(_ results: [JSONValue]) -> String {
        guard !results.isEmpty else { return "{\"results\": []}\n" }
        return "{\"results\": [\n" + results.map { "  " + JSONWriter.compact($0) }.joined(separator: ",\n") + "\n]}\n"
    }
}
