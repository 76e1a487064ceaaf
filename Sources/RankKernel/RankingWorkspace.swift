// The fast ranking kernel: a stable radix sort specialised for Double keys, O(n), and its scratch memory.
//
// How it is fast on long lists. An LSD radix sort of 64-bit keys makes up to eight passes over the whole list,
// which is right while the list's buffers fit in the L2 cache (up to `lsdSize` items; `RankingThresholds` derives
// every threshold from the cache sizes read at run time). Beyond that every pass would run from main memory, so
// the top bits go first (MSD): one pass reads the source and splits the items by their top 16 key bits (lists of
// at least `wideSplitSize` items) or their top varying byte, and buckets bigger than `leafSize` are split again
// by the next byte, until every bucket fits in L2; each bucket is then split once more in cache, by its next 8 to
// 13 varying bits (about two items per sub-bucket on random keys), and one insertion sort of the bucket finishes
// it. Buckets that vary in at most two bytes, and sorts that want only the payloads, take LSD passes instead.
// Bits that are the same for every key of a bucket are skipped (SortEngine.swift). With `threadCount` > 1 the
// split and the buckets are shared between threads (ParallelSort.swift).
//
// The result is the sorted keys and a 32-bit payload per item (its index, or the index with a flag bit, see
// `SortSource`), in two flat arrays that the consumers walk in order: the positives-only backward reads the
// relevance bit and the score from them without touching the inputs again. All scratch lives in the workspace: once
// it has grown to the list no call allocates (the reordering of tied perturbed positives in
// PositivesOnlyBackward.swift excepted).
// Writing ranks or gradients in index order goes through index windows above `windowThreshold` items
// (IndexWindows.swift).

/// Scratch memory for the radix ranking kernel, so that repeated rankings of lists of the same length
/// allocate nothing.
///
/// Every method gives the same result as the free function of the same name (`argsortDescending`, `rank`,
/// `rankBackward`); only the speed and the memory differ. A workspace grows to the largest list it has seen
/// (24 bytes per item: two 64-bit key buffers and two 32-bit payload buffers; `positivesOnlyBackward` adds 12 bytes
/// per positive) and keeps that memory until it is released or destroyed; `releaseMemory()` frees it.
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
    /// The positives of `positivesOnlyBackward`: perturbed keys and forward positions.
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
