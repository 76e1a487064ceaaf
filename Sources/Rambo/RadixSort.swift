// The fast ranking kernel: a stable LSD radix argsort specialised for Double keys.
//
// Why it is exact. Ranking only compares scores, so any strictly order-preserving map of the scores to
// unsigned integers gives the same ranking. The map used here (`descendingRadixKey`) is the classic IEEE trick:
// canonicalise −0.0 to +0.0 (they are equal scores, so they must tie), then, for a non-negative double flip
// the sign bit and for a negative double flip every bit; this image is increasing in the score. Taking the
// complement makes it decreasing, so an ascending sort of the keys is a descending sort of the scores.
// LSD radix sort is stable, and it starts from the indices 0..<n in order, so among equal scores the smaller
// index comes first — exactly the tie rule of `rank` (see Ranking.swift).
//
// How it is fast. One read pass computes the histograms of every digit at once; digits that are the same
// for every key (common when scores live in a narrow range, or when there are few distinct values) are
// skipped; each remaining digit costs one stable scatter of (key, index) pairs. The first scatter computes
// keys from the scores on the fly and the last one writes straight into the caller's result (an order, ranks
// or a gradient), so no key array has to be built or copied out. Keys and 32-bit indices live in separate
// buffers owned by a `RankingWorkspace`; one of the two key buffers is the caller's result array, reused as
// scratch before the final scatter fills it. Below `RankingWorkspace.comparisonThreshold` items a comparison
// sort of the same keys is used instead.
//
// Precondition everywhere: scores (and perturbed scores) are not NaN. `validateScores` rejects NaN and ±∞
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

/// Scratch memory for the radix ranking kernel, so that repeated rankings of lists of the same length
/// allocate nothing.
///
/// Every method gives the same result as the free function of the same name (`argsortDescending`, `rank`,
/// `rankBackward`); only the speed and the memory differ. A workspace grows to the largest list it has seen
/// (16 bytes per item: one 64-bit key buffer and two 32-bit index buffers; the caller's result array is the
/// second key buffer) and keeps that memory until it is released or destroyed; `releaseMemory()` frees it.
///
/// Use one workspace per thread: the methods are `mutating`.
///
/// ```swift
/// var workspace = RankingWorkspace()
/// var ranks: [Int] = []
/// for batch in batches {
///     workspace.rank(batch.scores, into: &ranks)       // allocates on the first call only
///     ...
/// }
/// ```
///
/// - Precondition (all methods): no score is NaN (see `validateScores`).
public struct RankingWorkspace: Sendable {
    /// Lists shorter than this are sorted by comparison (on the same keys), where that is faster than radix
    /// passes over 256-bucket histograms.
    public static let comparisonThreshold = 256

    /// Bits per radix digit. 8 bits: 8 passes for keys whose every digit varies, but the 256 write streams of a
    /// scatter stay in L1, which measured faster from 1e6 items up than 10-, 11-, 13- or 16-bit digits (fewer
    /// passes, more streams) on a 2-core EPYC with 32 KiB L1d.
    @usableFromInline static let digitBits = 8
    @usableFromInline static let radix = 1 << digitBits
    @usableFromInline static let digitCount = (64 + digitBits - 1) / digitBits

    @usableFromInline var keys: [UInt64] = []
    @usableFromInline var indicesA: [UInt32] = []
    @usableFromInline var indicesB: [UInt32] = []
    @usableFromInline var counts: [Int] = []

    /// An empty workspace; it allocates on first use.
    public init() {}

    /// A workspace with room for lists of `capacity` items, so that the first call allocates nothing either.
    public init(capacity: Int) {
        reserve(capacity)
    }

    /// The longest list this workspace can rank without allocating.
    public var capacity: Int { Swift.min(keys.count, indicesA.count, indicesB.count) }

    /// Makes room for lists of `count` items.
    public mutating func reserve(_ count: Int) {
        if counts.count < Self.digitCount * Self.radix {
            counts = [Int](repeating: 0, count: Self.digitCount * Self.radix)
        }
        guard count > capacity else { return }
        keys = .uninitialized(count: count)
        indicesA = .uninitialized(count: count)
        indicesB = .uninitialized(count: count)
    }

