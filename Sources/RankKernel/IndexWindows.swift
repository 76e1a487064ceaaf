// Writing `out[index]` in sorted order: a random write per item, which long lists first group by the high bits of
// the index into at most 32 windows that cache holds (one sequential pass), then write window by window; longer
// lists group their writes twice (`IndexWindows`).

extension SortBuffers {
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
