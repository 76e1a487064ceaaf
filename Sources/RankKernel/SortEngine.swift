// The sort engine behind `RankingWorkspace`: a stable sort of (64-bit key, 32-bit payload) items, by one LSD sort
// of a short list, or by a split of a long list by its top bits (ParallelSort.swift) and an MSD recursion whose
// buckets end in LSD passes or insertion sorts (RankingWorkspace.swift says when which).

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
    /// Where `positivesOnlyBackward` keeps its per-slice counts (2 × 257 counters, after the path counters), which the
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
        let width =
            inCache
            ? Swift.min(Swift.max(Int.bitWidth - m.leadingZeroBitCount - 1, 8), SortBuffers.maximumDigitBits) : 8
        let offsets = msdScratch(depth: depth)
        guard
            let digit = splittingDigit(
                lo: lo, hi: hi, inA: inA, topBit: topBit, width: width, inCache: inCache, payloadBits: payloadBits,
                histogram: offsets)
        else { return }
        count(.msdSplit)
        let largest = scatter(lo: lo, hi: hi, inA: inA, digit: digit, offsets: offsets)
        if largest <= thresholds.insertionSize {
            // Every bucket is short: one insertion sort of the whole range finishes them all, since no item moves
            // past the start of its bucket (the buckets are in order), with no per-bucket call.
            count(.insertion)
            SortBuffers.insertionSort(
                m: m, sourceKeys: (inA ? keysB : keysA) + lo, sourcePayloads: (inA ? payloadsB : payloadsA) + lo,
                keys: keysA + lo, payloads: payloadsA + lo)
            return
        }
        // Now offsets[b] is the end of bucket b.
        var start = lo
        for b in 0..<digit.buckets {
            let end = offsets[b]
            if end > start {
                msd(lo: start, hi: end, inA: !inA, topBit: digit.shift - 1, payloadBits: payloadBits, depth: depth + 1)
            }
            start = end
        }
    }

    /// A digit of the MSD recursion: the key bits `shift ..< shift + log2(buckets)`.
    @usableFromInline struct Digit {
        @usableFromInline let shift: Int
        @usableFromInline let buckets: Int
        @inlinable init(shift: Int, buckets: Int) {
            self.shift = shift
            self.buckets = buckets
        }
        @inlinable var mask: UInt64 { UInt64(buckets - 1) }
        @inlinable @inline(__always) func bucket(_ key: UInt64) -> Int {
            Int(truncatingIfNeeded: (key &>> UInt64(shift)) & mask)
        }
    }

    /// The digit that splits items `lo..<hi` (which agree above `topBit`): their `width` bits below `topBit`,
    /// moved down to the highest bit that varies when none of those does, with its histogram in `histogram`.
    /// Nil when the bucket went to `leaf` instead: all keys equal, or a bucket in cache that varies in at most two
    /// bytes.
    @inline(__always)
    func splittingDigit(
        lo: Int, hi: Int, inA: Bool, topBit: Int, width: Int, inCache: Bool, payloadBits: Int,
        histogram: UnsafeMutablePointer<Int>
    ) -> Digit? {
        let sourceKeys = inA ? keysA : keysB
        var topBit = topBit
        while true {
            let bits = Swift.min(width, topBit + 1)
            let digit = Digit(shift: topBit + 1 - bits, buckets: 1 << bits)
            histogram.update(repeating: 0, count: digit.buckets)
            var any: UInt64 = 0
            var all: UInt64 = ~0
            for i in lo..<hi {
                let key = sourceKeys[i]
                any |= key
                all &= key
                histogram[digit.bucket(key)] &+= 1
            }
            let varying = any ^ all
            if varying == 0 {  // all keys equal
                leaf(lo: lo, hi: hi, inA: inA, topBit: -1, payloadBits: payloadBits)
                return nil
            }
            if inCache && SortBuffers.varyingBytes(varying) <= 2 {
                leaf(lo: lo, hi: hi, inA: inA, topBit: topBit, payloadBits: payloadBits, varying: varying)
                return nil
            }
            // The bits above `topBit` agree, so the digit splits the bucket iff a bit at or above `shift` varies;
            // if not, jump to the highest bit that varies.
            let varyingTop = 63 - varying.leadingZeroBitCount
            if varyingTop >= digit.shift { return digit }
            topBit = varyingTop
        }
    }

    /// Moves items `lo..<hi` stably into the other buffers, bucket by bucket of `digit`: `offsets` holds the
    /// digit's histogram and is left holding the end of each bucket. Returns the size of the largest bucket.
    @inline(__always)
    func scatter(lo: Int, hi: Int, inA: Bool, digit: Digit, offsets: UnsafeMutablePointer<Int>) -> Int {
        let sourceKeys = inA ? keysA : keysB
        let sourcePayloads = inA ? payloadsA : payloadsB
        let targetKeys = inA ? keysB : keysA
        let targetPayloads = inA ? payloadsB : payloadsA
        var sum = lo
        var largest = 0
        for b in 0..<digit.buckets {
            let c = offsets[b]
            offsets[b] = sum
            sum &+= c
            largest = Swift.max(largest, c)
        }
        for i in lo..<hi {
            let key = sourceKeys[i]
            let b = digit.bucket(key)
            let at = offsets[b]
            offsets[b] = at &+ 1
            targetKeys[at] = key
            targetPayloads[at] = sourcePayloads[i]
        }
        return largest
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
        let sourceKeys = (inA ? keysA : keysB) + lo
        let sourcePayloads = (inA ? payloadsA : payloadsB) + lo
        if topBit >= 0, m <= thresholds.insertionSize {
            count(.insertion)
            SortBuffers.insertionSort(
                m: m, sourceKeys: sourceKeys, sourcePayloads: sourcePayloads, keys: keysA + lo, payloads: payloadsA + lo
            )
            return
        }
        // The bits that vary in this bucket (a digit is constant iff its bits agree in every key).
        let varying = topBit < 0 ? 0 : knownVarying ?? SortBuffers.varyingBits(keys: sourceKeys, count: m)
        guard varying != 0 else {  // all keys equal: the stable order is the current one
            if !inA {
                (keysA + lo).update(from: sourceKeys, count: m)
                (payloadsA + lo).update(from: sourcePayloads, count: m)
            }
            return
        }
        count(.leafLSD)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8) { buffer in
            let shifts = buffer.baseAddress!
            var passes = 0
            for d in 0..<8 where (varying &>> UInt64(8 * d)) & 0xFF != 0 {
                shifts[passes] = UInt64(8 * d)
                passes += 1
            }
            // Histograms of the varying digits only (digit d at counts + 32·shift = counts + 256·d), unless the
            // caller computed all of them; then the passes, which alternate between the two buffers; the last must
            // write the A buffers.
            if !histogramsKnown { digitHistograms(keys: sourceKeys, m: m, shifts: shifts, passes: passes) }
            for j in 0..<passes { SortBuffers.startOffsets(counts + 32 * Int(shifts[j])) }
            if payloadBits > 0 {
                packedPasses(
                    m: m, passes: passes, shifts: shifts, payloadBits: payloadBits, inA: inA, sourceKeys: sourceKeys,
                    sourcePayloads: sourcePayloads, targetKeys: (inA ? keysB : keysA) + lo,
                    targetPayloads: (inA ? payloadsB : payloadsA) + lo, result: payloadsA + lo)
            } else {
                pairPasses(lo: lo, m: m, passes: passes, shifts: shifts, inA: inA)
            }
        }
    }

    /// The bits that differ between the `count` keys at `keys`.
    @inline(__always)
    static func varyingBits(keys: UnsafeMutablePointer<UInt64>, count: Int) -> UInt64 {
        var any: UInt64 = 0
        var all: UInt64 = ~0
        for i in 0..<count {
            let key = keys[i]
            any |= key
            all &= key
        }
        return any ^ all
    }

    /// The histograms of the `passes` digits at `shifts` of `m` keys, each at `counts + 32·shift`.
    @inline(__always)
    func digitHistograms(keys: UnsafeMutablePointer<UInt64>, m: Int, shifts: UnsafePointer<UInt64>, passes: Int) {
        for j in 0..<passes { (counts + 32 * Int(shifts[j])).update(repeating: 0, count: 256) }
        for i in 0..<m {
            let key = keys[i]
            var j = 0
            while j < passes {
                let s = shifts[j]
                counts[32 &* Int(truncatingIfNeeded: s) &+ Int(truncatingIfNeeded: (key &>> s) & 0xFF)] &+= 1
                j &+= 1
            }
        }
    }

    /// Turns a 256-bucket histogram into the start offset of each bucket.
    @inline(__always)
    static func startOffsets(_ histogram: UnsafeMutablePointer<Int>) {
        var sum = 0
        for b in 0..<256 {
            let c = histogram[b]
            histogram[b] = sum
            sum &+= c
        }
    }

    /// The LSD passes of a leaf that keeps its keys: each pass moves (key, payload) pairs from one pair of buffers
    /// to the other; a copy first when an odd number of passes would end in the B buffers.
    @inline(__always)
    func pairPasses(lo: Int, m: Int, passes: Int, shifts: UnsafePointer<UInt64>, inA: Bool) {
        var sourceKeys = (inA ? keysA : keysB) + lo
        var sourcePayloads = (inA ? payloadsA : payloadsB) + lo
        var targetKeys = (inA ? keysB : keysA) + lo
        var targetPayloads = (inA ? payloadsB : payloadsA) + lo
        let endsInA = (passes % 2 == 0) == inA
        if !endsInA {
            targetKeys.update(from: sourceKeys, count: m)
            targetPayloads.update(from: sourcePayloads, count: m)
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayloads, &targetPayloads)
        }
        for j in 0..<passes {
            let shift = shifts[j]
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
}
