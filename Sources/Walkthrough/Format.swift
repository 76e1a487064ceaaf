import Foundation

extension Double {
    /// Fixed-point text with `digits` decimals: `0.123456.fixed(3) == "0.123"`.
    public func fixed(_ digits: Int) -> String { String(format: "%.\(digits)f", self) }
    /// Scientific text with 2 significant decimals: `3.1e-13`.
    public var sci: String { String(format: "%.1e", self) }
}

extension Array where Element == Double {
    /// `[0.1, 0.25]` → `"[0.100, 0.250]"`.
    public func fixed(_ digits: Int) -> String { "[" + map { $0.fixed(digits) }.joined(separator: ", ") + "]" }
}

extension Array where Element: BinaryInteger {
    /// `[3, 1, 2]` → `"[3, 1, 2]"`.
    public var listed: String { "[" + map { "\($0)" }.joined(separator: ", ") + "]" }
}