    /// Frees the scratch buffers (they are allocated again on the next call).
    public mutating func releaseMemory() {
        keys = []
        indicesA = []
        indicesB = []
        counts = []
    }

    // MARK: Public kernels

    /// `argsortDescending(scores)`, written into `order` (resized to `scores.count` if needed).
    ///
    /// - Complexity: O(n) time (at most 8 passes over the data, plus one to build histograms).
    public mutating func argsortDescending(_ scores: [Double], into order: inout [Int]) {
        let n = scores.count
        order.resizeUninitialized(to: n)
        scores.withUnsafeBufferPointer { y in
            order.withUnsafeMutableBufferPointer { out in
                run(n: n, source: ScoreKeys(scores: y.baseAddress), sink: OrderSink(order: out.baseAddress),
                    scratch: out)
            }
        }
    }

    /// `argsortDescending(scores)`, in a new array.
    public mutating func argsortDescending(_ scores: [Double]) -> [Int] {
        var order: [Int] = []
        argsortDescending(scores, into: &order)
        return order
    }

    /// `rank(scores)` (1-based, descending, stable), written into `ranks` (resized to `scores.count` if needed).
    ///
    /// - Complexity: O(n) time.
    public mutating func rank(_ scores: [Double], into ranks: inout [Int]) {
        let n = scores.count
        ranks.resizeUninitialized(to: n)
        scores.withUnsafeBufferPointer { y in
            ranks.withUnsafeMutableBufferPointer { out in
                run(n: n, source: ScoreKeys(scores: y.baseAddress), sink: RankSink(ranks: out.baseAddress),
                    scratch: out)
            }
        }
    }

    /// `rank(scores)`, in a new array.
    public mutating func rank(_ scores: [Double]) -> [Int] {
        var ranks: [Int] = []
        rank(scores, into: &ranks)
        return ranks
    }

    /// `rankBackward(scores:ranks:upstream:lambda:)` (paper Eq. 10), written into `gradient` (resized if needed):
    ///
    ///     y_λ = y + λ · upstream,   gradient = −(ranks − rk(y_λ)) / λ
    ///
    /// The perturbed scores are never stored: their keys are computed on the fly in the first radix pass,
    /// and the last pass writes the gradient directly, so the only memory beyond the workspace is `gradient`.
    /// The arithmetic is the same as `rankBackward`'s, so the results are identical.
    ///
    /// - Parameters:
    ///   - ranks: `rank(scores)` from the forward pass; computed here (into a temporary array) when `nil`.
    /// - Precondition: equal lengths, finite inputs, λ > 0 (see `validateRankBackward`); `ranks`, when given,
    ///   is `rank(scores)`.
    /// - Complexity: O(n) time.
    public mutating func rankBackward(
        scores: [Double], ranks: [Int]? = nil, upstream: [Double], lambda: Double, into gradient: inout [Double]
    ) {
        let n = scores.count
        precondition(upstream.count == n, "upstream has \(upstream.count) entries, expected \(n)")
        let forward: [Int]
        if let ranks {
            precondition(ranks.count == n, "ranks has \(ranks.count) entries, expected \(n)")
            forward = ranks
        } else {
            forward = rank(scores)
        }
        gradient.resizeUninitialized(to: n)
        scores.withUnsafeBufferPointer { y in
            upstream.withUnsafeBufferPointer { g in
                forward.withUnsafeBufferPointer { rk in
                    gradient.withUnsafeMutableBufferPointer { out in
                        out.withMemoryRebound(to: UInt64.self) { scratch in
                            run(n: n,
                                source: PerturbedKeys(scores: y.baseAddress, upstream: g.baseAddress, lambda: lambda),
                                sink: GradientSink(gradient: out.baseAddress, ranks: rk.baseAddress, lambda: lambda),
                                scratch: scratch)
                        }
                    }
                }
            }
        }
    }

    /// `rankBackward(scores:ranks:upstream:lambda:)`, in a new array.
    public mutating func rankBackward(scores: [Double], ranks: [Int]? = nil, upstream: [Double], lambda: Double)
        -> [Double]
    {
        var gradient: [Double] = []
        rankBackward(scores: scores, ranks: ranks, upstream: upstream, lambda: lambda, into: &gradient)
        return gradient
    }

