// The split of a long list by its top bits, on one thread or several (`RankingWorkspace.threadCount`).
//
// A list longer than `lsdSize` is split by its top 16 key bits (at least `wideSplitSize` items, 2¹⁶ counters per
// thread) or by its top varying byte, in two passes over the source: histograms, then a stable scatter into the
// B buffers. Both passes are shared between the threads without changing the result: each thread histograms and
// then scatters its own contiguous slice of the input, thread t's items of a bucket placed after those of threads
// 0..<t, which is where a one-thread stable pass puts them. The buckets are then shared out in contiguous runs of
// about n/T items, each sorted by the same MSD recursion and leaves as on one thread, with the thread's own
// histogram space. Index-window writes are shared out by whole windows. The order, and so every rank and
// gradient, is the same bit for bit for any thread count (`KernelPathTests`).
//
// What stays on one thread: lists short enough for one LSD sort, and lists whose top 16 bits are all equal (only
// their low 48 bits vary), which go to the MSD recursion from their top varying bit. Two threads help most when
// no single bucket holds most of the list; the 16-bit split leaves a few hundred buckets for typical scores.

import Dispatch

extension SortBuffers {
    /// The histogram space of thread `t` (thread 0 uses `counts`).
    @inlinable @inline(__always)
    func countsOf(thread t: Int) -> UnsafeMutablePointer<Int> {
        t == 0 ? counts : threadCounts.unsafelyUnwrapped + (t - 1) * RankingWorkspace.countsSize
    }

    /// These buffers with thread `t`'s histogram space, for the buckets that thread sorts.
    @inlinable
    func forThread(_ t: Int) -> SortBuffers {
        SortBuffers(
            keysA: keysA, keysB: keysB, payloadsA: payloadsA, payloadsB: payloadsB, counts: countsOf(thread: t),
            thresholds: thresholds)
    }

    /// Runs `body(t)` for t in `0..<threads`: on this thread when there is one, else concurrently.
    @inlinable
    func onEachThread(_ body: (Int) -> Void) {
        SortBuffers.onEachThread(threads, body)
    }

