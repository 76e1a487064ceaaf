// The fast ranking kernel: a stable radix sort specialised for Double keys, O(n).
//
// Why it is exact. Ranking only compares scores, so any strictly order-preserving map of the scores to
// unsigned integers gives the same ranking. The map used here (`descendingRadixKey`) is the classic IEEE trick:
// canonicalise −0.0 to +0.0 (they are equal scores, so they must tie), then, for a non-negative double flip
// every bit but the sign and for a negative double keep the bits; the image is decreasing in the score, so an
// ascending sort of the keys is a descending sort of the scores. The map is a bijection between the doubles
// (with the two zeros identified) and its image, so the sorted keys also give back the sorted scores
// (`scoreFromDescendingRadixKey`). Every pass below is a stable counting sort and the items enter in index
// order, so among equal scores the smaller index comes first — exactly the tie rule of `rank` (Ranking.swift).
//
// How it is fast on long lists. An LSD radix sort of 64-bit keys makes up to eight passes over the whole list,
// which is right while the list's buffers fit in the L2 cache (up to `lsdSize` items; `RankingThresholds` derives
// every threshold from the cache sizes read at run time). Beyond that every pass would run from main memory, so
// the top bits go first (MSD): one pass reads the source and splits the items by their top 16 key bits (lists of
// at least `wideSplitSize` items) or their top varying byte, and buckets bigger than `leafSize` are split again
// by the next byte, until every bucket fits in L2; each bucket is then split once more in cache, by its next 8 to
// 13 varying bits (about two items per sub-bucket on random keys), and one insertion sort of the bucket finishes
// it. Buckets that vary in at most two bytes, and sorts that want only the payloads, take LSD passes instead.
// Bits that are the same for every key of a bucket are skipped. With `threadCount` > 1 the split and the buckets are shared between threads (ParallelSort.swift).
// The result is the sorted keys and a 32-bit payload per item (its index, or the index with a flag bit, see
// `SortSource`), in two flat arrays that the consumers walk in order: the AP loss reads the relevance bit and the
// score from them without touching the inputs again. All scratch lives in the workspace: once it has grown to the
// list no call allocates (the AP kernel's reordering of tied perturbed positives excepted).
//
// Writing ranks or gradients means writing item `index` of an n-long array in sorted order, a random write
// per item. Above `windowThreshold` items the writes are first grouped by the high bits of the index into at
// most 32 windows that cache holds (one sequential pass), then written window by window; longer lists group their
// writes twice (`IndexWindows`).
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

/// The inverse of `descendingRadixKey`: the score whose key is `key` (+0.0 for the key of both zeros).
///
/// `scoreFromDescendingRadixKey(descendingRadixKey(y)) == y` for every non-NaN `y`, bit for bit except that
/// −0.0 comes back as +0.0.
@inlinable @inline(__always)
public func scoreFromDescendingRadixKey(_ key: UInt64) -> Double {
    // Keys of non-negative scores have the top bit clear (their sign bit was 0 and is kept).
    Double(bitPattern: key >> 63 == 0 ? key ^ 0x7FFF_FFFF_FFFF_FFFF : key)
}

