// Summary statistics of a sample, as the chapters report them: mean, sample standard deviation, standard error
// and a Student-t confidence interval for the mean. O(n) time, no allocation beyond the input.

/// The arithmetic mean Σx / n, summed left to right. NaN for an empty sample.
public func mean(_ values: [Double]) -> Double {
    values.reduce(0, +) / Double(values.count)
}

/// The sample standard deviation √(Σ(x − x̄)² / (n − 1)) (Bessel's correction), summed left to right;
/// 0 for fewer than two values.
public func standardDeviation(_ values: [Double]) -> Double {
    guard values.count >= 2 else { return 0 }
    let m = mean(values)
    return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
}

/// The standard error of the mean, s / √n; 0 for fewer than two values.
public func standardError(_ values: [Double]) -> Double {
    guard values.count >= 2 else { return 0 }
    return standardDeviation(values) / Double(values.count).squareRoot()
}

/// A two-sided confidence interval for the mean of a sample.
public struct ConfidenceInterval: Sendable, Equatable {
    public var mean: Double
    /// The half-width: the interval is mean ± halfWidth.
    public var halfWidth: Double
    public init(mean: Double, halfWidth: Double) {
        self.mean = mean
        self.halfWidth = halfWidth
    }
    public var lower: Double { mean - halfWidth }
    public var upper: Double { mean + halfWidth }
    /// Whether `x` lies in [lower, upper].
    public func contains(_ x: Double) -> Bool { x >= lower && x <= upper }
}

/// The 95 % Student-t interval x̄ ± t₀.₉₇₅(n − 1) · s / √n (tabulated quantiles for n − 1 ≤ 30; above, those of
/// the next smaller tabulated degree of freedom among 40, 60, 120, so the interval is never too narrow).
/// A single value gives a zero-width interval; an empty sample a NaN mean.
public func confidenceInterval95(_ values: [Double]) -> ConfidenceInterval {
    let m = mean(values)
    guard values.count >= 2 else { return ConfidenceInterval(mean: m, halfWidth: 0) }
    let t = studentT975(degreesOfFreedom: values.count - 1)
    return ConfidenceInterval(mean: m, halfWidth: t * standardError(values))
}

/// t₀.₉₇₅(ν), the 97.5 % quantile of Student's t with ν ≥ 1 degrees of freedom (to 3 decimals); above ν = 30
/// that of the next smaller tabulated ν (30, 40, 60, 120).
public func studentT975(degreesOfFreedom nu: Int) -> Double {
    precondition(nu >= 1, "degrees of freedom must be at least 1")
    let table = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
    if nu <= table.count { return table[nu - 1] }
    if nu < 40 { return 2.042 }
    if nu < 60 { return 2.021 }
    if nu < 120 { return 2.000 }
    return 1.980
}

/// Which of two methods is ahead over seeds, or neither.
public enum SeedVerdict: Sendable, Equatable {
    case firstAhead, secondAhead, level
}

/// Compares two methods run on the same seeds (`a[i]` and `b[i]` share seed i: the same split, initialisation and
/// batches), by the 95 % Student-t interval of the paired differences a[i] − b[i] (`confidenceInterval95`).
/// The first is ahead when the interval lies above 0, the second when it lies below, and they are level when it
/// contains 0, or when there are fewer than two seeds (one run cannot tell a difference from seed noise).
///
/// - Precondition: `a.count == b.count`.
/// - Complexity: O(n).
public func compareOverSeeds(_ a: [Double], _ b: [Double]) -> (difference: ConfidenceInterval, verdict: SeedVerdict) {
    precondition(a.count == b.count, "compareOverSeeds: \(a.count) against \(b.count) seeds")
    let difference = confidenceInterval95(zip(a, b).map { $0 - $1 })
    guard a.count >= 2 else { return (difference, .level) }
    if difference.lower > 0 { return (difference, .firstAhead) }
    if difference.upper < 0 { return (difference, .secondAhead) }
    return (difference, .level)
}

/// The largest |a_i − b_i| over two equally long vectors (0 for empty ones); the error measure of the course's
/// slow-path-against-fast-path checks. O(n).
/// - Precondition: `a.count == b.count`.
public func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "maxAbsDifference of \(a.count) and \(b.count) values")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Where a moving average's window sits relative to the point it smooths.
public enum MovingWindow: Sendable {
    /// The point and the `window − 1` before it (what a training log can show at each step).
    case trailing
    /// The point and up to `window / 2` on each side (for a finished curve).
    case centred
}

/// The moving average of `values` over `window` points (clipped at the ends, so the result has as many points as
/// `values`). O(n · window).
/// - Precondition: `window >= 1`.
public func movingAverage(_ values: [Double], window: Int, _ placement: MovingWindow) -> [Double] {
    precondition(window >= 1, "a moving average needs a window of at least 1, got \(window)")
    return values.indices.map { i in
        let lo = placement == .trailing ? max(0, i - window + 1) : max(0, i - window / 2)
        let hi = placement == .trailing ? i : min(values.count - 1, i + window / 2)
        return values[lo...hi].reduce(0, +) / Double(hi - lo + 1)
    }
}
