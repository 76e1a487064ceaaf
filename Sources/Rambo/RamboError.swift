/// Why an input to the method was rejected. Every case names what is wrong and where.
public enum RamboError: Error, Equatable, CustomStringConvertible {
    /// A value that must be finite is NaN or infinite.
    case nonFinite(name: String, index: Int, value: Double)
    /// Two arrays that must have the same length do not.
    case lengthMismatch(name: String, expected: Int, actual: Int)
    /// An array that must not be empty is.
    case empty(name: String)
    /// A parameter outside its allowed range (for example λ ≤ 0).
    case outOfRange(name: String, value: Double, allowed: String)
    /// A relevance label other than 0 or 1.
    case notBinary(name: String, index: Int, value: Double)
    /// Anything else, described in words.
    case invalid(String)

    public var description: String {
        switch self {
        case .nonFinite(let name, let index, let value):
            return "\(name)[\(index)] is \(value); every value must be finite"
        case .lengthMismatch(let name, let expected, let actual):
            return "\(name) has \(actual) entries, expected \(expected)"
        case .empty(let name):
            return "\(name) is empty"
        case .outOfRange(let name, let value, let allowed):
            return "\(name) = \(value) is out of range; allowed: \(allowed)"
        case .notBinary(let name, let index, let value):
            return "\(name)[\(index)] = \(value); relevance must be 0 or 1"
        case .invalid(let message):
            return message
        }
    }
}
