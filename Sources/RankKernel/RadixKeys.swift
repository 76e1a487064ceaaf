// The radix keys of scores, and where the kernel reads keys and writes results.
//
// Why the kernel is exact. Ranking only compares scores, so any strictly order-preserving map of the scores to
// unsigned integers gives the same ranking. The map used here (`descendingRadixKey`) is the classic IEEE trick:
// canonicalise −0.0 to +0.0 (they are equal scores, so they must tie), then, for a non-negative double flip
// every bit but the sign and for a negative double keep the bits; the image is decreasing in the score, so an
// ascending sort of the keys is a descending sort of the scores. The map is a bijection between the doubles
// (with the two zeros identified) and its image, so the sorted keys also give back the sorted scores
// (`scoreFromDescendingRadixKey`). Every pass of the sort is a stable counting sort and the items enter in index
// order, so among equal scores the smaller index comes first — exactly the tie rule of Rambo's `rank`.
//
// Precondition everywhere: scores (and perturbed scores) are not NaN. Rambo's `validateScores` rejects NaN and ±∞
// before any ranking; the kernel itself does not check (an infinite perturbed score from a huge λ·upstream
// still ranks correctly; a NaN would be placed arbitrarily).

/// The order-preserving, descending radix key of a score: `a > b ⇔ key(a) < key(b)` and
/// `a == b ⇔ key(a) == key(b)` for all non-NaN doubles (so −0.0 and +0.0 share a key).
///
/// - Precondition: `score` is not NaN.
@inlinable @inline(__always)
public func descendingRadixKey(_ score: Double) -> UInt64 {
    let bits = (score + 0.0).bitPattern  // −0.0 + 0.0 == +0.0: the two zeros tie
    let negative = UInt64(bitPattern: Int64(bitPattern: bits) >> 63)  // all ones for a negative score
    // Non-negative: flip every bit but the sign (bigger score → smaller key, and below every negative).
    // Negative: keep the bits (more negative → bigger magnitude → bigger key).
    return bits ^ (~negative >> 1)
}

/// The inverse of `descendingRadixKey`: the score whose key is `key` (+0.0 for the key of both zeros).
///
/// `scoreFromDescendingRadixKey(descendingRadixKey(y)) == y` for every non-NaN `y`, bit for bit except that
/// −0.0 comes back as +0.0.
@inlinable @inline(__always)
public func scoreFromDescendingRadixKey(_ key: UInt64) -> Double {
    // Keys of non-negative scores have the top bit clear (their sign bit was 0 and is kept).
    Double(bitPattern: key >> 63 == 0 ? key ^ 0x7FFF_FFFF_FFFF_FFFF : key)
}

/// Where the radix kernel reads its keys: `key(i)` for `i` in `0..<n`, ascending keys = the wanted order.
public protocol RadixKeySource {
    func key(_ index: Int) -> UInt64
}

/// Where the radix kernel writes its result: `put(position:index:)` is called once for every position
/// `0..<n`, saying that item `index` is at `position` of the sorted order.
public protocol RadixSink {
    mutating func put(position: Int, index: Int)
}

/// Keys of the scores themselves (descending order).
@frozen public struct ScoreKeys: RadixKeySource {
    public let scores: UnsafePointer<Double>?
    @inlinable public init(scores: UnsafePointer<Double>?) { self.scores = scores }
    @inlinable @inline(__always)
    public func key(_ index: Int) -> UInt64 { descendingRadixKey(scores.unsafelyUnwrapped[index]) }
}

/// Keys of the perturbed scores y + λ·upstream (descending order), computed on the fly exactly as
/// `rankBackward` computes them.
@frozen public struct PerturbedKeys: RadixKeySource {
    public let scores: UnsafePointer<Double>?
    public let upstream: UnsafePointer<Double>?
    public let lambda: Double
    @inlinable public init(scores: UnsafePointer<Double>?, upstream: UnsafePointer<Double>?, lambda: Double) {
        self.scores = scores
        self.upstream = upstream
        self.lambda = lambda
    }
    @inlinable @inline(__always)
    public func key(_ index: Int) -> UInt64 {
        descendingRadixKey(scores.unsafelyUnwrapped[index] + lambda * upstream.unsafelyUnwrapped[index])
    }
}

/// Writes the sorted order: `order[position] = index`.
@frozen public struct OrderSink: RadixSink {
    public let order: UnsafeMutablePointer<Int>?
    @inlinable public init(order: UnsafeMutablePointer<Int>?) { self.order = order }
    @inlinable @inline(__always)
    public mutating func put(position: Int, index: Int) { order.unsafelyUnwrapped[position] = index }
}

/// Writes 1-based ranks: `ranks[index] = position + 1`.
@frozen public struct RankSink: RadixSink {
    public let ranks: UnsafeMutablePointer<Int>?
    @inlinable public init(ranks: UnsafeMutablePointer<Int>?) { self.ranks = ranks }
    @inlinable @inline(__always)
    public mutating func put(position: Int, index: Int) { ranks.unsafelyUnwrapped[index] = position &+ 1 }
}

/// Writes the blackbox gradient `−(ranks[index] − (position + 1)) / λ`, as `rankBackward` does.
@frozen public struct GradientSink: RadixSink {
    public let gradient: UnsafeMutablePointer<Double>?
    public let ranks: UnsafePointer<Int>?
    public let lambda: Double
    @inlinable public init(gradient: UnsafeMutablePointer<Double>?, ranks: UnsafePointer<Int>?, lambda: Double) {
        self.gradient = gradient
        self.ranks = ranks
        self.lambda = lambda
    }
    @inlinable @inline(__always)
    public mutating func put(position: Int, index: Int) {
        gradient.unsafelyUnwrapped[index] = -Double(ranks.unsafelyUnwrapped[index] - (position &+ 1)) / lambda
    }
}

extension Array {
    /// An array of `count` elements whose storage is allocated but not written (for trivial element types
    /// that are fully overwritten before being read).
    @inlinable
    package static func uninitialized(count: Int) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Makes `count == n` without writing the elements when the count changes (trivial element types only,
    /// fully overwritten before being read).
    @inlinable
    package mutating func resizeUninitialized(to n: Int) {
        if count != n { self = .uninitialized(count: n) }
    }
}
