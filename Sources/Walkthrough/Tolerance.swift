// Tolerance checks for the chapters: one definition of "close" instead of a copy per chapter.

/// Whether |a − b| ≤ absolute + relative · |b| (numpy's `isclose` rule; `b` is the expected value).
/// False when either value is NaN.
public func isClose(_ a: Double, _ b: Double, absolute: Double = 1e-12, relative: Double = 0) -> Bool {
    abs(a - b) <= absolute + relative * abs(b)
}

/// Whether `a` and `b` have the same length and every pair is close (see `isClose(_:_:absolute:relative:)`).
public func isClose(_ a: [Double], _ b: [Double], absolute: Double = 1e-12, relative: Double = 0) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { isClose($0, $1, absolute: absolute, relative: relative) }
}

extension Chapter {
    /// Records the check "`name`": `value` is within `absolute` + `relative` · |expected| of `expected`; the detail
    /// shows both numbers and the tolerance.
    @discardableResult
    public func checkClose(
        _ name: String, _ value: Double, _ expected: Double, absolute: Double = 1e-12,
        relative: Double = 0
    ) -> Bool {
        check(
            name, isClose(value, expected, absolute: absolute, relative: relative),
            "\(value) vs \(expected) (|Δ| ≤ \(absolute) + \(relative)·|expected|)")
    }
}

/// Whether `a` is present and close to `b` (see `isClose(_:_:absolute:relative:)`); false when `a` is nil, so that
/// a metric that could not be computed never passes a check.
public func isClose(_ a: Double?, _ b: Double, absolute: Double = 1e-12, relative: Double = 0) -> Bool {
    a.map { isClose($0, b, absolute: absolute, relative: relative) } ?? false
}
