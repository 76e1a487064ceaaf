import Support

/// Random finite scores; with `ties`, rounded to one decimal so that equal scores occur.
func randomVector(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1, ties: Bool = false) -> [Double] {
    (0..<n).map { _ in
        let x = scale * rng.nextGaussian()
        return ties ? (x * 2).rounded() / 2 : x
    }
}

/// |a − b| ≤ tolerance.
func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

/// Elementwise `close` for vectors of equal length.
func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tolerance) }
}
