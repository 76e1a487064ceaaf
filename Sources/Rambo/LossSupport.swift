// Shared pieces of the rank losses: the result type, relevance conversion and input validation.

/// A loss value and its gradient with respect to the current batch's scores (same shape as the scores).
public struct LossResult: Sendable, Equatable {
    public var loss: Double
    public var gradient: [[Double]]

    public init(loss: Double, gradient: [[Double]]) {
        self.loss = loss
        self.gradient = gradient
    }
}

/// Converts 0/1 relevance given as numbers into `Bool`s, rejecting anything else.
///
/// - Parameters:
///   - relevance: rows of numbers, each exactly 0 or 1 (rows may differ in length).
///   - name: how the caller calls the matrix, used in errors ("relevance", "targets").
/// - Returns: the same shape with 1 as `true` and 0 as `false`.
/// - Throws: `RamboError.notBinary` naming the row and the entry (`relevance[2]`, index 5).
/// - Complexity: O(total entries).
public func binaryRelevance(_ relevance: [[Double]], name: String = "relevance") throws -> [[Bool]] {
    try relevance.enumerated().map { q, row in try binaryRelevance(row, name: "\(name)[\(q)]") }
}

/// Converts one 0/1 relevance vector into `Bool`s. See `binaryRelevance(_:name:)` for matrices.
///
/// - Throws: `RamboError.notBinary` naming the entry.
public func binaryRelevance(_ relevance: [Double], name: String = "relevance") throws -> [Bool] {
    try relevance.enumerated().map { i, value in
        if value == 1 { return true }
        if value == 0 { return false }
        throw RamboError.notBinary(name: name, index: i, value: value)
    }
}

/// Input checks shared by the losses (and RamboOfficial's). Each names the argument and the index that is wrong.
package enum LossValidation {
    package static func lambda(_ lambda: Double) throws {
        try validateLambda(lambda)
    }

    package static func margin(_ margin: Double) throws {
        guard margin.isFinite, margin >= 0 else {
            throw RamboError.outOfRange(name: "margin", value: margin, allowed: "finite and ≥ 0")
        }
    }

    package static func coefficient(_ value: Double, name: String) throws {
        guard value.isFinite, value >= 0, value <= 1 else {
            throw RamboError.outOfRange(name: name, value: value, allowed: "in [0, 1]")
        }
    }

    /// One list: non-empty, finite, relevance of the same length.
    package static func list(_ scores: [Double], _ relevance: [Bool], name: String, relevanceName: String) throws {
        guard !scores.isEmpty else { throw RamboError.empty(name: name) }
        try validateScores(scores, name: name)
        guard relevance.count == scores.count else {
            throw RamboError.lengthMismatch(name: relevanceName, expected: scores.count, actual: relevance.count)
        }
    }

    /// Several lists: at least one, each non-empty and finite, relevance of the same shape; all of length
    /// `columns` when given (rectangular matrices).
    package static func lists(
        _ scores: [[Double]], _ relevance: [[Bool]], name: String = "scores", relevanceName: String = "relevance",
        columns: Int? = nil
    ) throws {
        guard !scores.isEmpty else { throw RamboError.empty(name: name) }
        guard relevance.count == scores.count else {
            throw RamboError.lengthMismatch(name: relevanceName, expected: scores.count, actual: relevance.count)
        }
        for q in scores.indices {
            try list(scores[q], relevance[q], name: "\(name)[\(q)]", relevanceName: "\(relevanceName)[\(q)]")
            if let columns, scores[q].count != columns {
                throw RamboError.lengthMismatch(name: "\(name)[\(q)]", expected: columns, actual: scores[q].count)
            }
        }
    }
}

extension Array where Element == [Double] {
    /// A zero matrix with the shape of `self`.
    package var zerosLike: [[Double]] { map { [Double](repeating: 0, count: $0.count) } }
}
