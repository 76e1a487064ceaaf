// One list on several threads (`RankingWorkspace.threadCount`).
//
// The split by top bytes is the part of a long list's sort that runs from main memory, and it parallelises
// without changing the result: each thread histograms and then scatters its own contiguous slice of the input,
// thread t's items of a bucket placed after those of threads 0..<t, which is where a one-thread stable pass puts
// them; the buckets are then shared out between the threads in contiguous runs of about n/T items, each sorted
// by the same MSD recursion and leaves as on one thread, with the thread's own histogram space. Index-window
// writes are shared out by whole windows. The order, and so every rank and gradient, is the same bit for bit as
// on one thread (`KernelPathTests`).
//
// What stays on one thread: lists short enough for one LSD sort, the AP kernel's walk, the sort of its positives
// and its merge. Two threads help most when no single top-byte bucket holds most of the list (scores of both
// signs, or spread over several binary orders of magnitude).

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

    /// `sort`'s split by top bytes on `threads` threads, then the buckets' MSD recursion shared between them.
    /// Returns false, having written nothing, when only the low 48 key bits vary (the caller then takes the
    /// one-thread path).
    @inlinable
    func parallelSplit<Source: SortSource>(n: Int, source: Source, payloadBits: Int) -> Bool {
        let threads = self.threads
        // Each thread touches only its own slice of the inputs, its own counts and its own range of the buffers.
        nonisolated(unsafe) let me = self
        nonisolated(unsafe) let source = source
        // Pass 1, each thread on its slice: which bits vary, histograms of the top two bytes.
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let c = me.countsOf(thread: t)
            c.update(repeating: 0, count: 512)
            var any: UInt64 = 0
            var all: UInt64 = ~0
            for i in (t * n / threads)..<((t + 1) * n / threads) {
                let key = source.key(i)
                any |= key
                all &= key
                c[Int(truncatingIfNeeded: key &>> 56)] &+= 1
                c[256 &+ Int(truncatingIfNeeded: (key &>> 48) & 0xFF)] &+= 1
            }
            c[512] = Int(truncatingIfNeeded: any)
            c[513] = Int(truncatingIfNeeded: all)
        }
        var any: UInt64 = 0
        var all: UInt64 = ~0
        for t in 0..<threads {
            any |= UInt64(truncatingIfNeeded: countsOf(thread: t)[512])
            all &= UInt64(truncatingIfNeeded: countsOf(thread: t)[513])
        }
        let varying = any ^ all
        let topBit = 63 - varying.leadingZeroBitCount
        guard varying != 0, topBit >= 48 else { return false }
        count(.topByteSplit)
        let shift = topBit >= 56 ? 56 : 48
        let histogram = shift == 56 ? 0 : 256
        // Bucket b starts at starts[b]; within it, thread t's items follow those of threads 0..<t.
        nonisolated(unsafe) let starts = msdScratch(depth: 0)
        var sum = 0
        for b in 0..<256 {
            starts[b] = sum
            for t in 0..<threads {
                let c = countsOf(thread: t) + histogram
                let items = c[b]
                c[b] = sum
                sum &+= items
            }
        }
        starts[256] = n
        // Pass 2, each thread on its slice: the scatter into the B buffers.
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let offsets = me.countsOf(thread: t) + histogram
            for i in (t * n / threads)..<((t + 1) * n / threads) {
                let key = source.key(i)
                let b = Int(truncatingIfNeeded: (key &>> UInt64(shift)) & 0xFF)
                let at = offsets[b]
                offsets[b] = at &+ 1
                me.keysB[at] = key
                me.payloadsB[at] = source.payload(i)
            }
        }
        // The buckets in contiguous runs of about n/T items, one run per thread.
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let first = me.bucketBoundary(starts: starts, target: t * n / threads)
            let last = me.bucketBoundary(starts: starts, target: (t + 1) * n / threads)
            let buffers = me.forThread(t)
            for b in first..<last where starts[b + 1] > starts[b] {
                buffers.msd(
                    lo: starts[b], hi: starts[b + 1], inA: false, topBit: shift - 1,
                    payloadBits: payloadBits, depth: 1)
            }
        }
        return true
    }

    /// The bucket boundary (0...256) whose start is nearest `target` items, the later one on a tie; 0 for
    /// target 0 and 256 for target n, so the runs cover every bucket once.
    @inlinable
    func bucketBoundary(starts: UnsafeMutablePointer<Int>, target: Int) -> Int {
        if target <= 0 { return 0 }
        if target >= starts[256] { return 256 }
        var b = 0
        while b < 256 && starts[b + 1] < target { b += 1 }
        // starts[b] < target ≤ starts[b + 1]: take the nearer boundary.
        return target - starts[b] < starts[b + 1] - target ? b : b + 1
    }

    /// Runs `body` on contiguous ranges covering `0..<n` that start and end on multiples of `2^shift` (or n), one
    /// range per thread, concurrently when there are several threads.
    @inlinable
    func forEachWindowRun(n: Int, shift: Int, _ body: (Range<Int>) -> Void) {
        let threads = self.threads
        if threads == 1 {
            body(0..<n)
            return
        }
        let mask = (1 << shift) - 1
        withoutActuallyEscaping(body) { body in
            // The ranges are disjoint, so the threads never write the same place.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = t == 0 ? 0 : Swift.min(n, (t * n / threads + mask) & ~mask)
                let hi = t == threads - 1 ? n : Swift.min(n, ((t + 1) * n / threads + mask) & ~mask)
                if lo < hi { body(lo..<hi) }
            }
        }
    }
}
