// `rambo-reference eval CASES.json`: answers every case, in order.
import Foundation
import Rambo
import RamboReference

enum EvalCommand {
    static let usage = """
        usage: rambo-reference eval CASES.json

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

        Numbers are Float64 and printed in shortest round-trip form. null means undefined: no query with a
        same-class item (recall_at_k, map_at_r), no positive (average_precision). A malformed case answers
        {"id": .., "error": "what is wrong and where"} and the others still answer.
        Exit: 0 all answered; 1 some case erred; 2 the file is missing or not a JSON object with "cases".
        """

    static func run(_ arguments: [String]) -> Never {
        let (_, files) = Console.options(arguments, allowed: [], positional: 1, usage: usage)
        let file = Console.readJSON(files[0], what: "cases file")
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