    /// Runs `body(t)` for t in `0..<threads`: on this thread when there is one, else concurrently.
    @inlinable
    static func onEachThread(_ threads: Int, _ body: (Int) -> Void) {
        if threads == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: threads) { t in body(t) }
        }
    }

    /// `sort` of a list longer than `lsdSize`: the split by its top 16 bits (`wideCounts`, at least
    /// `wideSplitSize` items) or its top varying byte, then the MSD recursion of every bucket, on `threads`
    /// threads. Each thread touches only its own slice of the input, its own counters and its own range of the
    /// buffers.
    @inlinable
    func split<Source: SortSource>(n: Int, source: Source, payloadBits: Int) {
        let wide = n >= thresholds.wideSplitSize ? wideCounts : nil
        let varying = splitHistograms(n: n, source: source, wide: wide)
        let topBit = 63 - varying.leadingZeroBitCount
        guard varying != 0, topBit >= 48 else {
            sortUnsplit(n: n, source: source, varying: varying, payloadBits: payloadBits)
            return
        }
        count(wide == nil ? .topByteSplit : .wideSplit)
        let shift = wide != nil || topBit < 56 ? 48 : 56
        let buckets = wide == nil ? 256 : 1 << 16
        // Thread t's histogram of the split's digit.
        let byteOffset = shift == 56 ? 0 : 256
        // Bucket b starts after every earlier bucket; within it, thread t's items follow those of threads 0..<t.
        var sum = 0
        for b in 0..<buckets {
            for t in 0..<threads {
                let c = splitHistogram(t, wide: wide, byteOffset: byteOffset)
                let items = c[b]
                c[b] = sum
                sum &+= items
            }
        }
        splitScatter(n: n, source: source, shift: shift, mask: UInt64(buckets - 1), wide: wide, byteOffset: byteOffset)
        // The last thread's offsets are now the bucket ends. The byte histograms sit where the leaves' LSD passes
        // keep theirs, so those ends are copied to level 0 of the MSD scratch (the recursion starts at level 1).
        var ends = splitHistogram(threads - 1, wide: wide, byteOffset: byteOffset)
        if wide == nil {
            msdScratch(depth: 0).update(from: ends, count: buckets)
            ends = msdScratch(depth: 0)
        }
        sortBuckets(n: n, ends: ends, buckets: buckets, topBit: shift - 1, payloadBits: payloadBits)
    }

    /// Pass 1 of the split, each thread on its slice: the histogram of the top 16 bits (`wide`, 2¹⁶ counters per
    /// thread) or of each of the top two bytes (in `counts[0..<256]` and `counts[256..<512]`). Returns the key bits
    /// that vary.
    @inlinable
    func splitHistograms<Source: SortSource>(n: Int, source: Source, wide: UnsafeMutablePointer<Int>?) -> UInt64 {
        let threads = self.threads
        nonisolated(unsafe) let me = self
        nonisolated(unsafe) let source = source
        nonisolated(unsafe) let wide = wide
        onEachThread { t in
            var any: UInt64 = 0
            var all: UInt64 = ~0
            let range = (t * n / threads)..<((t + 1) * n / threads)
            if let wide {
                let c = wide + (t << 16)
                c.update(repeating: 0, count: 1 << 16)
                for i in range {
                    let key = source.key(i)
                    any |= key
                    all &= key
                    c[Int(truncatingIfNeeded: key &>> 48)] &+= 1
                }
            } else {
                let c = me.countsOf(thread: t)
                c.update(repeating: 0, count: 512)
                for i in range {
                    let key = source.key(i)
                    any |= key
                    all &= key
                    c[Int(truncatingIfNeeded: key &>> 56)] &+= 1
                    c[256 &+ Int(truncatingIfNeeded: (key &>> 48) & 0xFF)] &+= 1
                }
            }
            me.countsOf(thread: t)[512] = Int(truncatingIfNeeded: any)
            me.countsOf(thread: t)[513] = Int(truncatingIfNeeded: all)
        }
        var any: UInt64 = 0
        var all: UInt64 = ~0
        for t in 0..<threads {
            any |= UInt64(truncatingIfNeeded: countsOf(thread: t)[512])
            all &= UInt64(truncatingIfNeeded: countsOf(thread: t)[513])
        }
        return any ^ all
    }

    /// Thread t's histogram of the split's digit: its 2¹⁶ wide counters, or its byte histogram at `byteOffset`.
    @inlinable @inline(__always)
    func splitHistogram(_ t: Int, wide: UnsafeMutablePointer<Int>?, byteOffset: Int) -> UnsafeMutablePointer<Int> {
        wide.map { $0 + (t << 16) } ?? countsOf(thread: t) + byteOffset
    }

    /// Pass 2 of the split, each thread on its slice: the stable scatter into the B buffers by the digit at
    /// `shift`, through the bucket offsets in thread t's `splitHistogram`.
    @inlinable
    func splitScatter<Source: SortSource>(
        n: Int, source: Source, shift: Int, mask: UInt64, wide: UnsafeMutablePointer<Int>?, byteOffset: Int
    ) {
        let threads = self.threads
        nonisolated(unsafe) let me = self
        nonisolated(unsafe) let source = source
        nonisolated(unsafe) let wide = wide
        onEachThread { t in
            let offsets = me.splitHistogram(t, wide: wide, byteOffset: byteOffset)
            for i in (t * n / threads)..<((t + 1) * n / threads) {
                let key = source.key(i)
                let b = Int(truncatingIfNeeded: (key &>> UInt64(shift)) & mask)
                let at = offsets[b]
                offsets[b] = at &+ 1
                me.keysB[at] = key
                me.payloadsB[at] = source.payload(i)
            }
        }
    }

    /// The MSD recursion of every bucket of the split (bucket b ends at `ends[b]`, in the B buffers), the buckets
    /// shared out in contiguous runs of about n/T items, one run per thread.
    @inlinable
    func sortBuckets(n: Int, ends: UnsafeMutablePointer<Int>, buckets: Int, topBit: Int, payloadBits: Int) {
        let threads = self.threads
        nonisolated(unsafe) let me = self
        nonisolated(unsafe) let ends = ends
        onEachThread { t in
            let first = SortBuffers.bucketBoundary(ends: ends, buckets: buckets, target: t * n / threads)
            let last = SortBuffers.bucketBoundary(ends: ends, buckets: buckets, target: (t + 1) * n / threads)
            let buffers = threads == 1 ? me : me.forThread(t)
            var start = first == 0 ? 0 : ends[first - 1]
            for b in first..<last {
                let end = ends[b]
                if end > start {
                    buffers.msd(lo: start, hi: end, inA: false, topBit: topBit, payloadBits: payloadBits, depth: 1)
                }
                start = end
            }
        }
    }

    /// The bucket boundary k (0...buckets, bucket k starting at `ends[k - 1]`, 0 for k = 0) whose start is
    /// nearest `target` items, the later one on a tie; 0 for target ≤ 0 and `buckets` for target ≥ n, so the
    /// runs of consecutive targets cover every bucket once. O(log buckets).
    @inlinable
    static func bucketBoundary(ends: UnsafeMutablePointer<Int>, buckets: Int, target: Int) -> Int {
        if target <= 0 { return 0 }
        if target >= ends[buckets - 1] { return buckets }
        // The smallest k with start(k) ≥ target (start(buckets) = n > target, start(0) = 0 < target).
        var lo = 1
        var hi = buckets
        while lo < hi {
            let mid = (lo + hi) / 2
            if ends[mid - 1] >= target { hi = mid } else { lo = mid + 1 }
        }
        let before = lo == 1 ? 0 : ends[lo - 2]
        return target - before < ends[lo - 1] - target ? lo - 1 : lo
    }

    /// Runs `body` on contiguous ranges covering `0..<n` that start and end on multiples of `2^shift` (or n), one
    /// range per thread, concurrently when there are several threads.
    @inlinable
    func forEachWindowRun(n: Int, shift: Int, _ body: (Range<Int>) -> Void) {
        let threads = self.threads
        let mask = (1 << shift) - 1
        withoutActuallyEscaping(body) { body in
            // The ranges are disjoint, so the threads never write the same place.
            nonisolated(unsafe) let body = body
            onEachThread { t in
                let lo = t == 0 ? 0 : Swift.min(n, (t * n / threads + mask) & ~mask)
                let hi = t == threads - 1 ? n : Swift.min(n, ((t + 1) * n / threads + mask) & ~mask)
                if lo < hi { body(lo..<hi) }
            }
        }
    }
}
