/// A number as the narration prints λ and other settings: at most 4 significant digits, no trailing zeros, whole
/// numbers up to 1e9 in full (`compactNumber(79.5) == "79.5"`, `compactNumber(10766) == "10766"`,
/// `compactNumber(0.25) == "0.25"`); the same text `lambdaText` uses.
public func compactNumber(_ x: Double) -> String { compact(x) }