/// Scratch memory for the radix ranking kernel, so that repeated rankings of lists of the same length
/// allocate nothing.
///
/// Every method gives the same result as the free function of the same name (`argsortDescending`, `rank`,
/// `rankBackward`); only the speed and the memory differ. A workspace grows to the largest list it has seen
/// (24 bytes per item: two 64-bit key buffers and two 32-bit payload buffers; the AP loss adds 12 bytes per
/// positive) and keeps that memory until it is released or destroyed; `releaseMemory()` frees it.
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
    /// Where the kernel changes path (`RankingThresholds`); any values give the same results.
    public var thresholds = RankingThresholds()

    /// How many threads share the work on one long list (ParallelSort.swift): the split by top bytes, the
    /// sorting of its buckets and index-window writes. The results are the same bit for bit for any count;
    /// lists of at most `thresholds.lsdSize` items use one thread.
    public var threadCount = 1 {
        didSet { precondition(threadCount >= 1 && threadCount <= 256, "threadCount must be in 1...256") }
    }

    /// The histogram spaces of threads 1..<threadCount.
    @usableFromInline var threadCounts: [Int] = []
    /// The 2¹⁶ bucket offsets of the wide split per thread (lists of at least `thresholds.wideSplitSize` items).
    @usableFromInline var wideCounts: [Int] = []

    /// The longest list the radix path handles: payloads are 32-bit. Longer lists use a comparison sort.
    @usableFromInline static let maximumRadixCount = Int(UInt32.max)

    @usableFromInline var keysA: [UInt64] = []
    @usableFromInline var keysB: [UInt64] = []
    @usableFromInline var payloadsA: [UInt32] = []
    @usableFromInline var payloadsB: [UInt32] = []
    @usableFromInline var counts: [Int] = []
    /// The AP loss's positives: perturbed keys and forward positions (see FastAPKernel.swift).
    @usableFromInline var positiveKeys: [UInt64] = []
    @usableFromInline var positivePositions: [UInt32] = []

    /// An empty workspace; it allocates on first use.
    public init() {}

    /// An empty workspace with the given path thresholds.
    public init(thresholds: RankingThresholds) {
        self.thresholds = thresholds
    }

    /// A workspace with room for lists of `capacity` items, so that the first call allocates nothing either.
    public init(capacity: Int) {
        reserve(capacity)
    }

    /// The longest list this workspace can rank without allocating.
    public var capacity: Int { Swift.min(keysA.count, keysB.count, payloadsA.count, payloadsB.count) }

    /// Makes room for lists of `count` items.
    public mutating func reserve(_ count: Int) {
        // Lists that one LSD sort handles need no MSD levels (level 0 only, for the index windows' cursors).
        let countsNeeded = count > thresholds.lsdSize || threadCount > 1 ? Self.countsSize : Self.shortCountsSize
        if counts.count < countsNeeded {
            var grown = [Int](repeating: 0, count: countsNeeded)
            if !counts.isEmpty {  // keep the path counters
                for path in RankingPath.allCases {
                    grown[RankingPath.counterOffset + path.rawValue] = counts[RankingPath.counterOffset + path.rawValue]
                }
            }
            counts = grown
        }
        if count >= thresholds.wideSplitSize && wideCounts.count < threadCount << 16 {
            wideCounts = [Int](repeating: 0, count: threadCount << 16)
        }
        if threadCounts.count < (threadCount - 1) * Self.countsSize {
            threadCounts = [Int](repeating: 0, count: (threadCount - 1) * Self.countsSize)
        }
        guard count > capacity else { return }
        // Free before allocating, so that growing never holds both generations at once.
        keysA = []
        keysB = []
        payloadsA = []
        payloadsB = []
        keysA = .uninitialized(count: count)
        keysB = .uninitialized(count: count)
        payloadsA = .uninitialized(count: count)
        payloadsB = .uninitialized(count: count)
    }

    /// Eight 256-bucket histograms, the path counters, then the MSD levels' bucket offsets.
    @usableFromInline static let countsSize =
        SortBuffers.msdScratchOffset + SortBuffers.msdLevels * SortBuffers.msdLevelSize
    /// The histogram space of a workspace that has only seen lists of at most `lsdSize` items: no MSD levels but
    /// level 0's first 512 counters.
    @usableFromInline static let shortCountsSize = SortBuffers.msdScratchOffset + 512

    /// How many times the kernel took `path` since the workspace was made or `resetPathCounts()` was called
    /// (counted per bucket or per list, not per item; `releaseMemory()` resets them too).
    public func pathCount(_ path: RankingPath) -> Int {
        let at = RankingPath.counterOffset + path.rawValue
        return at < counts.count ? counts[at] : 0
    }

    /// Sets every path counter to zero.
    public mutating func resetPathCounts() {
        guard counts.count >= SortBuffers.msdScratchOffset else { return }
        for path in RankingPath.allCases { counts[RankingPath.counterOffset + path.rawValue] = 0 }
    }

    /// Frees the scratch buffers (they are allocated again on the next call).
    public mutating func releaseMemory() {
        keysA = []
        keysB = []
        payloadsA = []
        payloadsB = []
        counts = []
        threadCounts = []
        wideCounts = []
        positiveKeys = []
        positivePositions = []
    }

    // MARK: Public kernels

    /// `argsortDescending(scores)`, written into `order` (resized to `scores.count` if needed).
    ///
    /// - Complexity: O(n) time.
    public mutating func argsortDescending(_ scores: [Double], into order: inout [Int]) {
        let n = scores.count
        order.resizeUninitialized(to: n)
        scores.withUnsafeBufferPointer { y in
            order.withUnsafeMutableBufferPointer { out in
                run(n: n, source: ScoreKeys(scores: y.baseAddress), sink: OrderSink(order: out.baseAddress))
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
        guard n > 0 else { return }
        guard n <= Self.maximumRadixCount else {
            scores.withUnsafeBufferPointer { y in
                ranks.withUnsafeMutableBufferPointer { out in
                    var sink = RankSink(ranks: out.baseAddress)
                    Self.comparisonRun(n: n, source: ScoreKeys(scores: y.baseAddress), sink: &sink)
                }
            }
            return
        }
        scores.withUnsafeBufferPointer { y in
            ranks.withUnsafeMutableBufferPointer { out in
                withBuffers(count: n) { buffers in
                    buffers.sort(n: n, source: IndexedKeys(ScoreKeys(scores: y.baseAddress)), keepKeys: false)
                    buffers.scatterByIndex(n: n, sink: RankSink(ranks: out.baseAddress))
                }
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
    /// The perturbed scores are never stored: their keys are computed on the fly in the first pass. The
    /// arithmetic is the same as `rankBackward`'s, so the results are identical.
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
            var computed: [Int] = []
            rank(scores, into: &computed)
            forward = computed
        }
        gradient.resizeUninitialized(to: n)
        guard n > 0 else { return }
        scores.withUnsafeBufferPointer { y in
            upstream.withUnsafeBufferPointer { g in
                forward.withUnsafeBufferPointer { rk in
                    gradient.withUnsafeMutableBufferPointer { out in
                        let perturbed = PerturbedKeys(scores: y.baseAddress, upstream: g.baseAddress, lambda: lambda)
                        let sink = GradientSink(gradient: out.baseAddress, ranks: rk.baseAddress, lambda: lambda)
                        if n > Self.maximumRadixCount {
                            var sink = sink
                            Self.comparisonRun(n: n, source: perturbed, sink: &sink)
                            return
                        }
                        withBuffers(count: n) { buffers in
                            buffers.sort(n: n, source: IndexedKeys(perturbed), keepKeys: false)
                            buffers.scatterByIndex(n: n, sink: sink)
                        }
                    }
                }
            }
        }
    }

    /// `rankBackward(scores:ranks:upstream:lambda:)`, in a new array.
    public mutating func rankBackward(
        scores: [Double], ranks: [Int]? = nil, upstream: [Double], lambda: Double
    )
        -> [Double]
    {
        var gradient: [Double] = []
        rankBackward(scores: scores, ranks: ranks, upstream: upstream, lambda: lambda, into: &gradient)
        return gradient
    }

    /// The general kernel: stable descending argsort of the keys `source` yields for `0..<n`, handing every
    /// (position, index) pair of the sorted order to `sink` exactly once, in increasing order of position.
    ///
    /// This is the building block for losses that need more than an order or ranks: write a `RadixSink`.
    /// The sink's writes follow the sorted order, so a sink that writes `out[index]` writes at random; for
    /// long lists `rank(_:into:)` and `rankBackward` are faster than the equivalent sinks.
    @inlinable
    public mutating func run<Source: RadixKeySource, Sink: RadixSink>(n: Int, source: Source, sink: Sink) {
        var sink = sink
        if n == 0 { return }
        guard n <= Self.maximumRadixCount else {
            Self.comparisonRun(n: n, source: source, sink: &sink)
            return
        }
        withBuffers(count: n) { buffers in
            buffers.sort(n: n, source: IndexedKeys(source), keepKeys: false)
            let payloads = buffers.payloadsA
            for position in 0..<n { sink.put(position: position, index: Int(payloads[position])) }
        }
    }

    /// The fallback for lists too long for 32-bit payloads: a comparison sort of the same keys.
    @inlinable
    static func comparisonRun<Source: RadixKeySource, Sink: RadixSink>(n: Int, source: Source, sink: inout Sink) {
        let order = (0..<n).sorted { a, b in
            let ka = source.key(a)
            let kb = source.key(b)
            return ka < kb || (ka == kb && a < b)
        }
        for (position, index) in order.enumerated() { sink.put(position: position, index: index) }
    }

    /// Grows the buffers to `count` and lends them out.
    @inlinable
    mutating func withBuffers<Result>(count: Int, _ body: (SortBuffers) -> Result) -> Result {
        reserve(count)
        return keysA.withUnsafeMutableBufferPointer { keysA in
            keysB.withUnsafeMutableBufferPointer { keysB in
                payloadsA.withUnsafeMutableBufferPointer { payloadsA in
                    payloadsB.withUnsafeMutableBufferPointer { payloadsB in
                        counts.withUnsafeMutableBufferPointer { counts in
                            threadCounts.withUnsafeMutableBufferPointer { threadCounts in
                                wideCounts.withUnsafeMutableBufferPointer { wideCounts in
                                    body(
                                        SortBuffers(
                                            keysA: keysA.baseAddress!, keysB: keysB.baseAddress!,
                                            payloadsA: payloadsA.baseAddress!, payloadsB: payloadsB.baseAddress!,
                                            counts: counts.baseAddress!, thresholds: thresholds, threads: threadCount,
                                            threadCounts: threadCounts.baseAddress,
                                            wideCounts: wideCounts.count >= threadCount << 16
                                                ? wideCounts.baseAddress : nil))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: The sort engine (internal)

/// What the engine sorts: item `i` has a 64-bit key and a 32-bit payload that travels with it. Payloads must
/// increase with `i` (the index, or the index shifted left with flag bits below it), so that ties in the key
/// come out in index order and the payload identifies the item.
@usableFromInline protocol SortSource: SendableMetatype {
    func key(_ i: Int) -> UInt64
    func payload(_ i: Int) -> UInt32
}

/// The keys of a `RadixKeySource` with the index as payload.
@usableFromInline @frozen struct IndexedKeys<Source: RadixKeySource>: SortSource {
    @usableFromInline let source: Source
    @inlinable init(_ source: Source) { self.source = source }
    @inlinable @inline(__always) func key(_ i: Int) -> UInt64 { source.key(i) }
    @inlinable @inline(__always) func payload(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: i) }
}

/// Keys and payloads already in memory.
@usableFromInline @frozen struct StoredItems: SortSource {
    @usableFromInline let keys: UnsafePointer<UInt64>
    @usableFromInline let payloads: UnsafePointer<UInt32>
    @inlinable init(keys: UnsafePointer<UInt64>, payloads: UnsafePointer<UInt32>) {
        self.keys = keys
        self.payloads = payloads
    }
    @inlinable @inline(__always) func key(_ i: Int) -> UInt64 { keys[i] }
    @inlinable @inline(__always) func payload(_ i: Int) -> UInt32 { payloads[i] }
}

/// The four buffers of a sort and its histogram space. After `sort`, items `0..<n` of `keysA`/`payloadsA`
/// hold the keys in ascending order (descending scores) with their payloads; `keysB`/`payloadsB` are free.
@usableFromInline @frozen struct SortBuffers {
    @usableFromInline let keysA: UnsafeMutablePointer<UInt64>
    @usableFromInline let keysB: UnsafeMutablePointer<UInt64>
    @usableFromInline let payloadsA: UnsafeMutablePointer<UInt32>
    @usableFromInline let payloadsB: UnsafeMutablePointer<UInt32>
    /// 8 × 256 counters, the path counters, the MSD levels' offsets (`RankingWorkspace.countsSize`; only level 0's
    /// first 512 counters, `shortCountsSize`, when the buffers hold no list longer than `lsdSize`).
    @usableFromInline let counts: UnsafeMutablePointer<Int>
    @usableFromInline let thresholds: RankingThresholds
    /// Threads for the split of a long list (1: this thread only), and the histogram spaces of threads 1...
    @usableFromInline let threads: Int
    @usableFromInline let threadCounts: UnsafeMutablePointer<Int>?
    /// 2¹⁶ counters per thread for the wide split (thread t's at `t << 16`), when the workspace has them.
    @usableFromInline let wideCounts: UnsafeMutablePointer<Int>?

    @inlinable
    init(
        keysA: UnsafeMutablePointer<UInt64>, keysB: UnsafeMutablePointer<UInt64>,
        payloadsA: UnsafeMutablePointer<UInt32>, payloadsB: UnsafeMutablePointer<UInt32>,
        counts: UnsafeMutablePointer<Int>, thresholds: RankingThresholds, threads: Int = 1,
        threadCounts: UnsafeMutablePointer<Int>? = nil, wideCounts: UnsafeMutablePointer<Int>? = nil
    ) {
        self.wideCounts = wideCounts
        self.keysA = keysA
        self.keysB = keysB
        self.payloadsA = payloadsA
        self.payloadsB = payloadsB
        self.counts = counts
        self.thresholds = thresholds
        self.threads = threadCounts == nil ? 1 : threads
        self.threadCounts = threadCounts
    }

    /// The `msdLevelSize` counters of MSD level `depth` (0 is the split by top bytes): every level but the last
    /// of a bucket consumes at least 8 key bits, so 9 levels cover the 64.
    @inlinable @inline(__always)
    func msdScratch(depth: Int) -> UnsafeMutablePointer<Int> {
        precondition(depth < SortBuffers.msdLevels)
        return counts + SortBuffers.msdScratchOffset + depth * SortBuffers.msdLevelSize
    }

    /// The widest digit of the MSD recursion: 2¹³ buckets (64 KiB of counters, in L2).
    @usableFromInline static let maximumDigitBits = 13
    /// The counters of one MSD level: one per bucket of the widest digit, and one more.
    @usableFromInline static let msdLevelSize = (1 << maximumDigitBits) + 1
    @usableFromInline static let msdLevels = 10
    /// Where the AP kernel keeps its per-slice counts (2 × 257 counters, after the path counters), which the
    /// sort of its positives must not overwrite.
    @usableFromInline static let sliceOffset = RankingPath.counterOffset + 8
    @usableFromInline static let msdScratchOffset = sliceOffset + 2 * 257

    /// Counts one use of `path`.
    @inlinable @inline(__always)
    func count(_ path: RankingPath) {
        counts[RankingPath.counterOffset &+ path.rawValue] &+= 1
    }

    /// Sorts items `0..<n` of `source` by key, stably, into `keysA`/`payloadsA`.
    ///
    /// With `keepKeys == false` only `payloadsA` is the result (`keysA` is left with scratch): the payloads must
    /// then be below n, and once a bucket's low key bits are sorted its payloads move into them, so that the
    /// remaining passes move one word per item instead of a key and a payload.
    ///
    /// `source` may read `keysA`/`payloadsA` themselves (sorting stored items in place): it is read completely
    /// before anything is written there, or copied item by item onto itself.
    @inlinable
    func sort<Source: SortSource>(n: Int, source: Source, keepKeys: Bool = true) {
        if n == 0 { return }
        let payloadBits = keepKeys ? 0 : Swift.max(1, Int.bitWidth - (n - 1).leadingZeroBitCount)
        if n <= thresholds.lsdSize {
            count(.wholeListLSD)
            // One pass: keys, payloads, which bits vary, and the histograms of all eight digits.
            counts.update(repeating: 0, count: 8 * 256)
            var any: UInt64 = 0
            var all: UInt64 = ~0
            for i in 0..<n {
                let key = source.key(i)
                keysA[i] = key
                payloadsA[i] = source.payload(i)
                any |= key
                all &= key
                var d = 0
                while d < 8 {
                    counts[d &* 256 &+ Int(truncatingIfNeeded: (key &>> UInt64(d &* 8)) & 0xFF)] &+= 1
                    d &+= 1
                }
            }
            let varying = any ^ all
            if varying != 0 {
                leaf(
                    lo: 0, hi: n, inA: true, topBit: 63 - varying.leadingZeroBitCount, payloadBits: payloadBits,
                    varying: varying, histogramsKnown: true)
            }
            return
        }
        split(n: n, source: source, payloadBits: payloadBits)
    }

    /// The lists that no split by their top 16 bits divides (all keys equal, or only the low 48 bits vary):
    /// copied into the A buffers, then sorted by the MSD recursion from their highest varying bit.
    @usableFromInline
    func sortUnsplit<Source: SortSource>(n: Int, source: Source, varying: UInt64, payloadBits: Int) {
        for i in 0..<n {
            keysA[i] = source.key(i)
            payloadsA[i] = source.payload(i)
        }
        if varying != 0 {
            msd(lo: 0, hi: n, inA: true, topBit: 63 - varying.leadingZeroBitCount, payloadBits: payloadBits, depth: 1)
        }
    }

    /// Sorts items `lo..<hi`, which sit in the A buffers (`inA`) or the B buffers and agree on every key bit
    /// above `topBit`, into the same positions of the A buffers.
    ///
    /// One histogram pass finds the bits that vary; constant top bits are skipped. A bucket bigger than `leafSize`
    /// (out of L2) is split by its next 8 varying bits, few enough write streams for main memory. A bucket in
    /// cache is sorted by LSD passes (`leaf`) when only its payloads are wanted (the passes then move one packed
    /// word per item) or when its varying bits fit in two bytes; otherwise it is split by its next 8 to 13
    /// varying bits, enough for sub-buckets of about 2 items on random keys, which insertion sorts finish: two
    /// passes and short insertions instead of up to eight LSD passes.
    @usableFromInline
    func msd(lo: Int, hi: Int, inA: Bool, topBit: Int, payloadBits: Int, depth: Int) {
        let m = hi - lo
        let inCache = m <= thresholds.leafSize
        if m <= thresholds.insertionSize || topBit < 0 || depth >= SortBuffers.msdLevels
            || (inCache && payloadBits > 0)
        {
            leaf(lo: lo, hi: hi, inA: inA, topBit: topBit, payloadBits: payloadBits)
            return
        }
        let sourceKeys = inA ? keysA : keysB
        let sourcePayloads = inA ? payloadsA : payloadsB
        let targetKeys = inA ? keysB : keysA
        let targetPayloads = inA ? payloadsB : payloadsA
        let width =
            inCache
            ? Swift.min(Swift.max(Int.bitWidth - m.leadingZeroBitCount - 1, 8), SortBuffers.maximumDigitBits) : 8
        let offsets = msdScratch(depth: depth)
        var topBit = topBit
        var shift = 0
        var mask: UInt64 = 0
        var buckets = 0
        while true {
            let bits = Swift.min(width, topBit + 1)
            shift = topBit + 1 - bits
            buckets = 1 << bits
            mask = UInt64(buckets - 1)
            offsets.update(repeating: 0, count: buckets)
            var any: UInt64 = 0
            var all: UInt64 = ~0
            for i in lo..<hi {
                let key = sourceKeys[i]
                any |= key
                all &= key
                offsets[Int(truncatingIfNeeded: (key &>> UInt64(shift)) & mask)] &+= 1
            }
            let varying = any ^ all
            if varying == 0 {  // all keys equal
                leaf(lo: lo, hi: hi, inA: inA, topBit: -1, payloadBits: payloadBits)
                return
            }
            if inCache && SortBuffers.varyingBytes(varying) <= 2 {
                leaf(lo: lo, hi: hi, inA: inA, topBit: topBit, payloadBits: payloadBits, varying: varying)
                return
            }
            // The bits above `topBit` agree, so the digit splits the bucket iff a bit at or above `shift` varies;
            // if not, jump to the highest bit that varies.
            let varyingTop = 63 - varying.leadingZeroBitCount
            if varyingTop >= shift { break }
            topBit = varyingTop
        }
        count(.msdSplit)
        var sum = lo
        var largest = 0
        for b in 0..<buckets {
            let c = offsets[b]
            offsets[b] = sum
            sum &+= c
            largest = Swift.max(largest, c)
        }
        for i in lo..<hi {
            let key = sourceKeys[i]
            let b = Int(truncatingIfNeeded: (key &>> UInt64(shift)) & mask)
            let at = offsets[b]
            offsets[b] = at &+ 1
            targetKeys[at] = key
            targetPayloads[at] = sourcePayloads[i]
        }
        if largest <= thresholds.insertionSize {
            // Every bucket is short: one insertion sort of the whole range finishes them all, since no item moves
            // past the start of its bucket (the buckets are in order), with no per-bucket call.
            count(.insertion)
            SortBuffers.insertionSort(
                m: m, sourceKeys: targetKeys + lo, sourcePayloads: targetPayloads + lo, keys: keysA + lo,
                payloads: payloadsA + lo)
            return
        }
        // Now offsets[b] is the end of bucket b.
        var start = lo
        for b in 0..<buckets {
            let end = offsets[b]
            if end > start {
                msd(lo: start, hi: end, inA: !inA, topBit: shift - 1, payloadBits: payloadBits, depth: depth + 1)
            }
            start = end
        }
    }

    /// Sorts `m` items by key, stably (an item only moves past strictly larger keys), from the source buffers into
    /// `keys`/`payloads`. Item i is read before position i of the target is written, so the target may be the
    /// source (an in-place sort). O(m + inversions).
    @inlinable @inline(__always)
    static func insertionSort(
        m: Int, sourceKeys: UnsafeMutablePointer<UInt64>, sourcePayloads: UnsafeMutablePointer<UInt32>,
        keys: UnsafeMutablePointer<UInt64>, payloads: UnsafeMutablePointer<UInt32>
    ) {
        for i in 0..<m {
            let key = sourceKeys[i]
            let payload = sourcePayloads[i]
            var j = i
            while j > 0, keys[j &- 1] > key {
                keys[j] = keys[j &- 1]
                payloads[j] = payloads[j &- 1]
                j &-= 1
            }
            keys[j] = key
            payloads[j] = payload
        }
    }

    /// How many of the eight bytes of `varying` are not zero: the LSD passes a bucket with these varying bits
    /// needs.
    @inlinable @inline(__always)
    static func varyingBytes(_ varying: UInt64) -> Int {
        var bytes = 0
        for d in 0..<8 where (varying &>> UInt64(8 * d)) & 0xFF != 0 { bytes &+= 1 }
        return bytes
    }

    /// Sorts items `lo..<hi` on key bits `topBit...0` by LSD passes (8-bit digits, constant digits skipped),
    /// or by insertion when there are few, into the same positions of the A buffers (only `payloadsA` when
    /// `payloadBits > 0`: the payloads take the place of the low `payloadBits` key bits once those are sorted).
    ///
    /// - Parameters:
    ///   - varying: the key bits that differ between the items, when the caller knows them.
    ///   - histogramsKnown: `counts` already holds the histograms of all eight digits of these items.
    @usableFromInline
    func leaf(
        lo: Int, hi: Int, inA: Bool, topBit: Int, payloadBits: Int, varying knownVarying: UInt64? = nil,
        histogramsKnown: Bool = false
    ) {
        let m = hi - lo
        var sourceKeys = (inA ? keysA : keysB) + lo
        var sourcePayloads = (inA ? payloadsA : payloadsB) + lo
        var targetKeys = (inA ? keysB : keysA) + lo
        var targetPayloads = (inA ? payloadsB : payloadsA) + lo
        if topBit < 0 || m <= thresholds.insertionSize {
            if topBit < 0 {  // all keys equal: the stable order is the current one
                if !inA {
                    targetKeys.update(from: sourceKeys, count: m)
                    targetPayloads.update(from: sourcePayloads, count: m)
                }
                return
            }
            count(.insertion)
            SortBuffers.insertionSort(
                m: m, sourceKeys: sourceKeys, sourcePayloads: sourcePayloads,
                keys: inA ? sourceKeys : targetKeys, payloads: inA ? sourcePayloads : targetPayloads)
            return
        }
        // The digits that vary in this bucket (a digit is constant iff its bits agree in every key).
        let varying: UInt64
        if let knownVarying {
            varying = knownVarying
        } else {
            var any: UInt64 = 0
            var all: UInt64 = ~0
            for i in 0..<m {
                let key = sourceKeys[i]
                any |= key
                all &= key
            }
            varying = any ^ all
        }
        if varying == 0 {  // all keys equal: the stable order is the current one
            if !inA {
                targetKeys.update(from: sourceKeys, count: m)
                targetPayloads.update(from: sourcePayloads, count: m)
            }
            return
        }
        count(.leafLSD)
        var shifts: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var passes = 0
        withUnsafeMutableBytes(of: &shifts) { raw in
            let shift = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            for d in 0..<8 where (varying &>> UInt64(8 * d)) & 0xFF != 0 {
                shift[passes] = UInt64(8 * d)
                passes += 1
            }
        }
        // Histograms of the varying digits only (digit d at counts + 32·shift = counts + 256·d), unless the
        // caller computed all of them; then the passes, which alternate between the two buffers; the last must
        // write the A buffers.
        if !histogramsKnown {
            withUnsafeBytes(of: shifts) { raw in
                let shift = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
                for j in 0..<passes { (counts + 32 * Int(shift[j])).update(repeating: 0, count: 256) }
                for i in 0..<m {
                    let key = sourceKeys[i]
                    var j = 0
                    while j < passes {
                        let s = shift[j]
                        counts[32 &* Int(truncatingIfNeeded: s) &+ Int(truncatingIfNeeded: (key &>> s) & 0xFF)] &+= 1
                        j &+= 1
                    }
                }
            }
        }
        for j in 0..<passes {
            let histogram =
                counts + 32
                * Int(
                    withUnsafeBytes(of: shifts) {
                        $0.load(fromByteOffset: 8 * j, as: UInt64.self)
                    })
            var sum = 0
            for b in 0..<256 {
                let c = histogram[b]
                histogram[b] = sum
                sum &+= c
            }
        }
        if payloadBits > 0 {
            withUnsafeBytes(of: shifts) { raw in
                packedPasses(
                    m: m, passes: passes, shifts: raw.baseAddress!.assumingMemoryBound(to: UInt64.self),
                    payloadBits: payloadBits, inA: inA, sourceKeys: sourceKeys,
                    sourcePayloads: sourcePayloads, targetKeys: targetKeys, targetPayloads: targetPayloads,
                    result: payloadsA + lo)
            }
            return
        }
        let endsInA = (passes % 2 == 0) == inA
        if !endsInA {
            targetKeys.update(from: sourceKeys, count: m)
            targetPayloads.update(from: sourcePayloads, count: m)
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayloads, &targetPayloads)
        }
        for j in 0..<passes {
            let shift = withUnsafeBytes(of: shifts) { $0.load(fromByteOffset: 8 * j, as: UInt64.self) }
            let offsets = counts + 32 * Int(shift)
            for i in 0..<m {
                let key = sourceKeys[i]
                let b = Int(truncatingIfNeeded: (key &>> shift) & 0xFF)
                let at = offsets[b]
                offsets[b] = at &+ 1
                targetKeys[at] = key
                targetPayloads[at] = sourcePayloads[i]
            }
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayloads, &targetPayloads)
        }
    }

    /// The LSD passes of a leaf when only the payloads are wanted. Passes on digits that overlap the low
    /// `payloadBits` bits move (key, payload) pairs; the pass after which those bits are sorted writes one word
    /// per item, `key & ~lowMask | payload`; later passes move words; the last pass writes only the payloads, into
    /// `result`.
    func packedPasses(
        m: Int, passes: Int, shifts: UnsafePointer<UInt64>, payloadBits: Int, inA: Bool,
        sourceKeys: UnsafeMutablePointer<UInt64>, sourcePayloads: UnsafeMutablePointer<UInt32>,
        targetKeys: UnsafeMutablePointer<UInt64>, targetPayloads: UnsafeMutablePointer<UInt32>,
        result: UnsafeMutablePointer<UInt32>
    ) {
        var sourceKeys = sourceKeys
        var sourcePayloads = sourcePayloads
        var targetKeys = targetKeys
        var targetPayloads = targetPayloads
        let lowMask: UInt64 = (1 << UInt64(payloadBits)) &- 1
        var pairPasses = 0
        for j in 0..<passes where shifts[j] < UInt64(payloadBits) { pairPasses += 1 }
        let firstPackedRead = Swift.max(pairPasses, 1)
        // A last pass that reads pairs must not read the payloads it writes: its input must be in B.
        let lastReadsPairs = passes - 1 < firstPackedRead
        let lastInputInA = ((passes - 1) % 2 == 0) == inA
        if lastReadsPairs && lastInputInA {
            targetKeys.update(from: sourceKeys, count: m)
            targetPayloads.update(from: sourcePayloads, count: m)
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayloads, &targetPayloads)
        }
        for j in 0..<passes {
            let shift = shifts[j]
            let offsets = counts + 32 * Int(shift)
            let readsPairs = j < firstPackedRead
            if j == passes - 1 {
                if readsPairs {
                    for i in 0..<m {
                        let b = Int(truncatingIfNeeded: (sourceKeys[i] &>> shift) & 0xFF)
                        let at = offsets[b]
                        offsets[b] = at &+ 1
                        result[at] = sourcePayloads[i]
                    }
                } else {
                    for i in 0..<m {
                        let word = sourceKeys[i]
                        let b = Int(truncatingIfNeeded: (word &>> shift) & 0xFF)
                        let at = offsets[b]
                        offsets[b] = at &+ 1
                        result[at] = UInt32(truncatingIfNeeded: word & lowMask)
                    }
                }
                return
            }
            if readsPairs && j + 1 < firstPackedRead {
                for i in 0..<m {
                    let key = sourceKeys[i]
                    let b = Int(truncatingIfNeeded: (key &>> shift) & 0xFF)
                    let at = offsets[b]
                    offsets[b] = at &+ 1
                    targetKeys[at] = key
                    targetPayloads[at] = sourcePayloads[i]
                }
            } else if readsPairs {
                for i in 0..<m {
                    let key = sourceKeys[i]
                    let b = Int(truncatingIfNeeded: (key &>> shift) & 0xFF)
                    let at = offsets[b]
                    offsets[b] = at &+ 1
                    targetKeys[at] = key & ~lowMask | UInt64(sourcePayloads[i])
                }
            } else {
                for i in 0..<m {
                    let word = sourceKeys[i]
                    let b = Int(truncatingIfNeeded: (word &>> shift) & 0xFF)
                    let at = offsets[b]
                    offsets[b] = at &+ 1
                    targetKeys[at] = word
                }
            }
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayloads, &targetPayloads)
        }
    }

    /// Calls `sink.put(position:index:)` for every position `0..<n` of the sorted order, where `index` is the
    /// payload at that position (it must be an index in `0..<n`). Uses `keysB` and `keysA` as scratch.
    ///
    /// The calls come in an order that keeps the writes `out[index]` inside a cache-sized window of `out`
    /// (`IndexWindows`), on each thread a copy of `sink`; below `windowThreshold` items they come in sorted order.
    @inlinable
    func scatterByIndex<Sink: RadixSink>(n: Int, sink: Sink) {
        if n < thresholds.windowThreshold {
            var sink = sink
            for position in 0..<n { sink.put(position: position, index: Int(payloadsA[position])) }
            return
        }
        count(.windowedWrites)
        let windows = IndexWindows(count: n, thresholds: thresholds, scratch: msdScratch(depth: 0))
        windows.withCursors { cursors in
            for position in 0..<n {
                let index = payloadsA[position]
                let at = cursors.next(for: Int(index))
                keysB[at] = UInt64(index) &<< 32 | UInt64(truncatingIfNeeded: position)
            }
        }
        writeWindows(n: n, windows: windows, words: keysB, spare: keysA, sink: PositionWords(sink: sink))
    }

    /// The second half of a windowed write: hands every word of `words[0..<n]` to `sink`, one window of
    /// 2^`windows.fineShift` indices at a time. The words carry an index of `0..<n` in their high 32 bits and were
    /// appended to the windows of `windows` (window w's words fill `words[w << windows.shift ..< ...]`). When those
    /// windows are coarse (`fineShift < shift`), each is first grouped again by its fine windows, into `spare`
    /// (n words). Coarse windows, and then fine ones, are shared between the threads, each with a copy of `sink`.
    @inlinable
    func writeWindows<Sink: WindowWordSink>(
        n: Int, windows: IndexWindows, words: UnsafeMutablePointer<UInt64>, spare: UnsafeMutablePointer<UInt64>,
        sink: Sink
    ) {
        let fine = windows.fineShift
        guard fine < windows.shift else {
            forEachWindowRun(n: n, shift: fine) { run in
                var sink = sink
                for t in run { sink.put(words[t]) }
            }
            return
        }
        count(.refinedWindows)
        let coarse = windows.shift
        forEachWindowRun(n: n, shift: coarse) { run in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 1 << (coarse - fine)) { cursors in
                var start = run.lowerBound
                while start < run.upperBound {
                    // One coarse window: its indices start at `start`, so its fine windows start at `start` too.
                    let end = Swift.min(start + (1 << coarse), run.upperBound)
                    let first = start >> fine
                    for f in 0...(((end - 1) >> fine) - first) { cursors[f] = (first + f) << fine }
                    for t in start..<end {
                        let word = words[t]
                        let f = (Int(truncatingIfNeeded: word &>> 32) &>> fine) &- first
                        let at = cursors[f]
                        cursors[f] = at &+ 1
                        spare[at] = word
                    }
                    start = end
                }
            }
        }
        forEachWindowRun(n: n, shift: fine) { run in
            var sink = sink
            for t in run { sink.put(spare[t]) }
        }
    }
}

/// Where `writeWindows` hands the words of a windowed write: an index of `0..<n` in the high 32 bits, and what to
/// write there in the low 32.
@usableFromInline protocol WindowWordSink {
    mutating func put(_ word: UInt64)
}

/// The words of `scatterByIndex`: (index, position) for a `RadixSink`.
@usableFromInline @frozen struct PositionWords<Sink: RadixSink>: WindowWordSink {
    @usableFromInline var sink: Sink
    @inlinable init(sink: Sink) { self.sink = sink }
    @inlinable @inline(__always)
    mutating func put(_ word: UInt64) {
        sink.put(position: Int(truncatingIfNeeded: word & 0xFFFF_FFFF), index: Int(truncatingIfNeeded: word &>> 32))
    }
}

/// Groups writes `out[index]` by the high bits of `index`: window `w` holds the indices
/// `w·2^shift ..< (w+1)·2^shift`. Since every index `0..<n` is written exactly once, window `w`'s records start at
/// `w·2^shift` in a scratch array of n records, so no histogram is needed: one pass appends each record to its
/// window, a second pass reads the scratch in order and writes `out` one window at a time, instead of n writes
/// spread over the whole array.
///
/// Two sizes pull against each other. The appending pass writes to one stream per window, and beyond a few dozen
/// streams the hardware no longer prefetches them and nearly every record waits for memory; the writing pass wants
/// windows that stay in cache. So there are at most `streams` windows, of at least 2^`windowBits` indices and,
/// where the list is long enough, of 2^`largestWindowBits` (`RankingThresholds`). A list with more than `streams`
/// windows of that size is grouped twice: first into `streams` coarse windows (`shift`), then each coarse window
/// into its fine ones (`fineShift`, `writeWindows`), one more sequential pass with few streams.
@usableFromInline struct IndexWindows {
    /// The first grouping's windows hold 2^shift indices.
    @usableFromInline let shift: Int
    /// The windows written out hold 2^fineShift indices (`fineShift == shift`: one grouping).
    @usableFromInline let fineShift: Int
    @usableFromInline let windowCount: Int
    @usableFromInline let cursors: UnsafeMutablePointer<Int>

    /// The most windows the appending pass writes to: 2^streamBits.
    @usableFromInline static let streamBits = 5
    /// A coarse window splits into at most 2^13 fine ones.
    @usableFromInline static let refineBits = 13

    /// The windows of a list of n items, at most `2^streamBits` of them; the cursors live in `scratch` (that many
    /// words, the workspace's MSD scratch, free once the sort is done), so nothing is allocated.
    @inlinable
    init(count n: Int, thresholds: RankingThresholds, scratch: UnsafeMutablePointer<Int>) {
        let indexBits = Int.bitWidth - Swift.max(n - 1, 1).leadingZeroBitCount
        let fewest = indexBits - IndexWindows.streamBits  // windows of 2^fewest indices: at most `streams`
        let shift = Swift.max(fewest, thresholds.windowBits)
        self.shift = shift
        let largest = Swift.max(thresholds.largestWindowBits, thresholds.windowBits)
        fineShift = Swift.max(Swift.min(shift, largest), shift - IndexWindows.refineBits)
        windowCount = ((n - 1) >> shift) + 1
        cursors = scratch
        for w in 0..<windowCount { scratch[w] = w << shift }
    }

    @usableFromInline @frozen struct Cursors {
        @usableFromInline let base: UnsafeMutablePointer<Int>
        @usableFromInline let shift: Int
        @inlinable init(base: UnsafeMutablePointer<Int>, shift: Int) {
            self.base = base
            self.shift = shift
        }
        /// The scratch slot of the next record for `index`.
        @inlinable @inline(__always)
        func next(for index: Int) -> Int {
            let w = index &>> shift
            let at = base[w]
            base[w] = at &+ 1
            return at
        }
    }

    @inlinable
    func withCursors<Result>(_ body: (Cursors) -> Result) -> Result {
        body(Cursors(base: cursors, shift: shift))
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
