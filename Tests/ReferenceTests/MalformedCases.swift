/// Malformed cases: (id, the JSON members after "id", a piece of text the error must contain).
/// Each one must be answered with an error naming what is wrong, never a crash.
enum MalformedCases {
    struct Case {
        let id: String
        let body: String
        let needle: String
    }

    static let all: [Case] = [
        // Ops, conventions, fields.
        .init(id: "unknown-op", body: #""op": "sort", "scores": [1]"#, needle: "unknown op \"sort\""),
        .init(id: "op-not-string", body: #""op": 3, "scores": [1]"#, needle: "op is a number"),
        .init(id: "missing-op", body: #""scores": [1]"#, needle: "missing field \"op\""),
        .init(
            id: "unknown-convention", body: #""op": "rank", "convention": "torch", "scores": [1]"#,
            needle: "unknown convention \"torch\""),
        .init(
            id: "unknown-field", body: #""op": "rank", "scores": [1], "lamda": 1"#, needle: "unknown field \"lamda\""),
        .init(id: "missing-scores", body: #""op": "rank""#, needle: "missing field \"scores\""),
        // Empty lists, wrong types, non-finite numbers.
        .init(id: "empty-scores", body: #""op": "rank", "scores": []"#, needle: "scores is empty"),
        .init(id: "scores-string", body: #""op": "rank", "scores": "1 2 3""#, needle: "scores is a string"),
        .init(id: "scores-null-entry", body: #""op": "rank", "scores": [1, null]"#, needle: "scores[1] is null"),
        .init(id: "overflow", body: #""op": "rank", "scores": [1, 1e400]"#, needle: "scores[1] is +infinity"),
        .init(id: "nan", body: #""op": "rank", "scores": [NaN, 1]"#, needle: "scores[0] is NaN"),
        .init(
            id: "infinity", body: #""op": "rank_backward", "scores": [1, 2], "upstream": [-Infinity, 0], "lambda": 1"#,
            needle: "upstream[0] is -infinity"),
        // λ.
        .init(
            id: "lambda-zero", body: #""op": "rank_backward", "scores": [1, 2], "upstream": [1, 0], "lambda": 0"#,
            needle: "lambda = 0.0"),
        .init(
            id: "lambda-negative", body: #""op": "ap_loss", "scores": [[1, 2]], "relevance": [[1, 0]], "lambda": -2"#,
            needle: "lambda = -2.0"),
        .init(
            id: "lambda-huge",
            body: #""op": "recall_loss", "scores": [[1, 2]], "relevance": [[1, 0]], "lambda": 1e999"#,
            needle: "lambda is +infinity"),
        .init(
            id: "lambda-missing", body: #""op": "map_loss", "scores": [[1, 2]], "targets": [[1, 0]]"#,
            needle: "missing field \"lambda\""),
        .init(
            id: "lambda-subnormal",
            body: #""op": "rank_backward", "scores": [0, 0], "upstream": [-1, 1], "lambda": 5e-324"#,
            needle: "grad is not finite"),
        // Shapes.
        .init(
            id: "upstream-short", body: #""op": "rank_backward", "scores": [1, 2, 3], "upstream": [1, 0], "lambda": 1"#,
            needle: "upstream has 2 entries, expected 3"),
        .init(
            id: "ragged-relevance",
            body: #""op": "recall_loss", "scores": [[1, 2], [3, 4]], "relevance": [[1, 0], [1]], "lambda": 1"#,
            needle: "relevance[1] has 1 entries, expected 2"),
        .init(
            id: "ragged-official",
            body:
                #""op": "recall_loss", "convention": "official", "scores": [[1, 2], [3]], "relevance": [[1, 0], [1]], "lambda": 1"#,
            needle: "scores[1] has 1 entries, expected 2"),
        .init(
            id: "flat-matrix", body: #""op": "ap_loss", "scores": [1, 2], "relevance": [[1, 0]], "lambda": 1"#,
            needle: "scores[0] is a number"),
        .init(
            id: "empty-row", body: #""op": "ap_loss", "scores": [[1, 2], []], "relevance": [[1, 0], []], "lambda": 1"#,
            needle: "scores[1] is empty"),
        .init(
            id: "ragged-map",
            body: #""op": "map_loss", "scores": [[1, 2], [3]], "targets": [[1, 0], [1]], "lambda": 1"#,
            needle: "scores[1] has 1 entries, expected 2"),
        .init(
            id: "memory-columns",
            body:
                #""op": "map_loss", "scores": [[1, 2]], "targets": [[1, 0]], "lambda": 1, "memory": [{"scores": [[1, 2, 3]], "targets": [[0, 0, 1]]}]"#,
            needle: "memory[0].scores[0] has 3 entries, expected 2"),
        .init(
            id: "memory-not-list",
            body: #""op": "map_loss", "scores": [[1, 2]], "targets": [[1, 0]], "lambda": 1, "memory": 7"#,
            needle: "memory is a number"),
        .init(
            id: "memory-entry-field",
            body:
                #""op": "recall_loss", "scores": [[1, 2]], "relevance": [[1, 0]], "lambda": 1, "memory": [{"scores": [[1]], "targets": [[1]]}]"#,
            needle: "memory[0] has an unknown field \"targets\""),
        .init(
            id: "memory-rows-paper",
            body:
                #""op": "recall_loss", "scores": [[1, 2]], "relevance": [[1, 0]], "lambda": 1, "memory": [{"scores": [[1], [2]], "relevance": [[1], [0]]}]"#,
            needle: "memory[0].scores has 2 rows, expected 1"),
        // Relevance.
        .init(
            id: "relevance-two", body: #""op": "average_precision", "scores": [1, 2], "relevance": [0, 2]"#,
            needle: "relevance[1] = 2.0; expected 0 or 1"),
        .init(
            id: "relevance-half", body: #""op": "ap_loss", "scores": [[1, 2]], "relevance": [[0.5, 1]], "lambda": 1"#,
            needle: "relevance[0][0] = 0.5"),
        .init(
            id: "targets-negative", body: #""op": "map_loss", "scores": [[1, 2]], "targets": [[-1, 1]], "lambda": 1"#,
            needle: "targets[0][0] = -1.0"),
        .init(
            id: "relevance-string", body: #""op": "average_precision", "scores": [1, 2], "relevance": ["yes", 0]"#,
            needle: "relevance[0] is a string"),
        // Other parameters.
        .init(
            id: "unknown-weighting",
            body: #""op": "recall_loss", "scores": [[1, 2]], "relevance": [[1, 0]], "lambda": 1, "weighting": "sqrt""#,
            needle: "unknown weighting \"sqrt\""),
        .init(
            id: "negative-margin",
            body: #""op": "ap_loss", "scores": [[1, 2]], "relevance": [[1, 0]], "lambda": 1, "margin": -1"#,
            needle: "margin = -1.0"),
        .init(
            id: "interclass-range",
            body: #""op": "map_loss", "scores": [[1, 2]], "targets": [[1, 0]], "lambda": 1, "interclass": 2"#,
            needle: "interclass = 2.0"),
        // Retrieval.
        .init(
            id: "zero-norm", body: #""op": "recall_at_k", "embeddings": [[1, 0], [0, 0]], "labels": [0, 0], "k": [1]"#,
            needle: "embeddings[1] has zero norm"),
        .init(
            id: "norm-overflow", body: #""op": "map_at_r", "embeddings": [[1e200, 0], [0, 1]], "labels": [0, 0]"#,
            needle: "embeddings[0] is too large"),
        .init(
            id: "k-zero", body: #""op": "recall_at_k", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0], "k": [0]"#,
            needle: "k[0] = 0"),
        .init(
            id: "k-negative",
            body: #""op": "recall_at_k", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0], "k": [2, -1]"#,
            needle: "k[1] = -1"),
        .init(
            id: "k-fraction",
            body: #""op": "recall_at_k", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0], "k": [1.5]"#,
            needle: "k[0] = 1.5; expected a whole number"),
        .init(
            id: "k-huge", body: #""op": "recall_at_k", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0], "k": [1e30]"#,
            needle: "k[0] = 1e+30"),
        .init(
            id: "k-scalar", body: #""op": "recall_at_k", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0], "k": 1"#,
            needle: "k is a number"),
        .init(
            id: "labels-short", body: #""op": "map_at_r", "embeddings": [[1, 0], [0, 1]], "labels": [0]"#,
            needle: "labels has 1 entries, expected 2"),
        .init(
            id: "label-fraction", body: #""op": "map_at_r", "embeddings": [[1, 0], [0, 1]], "labels": [0, 0.5]"#,
            needle: "labels[1] = 0.5"),
        .init(
            id: "ragged-embeddings", body: #""op": "map_at_r", "embeddings": [[1, 0], [1]], "labels": [0, 0]"#,
            needle: "embeddings[1] has 1 entries, expected 2"),
        .init(
            id: "empty-embedding", body: #""op": "map_at_r", "embeddings": [[], []], "labels": [0, 0]"#,
            needle: "embeddings[0] is empty"),
    ]
}