    /// The general kernel: stable descending argsort of the keys `source` yields for `0..<n`, handing every
    /// (position, index) pair of the sorted order to `sink` exactly once.
    ///
    /// This is the building block for losses that need more than an order or ranks (for example the rank
    /// among positives of the AP loss, accumulated in sorted order): write a `RadixSink` and get its positions
    /// in increasing order of position *within each digit bucket* — not globally; use the order or ranks if
    /// the sink needs global order.
    ///
    /// - Parameter scratch: a buffer of at least `n` words that the kernel may overwrite before the first
    ///   call to `sink` (typically the sink's own output); the sink must not read it.
    @inlinable
    public mutating func run<Source: RadixKeySource, Sink: RadixSink>(
        n: Int, source: Source, sink: Sink, scratch: UnsafeMutableBufferPointer<Int>
    ) {
        scratch.withMemoryRebound(to: UInt64.self) { run(n: n, source: source, sink: sink, scratch: $0) }
    }

    @inlinable
    mutating func run<Source: RadixKeySource, Sink: RadixSink>(
        n: Int, source: Source, sink: Sink, scratch: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(scratch.count >= n, "scratch has \(scratch.count) words, need \(n)")
        var sink = sink
        if n == 0 { return }
        guard n <= Int(UInt32.max) else {
            // 32-bit indices cannot address the list: fall back to a comparison sort.
            let order = (0..<n).sorted { a, b in
                let ka = source.key(a), kb = source.key(b)
                return ka < kb || (ka == kb && a < b)
            }
            for (position, index) in order.enumerated() { sink.put(position: position, index: index) }
            return
        }
        reserve(n)
        keys.withUnsafeMutableBufferPointer { keysWS in
            indicesA.withUnsafeMutableBufferPointer { idxA in
                indicesB.withUnsafeMutableBufferPointer { idxB in
                    counts.withUnsafeMutableBufferPointer { histogram in
                        if n < Self.comparisonThreshold {
                            Self.comparisonSort(n: n, source: source, sink: &sink, keys: keysWS.baseAddress!,
                                                indices: idxA.baseAddress!)
                        } else {
                            Self.radixSort(n: n, source: source, sink: &sink, keysWS: keysWS.baseAddress!,
                                           keysOut: scratch.baseAddress!, idxA: idxA.baseAddress!,
                                           idxB: idxB.baseAddress!, histogram: histogram.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    @inlinable
    static func comparisonSort<Source: RadixKeySource, Sink: RadixSink>(
        n: Int, source: Source, sink: inout Sink, keys: UnsafeMutablePointer<UInt64>,
        indices: UnsafeMutablePointer<UInt32>
    ) {
        for i in 0..<n {
            keys[i] = source.key(i)
            indices[i] = UInt32(truncatingIfNeeded: i)
        }
        // Insertion sort of (key, index) ascending; stable because it only moves an item past strictly
        // larger keys, and the indices start in order.
        var items = UnsafeMutableBufferPointer(start: indices, count: n)
        if n <= 32 {
            for i in 1..<Swift.max(n, 1) {
                let index = items[i]
                let key = keys[Int(index)]
                var j = i
                while j > 0, keys[Int(items[j - 1])] > key {
                    items[j] = items[j - 1]
                    j -= 1
                }
                items[j] = index
            }
        } else {
            items.sort { a, b in
                let ka = keys[Int(a)], kb = keys[Int(b)]
                return ka < kb || (ka == kb && a < b)
            }
        }
        for position in 0..<n { sink.put(position: position, index: Int(items[position])) }
    }

    @inlinable
    static func radixSort<Source: RadixKeySource, Sink: RadixSink>(
        n: Int, source: Source, sink: inout Sink,
        keysWS: UnsafeMutablePointer<UInt64>, keysOut: UnsafeMutablePointer<UInt64>,
        idxA: UnsafeMutablePointer<UInt32>, idxB: UnsafeMutablePointer<UInt32>,
        histogram: UnsafeMutablePointer<Int>
    ) {
        let bits = Self.digitBits, radix = Self.radix, digits = Self.digitCount
        let mask = UInt64(radix - 1)
        histogram.update(repeating: 0, count: digits * radix)

        // One read pass: every digit's histogram at once.
        for i in 0..<n {
            let key = source.key(i)
            var d = 0
            while d < digits {
                histogram[d &* radix &+ Int(truncatingIfNeeded: (key &>> UInt64(d &* bits)) & mask)] &+= 1
                d &+= 1
            }
        }

        // Keep only the digits that differ between keys.
        var active: [Int] = []
        active.reserveCapacity(digits)
        for d in 0..<digits {
            let h = histogram + d * radix
            var constant = false
            for b in 0..<radix where h[b] != 0 {
                constant = h[b] == n
                break
            }
            if !constant { active.append(d) }
            // Exclusive prefix sums: the first output position of every bucket.
            var sum = 0
            for b in 0..<radix {
                let c = h[b]
                h[b] = sum
                sum &+= c
            }
        }

        let passes = active.count
        if passes == 0 {  // every key is equal: the stable order is the identity
            for i in 0..<n { sink.put(position: i, index: i) }
            return
        }

        // Packing. Once every digit that overlaps the low `indexBits` bits of the key has been sorted on, those
        // bits are no longer needed: the index moves into them, and the remaining passes move one 64-bit word
        // per item instead of a key and an index (one write stream per bucket instead of two).
        let indexBits = UInt64.bitWidth - UInt64(n - 1).leadingZeroBitCount
        let lowMask: UInt64 = (1 << UInt64(indexBits)) - 1
        // Passes 0..<packedFrom move (key, index) pairs; pass packedFrom - 1 (or the source read, if
        // packedFrom == 0) writes packed words; later passes read packed words.
        var packedFrom = 0
        for (p, d) in active.enumerated() where d * bits < indexBits { packedFrom = p + 1 }

        // Buffers: every pass but the last writes to the workspace's buffers or to the caller's scratch; the
        // last pass hands its output to the sink and must read from the workspace (the sink writes the
        // caller's buffer), so the destinations alternate backwards from pass `passes - 2`.
        func writesWorkspace(_ p: Int) -> Bool { (passes - 2 - p) % 2 == 0 }

        var srcKeys: UnsafeMutablePointer<UInt64> = keysWS
        var srcIdx: UnsafeMutablePointer<UInt32> = idxA
        for (p, d) in active.enumerated() {
            let offsets = histogram + d * radix
            let shift = UInt64(d * bits)
            let last = p == passes - 1
            let dstKeys = writesWorkspace(p) ? keysWS : keysOut
            let dstIdx = srcIdx == idxA ? idxB : idxA
            let readsPacked = p >= packedFrom, writesPacked = p + 1 >= packedFrom
            let pairs = PairBuffers(keys: srcKeys, indices: srcIdx)
            let packed = PackedBuffer(words: srcKeys, lowMask: lowMask)
            let toPairs = PairBuffers(keys: dstKeys, indices: dstIdx)
            let toPacked = PackedBuffer(words: dstKeys, lowMask: lowMask)
            var toSink = SinkOutput(sink: sink)
            switch (p == 0, readsPacked, last, writesPacked) {
            case (true, _, true, _):
                scatter(n: n, from: SourceInput(source: source), to: &toSink, offsets: offsets, shift: shift)
            case (true, _, false, false):
                var out = toPairs
                scatter(n: n, from: SourceInput(source: source), to: &out, offsets: offsets, shift: shift)
            case (true, _, false, true):
                var out = toPacked
                scatter(n: n, from: SourceInput(source: source), to: &out, offsets: offsets, shift: shift)
            case (false, false, true, _):
                scatter(n: n, from: pairs, to: &toSink, offsets: offsets, shift: shift)
            case (false, false, false, false):
                var out = toPairs
                scatter(n: n, from: pairs, to: &out, offsets: offsets, shift: shift)
            case (false, false, false, true):
                var out = toPacked
                scatter(n: n, from: pairs, to: &out, offsets: offsets, shift: shift)
            case (false, true, true, _):
                scatter(n: n, from: packed, to: &toSink, offsets: offsets, shift: shift)
            case (false, true, false, _):
                var out = toPacked
                scatter(n: n, from: packed, to: &out, offsets: offsets, shift: shift)
            }
            if last { sink = toSink.sink }
            srcKeys = dstKeys
            srcIdx = dstIdx
        }
    }

    /// One stable counting-sort pass: item `i` of `input` goes to `offsets[digit]`, which then moves on.
    @inlinable @inline(__always)
    static func scatter<Input: PassInput, Output: PassOutput>(
        n: Int, from input: Input, to output: inout Output, offsets: UnsafeMutablePointer<Int>, shift: UInt64
    ) {
        let mask = UInt64(radix - 1)
        for i in 0..<n {
            let (key, index) = input.read(i)
            let b = Int(truncatingIfNeeded: (key &>> shift) & mask)
            let position = offsets[b]
            offsets[b] = position &+ 1
            output.write(position: position, key: key, index: index)
        }
    }
}

// MARK: Radix pass plumbing (internal)

/// What a radix pass reads: the digit's key bits and the item's index.
@usableFromInline protocol PassInput {
    func read(_ i: Int) -> (key: UInt64, index: UInt64)
}

/// What a radix pass writes.
@usableFromInline protocol PassOutput {
    mutating func write(position: Int, key: UInt64, index: UInt64)
}

/// The first pass: keys from the source, indices in order.
@usableFromInline @frozen struct SourceInput<Source: RadixKeySource>: PassInput {
    @usableFromInline let source: Source
    @inlinable init(source: Source) { self.source = source }
    @inlinable @inline(__always)
    func read(_ i: Int) -> (key: UInt64, index: UInt64) { (source.key(i), UInt64(truncatingIfNeeded: i)) }
}

/// Keys and 32-bit indices in two buffers.
@usableFromInline @frozen struct PairBuffers: PassInput, PassOutput {
    @usableFromInline let keys: UnsafeMutablePointer<UInt64>
    @usableFromInline let indices: UnsafeMutablePointer<UInt32>
    @inlinable init(keys: UnsafeMutablePointer<UInt64>, indices: UnsafeMutablePointer<UInt32>) {
        self.keys = keys
        self.indices = indices
    }
    @inlinable @inline(__always)
    func read(_ i: Int) -> (key: UInt64, index: UInt64) { (keys[i], UInt64(indices[i])) }
    @inlinable @inline(__always)
    mutating func write(position: Int, key: UInt64, index: UInt64) {
        keys[position] = key
        indices[position] = UInt32(truncatingIfNeeded: index)
    }
}

/// One word per item: the key's high bits with the index in the low bits (already sorted on).
@usableFromInline @frozen struct PackedBuffer: PassInput, PassOutput {
    @usableFromInline let words: UnsafeMutablePointer<UInt64>
    @usableFromInline let lowMask: UInt64
    @inlinable init(words: UnsafeMutablePointer<UInt64>, lowMask: UInt64) {
        self.words = words
        self.lowMask = lowMask
    }
    @inlinable @inline(__always)
    func read(_ i: Int) -> (key: UInt64, index: UInt64) {
        let word = words[i]
        return (word, word & lowMask)
    }
    @inlinable @inline(__always)
    mutating func write(position: Int, key: UInt64, index: UInt64) {
        words[position] = (key & ~lowMask) | index
    }
}

/// The last pass: hand (position, index) to the caller's sink.
@usableFromInline @frozen struct SinkOutput<Sink: RadixSink>: PassOutput {
    @usableFromInline var sink: Sink
    @inlinable init(sink: Sink) { self.sink = sink }
    @inlinable @inline(__always)
    mutating func write(position: Int, key: UInt64, index: UInt64) {
        sink.put(position: position, index: Int(truncatingIfNeeded: index))
    }
}

// MARK: Sources and sinks

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
    static func uninitialized(count: Int) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Makes `count == n` without writing the elements when the count changes (trivial element types only,
    /// fully overwritten before being read).
    @inlinable
    mutating func resizeUninitialized(to n: Int) {
        if count != n { self = .uninitialized(count: n) }
    }
}
