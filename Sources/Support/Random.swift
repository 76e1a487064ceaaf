/// A small, fast, seedable random number generator (SplitMix64, Steele, Lea & Flood 2014).
///
/// Every random figure and toy dataset in the walkthrough draws from one of these, so a run is reproducible
/// from its `--seed`. Not cryptographic.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box–Muller; one of the pair is discarded for simplicity).
    @inlinable
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUnit()  // (0, 1], so the log is finite
        let u2 = nextUnit()
        return (-2.0 * Libm.log(u1)).squareRoot() * Libm.cos(2.0 * Double.pi * u2)
    }

    /// `count` standard normal draws, in order (the same draws as `count` calls of `nextGaussian()`).
    public mutating func gaussians(_ count: Int) -> [Double] {
        (0..<count).map { _ in nextGaussian() }
    }
}
