import Foundation
import Support

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

/// λ in the course's unit with the other unit beside it, e.g. `lambdaText(320, length: 640)` →
/// `"λ = 320 (paper units; λ_code = λ/n = 0.5 for n = 640)"`. Paper units: integer ranks 1...n (the course's unit
/// for every `--lambda`); code units: the authors' normalised ranks rk/n, λ_code = λ/n (Rambo's `codeLambda`).
public func lambdaText(_ lambda: Double, length: Int) -> String {
    let code = lambda / Double(max(1, length))
    return "λ = \(compactNumber(lambda)) (paper units; λ_code = λ/n = \(compactNumber(code)) for n = \(length))"
}

/// A number as the narration prints λ and other settings: at most 4 significant digits, no trailing zeros, whole
/// numbers from 1e4 up to 1e9 in full (`compactNumber(79.5) == "79.5"`, `compactNumber(10766) == "10766"`,
/// `compactNumber(1.953125e-5) == "1.953e-05"`).
public func compactNumber(_ x: Double) -> String {
    if abs(x) >= 1e4 && abs(x) < 1e9 { return String(format: "%.0f", x) }
    var text = String(format: "%.4g", x)
    if text.contains(".") && !text.contains("e") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text
}

/// A sample as "mean ± sd" with `digits` decimals (sample standard deviation; "± 0" part omitted for one value):
/// `meanAndSD([0.5, 0.7], digits: 3) == "0.600 ± 0.141"`.
public func meanAndSD(_ values: [Double], digits: Int = 3) -> String {
    values.count < 2
        ? mean(values).fixed(digits) : "\(mean(values).fixed(digits)) ± \(standardDeviation(values).fixed(digits))"
}

/// The verdict of `compareOverSeeds` in words, e.g.
/// "rambo ahead of bce: paired difference 0.030, 95 % CI [0.005, 0.055] over 3 seeds" or
/// "rambo and bce level: paired difference 0.003, 95 % CI [−0.010, 0.016] holds 0 over 3 seeds".
public func seedVerdictText(_ first: String, _ second: String, _ a: [Double], _ b: [Double], digits: Int = 3) -> String
{
    let (d, verdict) = compareOverSeeds(a, b)
    let interval = "95 % CI [\(d.lower.fixed(digits)), \(d.upper.fixed(digits))]"
    let seeds = a.count == 1 ? "1 seed (one run cannot separate them)" : "\(a.count) seeds"
    switch verdict {
    case .firstAhead:
        return "\(first) ahead of \(second): paired difference \(d.mean.fixed(digits)), \(interval) over \(seeds)"
    case .secondAhead:
        // The interval of b − a, the difference the words name.
        let flipped = "95 % CI [\((-d.upper).fixed(digits)), \((-d.lower).fixed(digits))]"
        return "\(second) ahead of \(first): paired difference \((-d.mean).fixed(digits)), \(flipped) over \(seeds)"
    case .level:
        return
            "\(first) and \(second) level: paired difference \(d.mean.fixed(digits)), \(interval) holds 0 over \(seeds)"
    }
}

extension Double {
    /// The number with an explicit sign, as differences are printed: `0.25.signedFixed(3) == "+0.250"`,
    /// `(-0.25).signedFixed(3) == "−0.250"` (a minus sign, U+2212). Zero, −0 and anything that rounds to zero at
    /// `digits` decimals print as `"±0.000"`, so a sign is never shown that the digits cannot back.
    public func signedFixed(_ digits: Int) -> String {
        let magnitude = abs(self).fixed(digits)
        if Double(magnitude) == 0 { return "±" + magnitude }
        return (self > 0 ? "+" : "−") + magnitude
    }
}

extension SeedVerdict {
    /// The verdict of the first method against the second in one word: "ahead", "behind" or "level".
    public var word: String {
        switch self {
        case .firstAhead: return "ahead"
        case .secondAhead: return "behind"
        case .level: return "level"
        }
    }

    /// The verdict naming the method in front: "`first` ahead", "`second` ahead" or "level".
    public func words(_ first: String, _ second: String) -> String {
        switch self {
        case .firstAhead: return "\(first) ahead"
        case .secondAhead: return "\(second) ahead"
        case .level: return "level"
        }
    }
}
