// The AP loss of one list, forward + backward, in O(n) with one full sort.
//
// The textbook route (APCore.referenceBackward) costs two full rankings: rk(ỹ) for the forward pass and
// rk(ỹ + λ·dL/drk) for the backward pass. Two facts make the second one cheap:
//
// 1. dL/drk is zero on the negatives, so the negatives are not perturbed: in the perturbed ranking they keep
//    their forward order. Only the positives (10 % of a typical list) move, so only they need sorting again.
// 2. The perturbed ranking is then the merge of two sorted sequences: the negatives in forward order and the
//    positives in perturbed order, compared by (key, index) exactly as the stable rule compares them.
//
// So the kernel is: one radix sort of the margin-shifted scores whose payload carries the relevance bit
// (index << 1 | relevant), one in-order walk of the sorted keys (rank among all, rank among positives, the
// precision sum, dL/drk and the perturbed key of each positive — the score is read back from its key, so the
// inputs are not touched again), a radix sort of the positives' perturbed keys, and one merge that emits every
// item's perturbed rank and writes the gradient. Every floating-point expression is the one the reference path
// evaluates, in the same order, so loss and gradient are identical bit for bit (`FastAPTests`).

/// The items of the AP kernel's first sort: margin-shifted score keys, payload `index << 1 | relevant`.
@usableFromInline @frozen struct MarginShiftedItems: SortSource {
    @usableFromInline let scores: UnsafePointer<Double>
    @usableFromInline let relevance: UnsafePointer<Bool>
    @usableFromInline let half: Double
    @inlinable init(scores: UnsafePointer<Double>, relevance: UnsafePointer<Bool>, half: Double) {
        self.scores = scores
        self.relevance = relevance
        self.half = half
    }
    @inlinable @inline(__always)
    func key(_ i: Int) -> UInt64 {
        // The expression of `applyMargin`: y + (−α/2 for a positive, +α/2 for a negative).
        descendingRadixKey(scores[i] + (relevance[i] ? -half : half))
    }
    @inlinable @inline(__always)
    func payload(_ i: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: i) &<< 1 | (relevance[i] ? 1 : 0)
    }
}

/// Where the merge sends (index, forward rank, perturbed rank) of every item.
protocol RankPairOutput {
    mutating func emit(index: Int, forward: Int, backward: Int)
}

/// The blackbox gradient of a rank pair, as `rankBackward` computes it: −(forward − backward)/λ.
struct RankPairGradient {
    let lambda: Double

    @inline(__always)
    func callAsFunction(forward: Int, backward: Int) -> Double {
        -Double(forward - backward) / lambda
    }
}

/// Writes the gradient straight away (short lists: the whole gradient is in cache).
struct DirectGradientOutput: RankPairOutput {
    let gradient: UnsafeMutablePointer<Double>
    let value: RankPairGradient
    @inline(__always)
    mutating func emit(index: Int, forward: Int, backward: Int) {
        gradient[index] = value(forward: forward, backward: backward)
    }
}

/// Appends (index, forward − backward) to the index window of `index` as one word (long lists: the gradient
/// −(forward − backward)/λ needs only the difference; see `IndexWindows`).
struct WindowedRankDifferenceOutput: RankPairOutput {
    let words: UnsafeMutablePointer<UInt64>
    let cursors: IndexWindows.Cursors
    @inline(__always)
    mutating func emit(index: Int, forward: Int, backward: Int) {
        let difference = UInt32(bitPattern: Int32(truncatingIfNeeded: forward &- backward))
        words[cursors.next(for: index)] = UInt64(truncatingIfNeeded: index) &<< 32 | UInt64(difference)
    }
}

/// The words of the windowed gradient writes: (index, forward − backward) → gradient[index].
struct RankDifferenceWords: WindowWordSink {
    let gradient: UnsafeMutablePointer<Double>
    let value: RankPairGradient
    @inline(__always)
    mutating func put(_ word: UInt64) {
        let difference = Int(Int32(truncatingIfNeeded: word & 0xFFFF_FFFF))
        gradient[Int(truncatingIfNeeded: word &>> 32)] = -Double(difference) / value.lambda
    }
}

extension RankingWorkspace {
    /// Lists up to this length fit the kernel's payload (`index << 1 | relevant` in 32 bits).
    package static let maximumAPCount = Int(Int32.max)

    /// The AP term of one list in the `paper` convention: Σ_pos rk⁺/rk divided by #pos, after the margin shift
    /// ±`half`; nil when the list has no positive. With `gradient`, also
    /// dL/dy for L = −weight · term, written into `gradient[0..<n]` (zeros without a positive).
    ///
    /// Same numbers, bit for bit, as `APCore.referencePrecision` / `APCore.referenceBackward` on
    /// `marginShifted(scores, relevance, 2·half)` in the `paper` convention (the `official` convention takes the
    /// reference path).
    ///
    /// - Precondition: `relevance.count == scores.count <= maximumAPCount`; finite scores; λ > 0.
    /// - Complexity: O(n): a radix sort of n items, one of the positives, and three linear passes.
    package mutating func averagePrecisionKernel(
        scores: UnsafeBufferPointer<Double>, relevance: UnsafeBufferPointer<Bool>, half: Double,
        weight: Double, lambda: Double, gradient: UnsafeMutablePointer<Double>?
    ) -> Double? {
        let n = scores.count
        precondition(relevance.count == n && n <= Self.maximumAPCount)
        var positives = 0
        for r in relevance { positives &+= r ? 1 : 0 }
        guard positives > 0 else {
            gradient?.update(repeating: 0, count: n)
            return nil
        }
        // The positives' buffers are moved out of `self` for the duration (`withBuffers` holds `self`).
        var positiveKeys: [UInt64] = []
        var positivePositions: [UInt32] = []
        swap(&positiveKeys, &self.positiveKeys)
        swap(&positivePositions, &self.positivePositions)
        defer {
            swap(&positiveKeys, &self.positiveKeys)
            swap(&positivePositions, &self.positivePositions)
        }
        if gradient != nil, positiveKeys.count < positives {
            positiveKeys = []
            positivePositions = []
            positiveKeys = .uninitialized(count: positives)
            positivePositions = .uninitialized(count: positives)
        }
        var sum = 0.0
        withBuffers(count: n) { buffers in
            buffers.sort(
                n: n,
                source: MarginShiftedItems(
                    scores: scores.baseAddress!,
                    relevance: relevance.baseAddress!, half: half))
            let sortedPayloads = buffers.payloadsA
            guard let gradient else {
                // Forward only: the walk in sorted order.
                var positivesSoFar = 0
                for position in 0..<n where sortedPayloads[position] & 1 != 0 {
                    positivesSoFar &+= 1
                    sum += Double(positivesSoFar) / Double(position + 1)
                }
                return
            }
            positiveKeys.withUnsafeMutableBufferPointer { keysBuffer in
                positivePositions.withUnsafeMutableBufferPointer { positionsBuffer in
                    sum = Self.averagePrecisionBackward(
                        buffers: buffers, n: n, positives: positives, weight: weight, lambda: lambda,
                        gradient: gradient, perturbedKeys: keysBuffer.baseAddress!,
                        forwardPositions: positionsBuffer.baseAddress!)
                }
            }
        }
        return sum / Double(positives)
    }

    /// The backward half of `averagePrecisionKernel`, once `buffers` hold the sorted items: the walk, the sort of
    /// the positives' perturbed keys, the merge and the gradient writes. Returns Σ_pos rk⁺/rk, summed in forward
    /// order.
    ///
    /// With several threads (`buffers.threads`, lists longer than `lsdSize`) each thread walks and then merges its
    /// own slice of the sorted order; the precision sum runs over the positives afterwards in forward order, and
    /// the merge of slice t starts where the merge of slices 0..<t stops, so every number is the same bit for bit.
    static func averagePrecisionBackward(
        buffers: SortBuffers, n: Int, positives: Int, weight: Double, lambda: Double,
        gradient: UnsafeMutablePointer<Double>, perturbedKeys: UnsafeMutablePointer<UInt64>,
        forwardPositions: UnsafeMutablePointer<UInt32>
    ) -> Double {
        let sortedKeys = buffers.keysA
        let sortedPayloads = buffers.payloadsA
        let positiveCount = Double(positives)
        let threads = n > buffers.thresholds.lsdSize ? buffers.threads : 1
        // Slice t of the sorted order is t·n/T ..< (t+1)·n/T; slicePositives[t] counts the positives of slices
        // 0..<t and sliceNext[t] the positives (in perturbed order) the merge of slices 0..<t emits. Both live in
        // their own part of the histogram space, which the sort of the positives leaves alone.
        let slicePositives = buffers.counts + SortBuffers.sliceOffset
        let sliceNext = slicePositives + 257
        @inline(__always) func slice(_ t: Int) -> Range<Int> { (t * n / threads)..<((t + 1) * n / threads) }
        slicePositives[0] = 0
        if threads > 1 {
            SortBuffers.onEachThread(threads) { t in
                var count = 0
                for position in slice(t) { count &+= Int(sortedPayloads[position] & 1) }
                slicePositives[t + 1] = count
            }
            for t in 0..<threads { slicePositives[t + 1] &+= slicePositives[t] }
        }
        // The walk: dL/drk and the perturbed key of every positive, in forward order (and, on one thread, the
        // precision terms).
        var sum = 0.0
        SortBuffers.onEachThread(threads) { t in
            var positivesSoFar = slicePositives[t]
            var partial = 0.0
            for position in slice(t) where sortedPayloads[position] & 1 != 0 {
                positivesSoFar &+= 1
                let rankAll = Double(position + 1)
                let rankPositive = Double(positivesSoFar)
                if threads == 1 { partial += rankPositive / rankAll }
                let upstream = weight * rankPositive / (rankAll * rankAll * positiveCount)
                // ỹ + λ·dL/drk, ỹ read back from its key (exact, up to the sign of a zero, which the key ignores).
                let shifted = scoreFromDescendingRadixKey(sortedKeys[position])
                perturbedKeys[positivesSoFar - 1] = descendingRadixKey(shifted + lambda * upstream)
                forwardPositions[positivesSoFar - 1] = UInt32(truncatingIfNeeded: position)
            }
            if threads == 1 { sum = partial }
        }
        if threads > 1 {
            for k in 0..<positives { sum += Double(k + 1) / Double(Int(forwardPositions[k]) + 1) }
        }
        // The positives in perturbed order: their own sort, with the B buffers as scratch and the result back in
        // place.
        let positiveBuffers = SortBuffers(
            keysA: perturbedKeys, keysB: buffers.keysB, payloadsA: forwardPositions, payloadsB: buffers.payloadsB,
            counts: buffers.counts, thresholds: buffers.thresholds, threads: buffers.threads,
            threadCounts: buffers.threadCounts, wideCounts: buffers.wideCounts)
        positiveBuffers.sort(n: positives, source: StoredItems(keys: perturbedKeys, payloads: forwardPositions))
        // Equal perturbed keys came out in forward order; the rule wants index order.
        var start = 0
        while start < positives {
            var end = start + 1
            while end < positives, perturbedKeys[end] == perturbedKeys[start] { end += 1 }
            if end - start > 1 {
                var run = UnsafeMutableBufferPointer(start: forwardPositions + start, count: end - start)
                run.sort { sortedPayloads[Int($0)] < sortedPayloads[Int($1)] }
            }
            start = end
        }
        // Where the merge of each slice starts: after the positives that precede the last negative before it.
        sliceNext[0] = 0
        sliceNext[threads] = positives
        for t in 1..<threads {
            var q = slice(t).lowerBound - 1
            while q >= 0, sortedPayloads[q] & 1 != 0 { q -= 1 }
            guard q >= 0 else {
                sliceNext[t] = 0
                continue
            }
            let key = sortedKeys[q]
            let payload = sortedPayloads[q]
            var lo = 0
            var hi = positives
            while lo < hi {
                let mid = (lo + hi) / 2
                let positiveKey = perturbedKeys[mid]
                if positiveKey < key || (positiveKey == key && sortedPayloads[Int(forwardPositions[mid])] < payload) {
                    lo = mid + 1
                } else {
                    hi = mid
                }
            }
            sliceNext[t] = lo
        }
        @inline(__always) func merge<Output: RankPairOutput>(_ t: Int, _ output: inout Output) {
            let positions = slice(t)
            mergeRanks(
                positions: positions, next: sliceNext[t],
                rank: sliceNext[t] + positions.lowerBound - slicePositives[t], last: t == threads - 1,
                positives: positives, sortedKeys: sortedKeys, sortedPayloads: sortedPayloads,
                perturbedKeys: perturbedKeys, forwardPositions: forwardPositions, output: &output)
        }
        let value = RankPairGradient(lambda: lambda)
        if n < buffers.thresholds.windowThreshold {
            SortBuffers.onEachThread(threads) { t in
                var output = DirectGradientOutput(gradient: gradient, value: value)
                merge(t, &output)
            }
            return sum
        }
        buffers.count(.windowedWrites)
        let windows = IndexWindows(count: n, thresholds: buffers.thresholds, scratch: buffers.msdScratch(depth: 0))
        let words = buffers.keysB
        if threads == 1 {
            windows.withCursors { cursors in
                var output = WindowedRankDifferenceOutput(words: words, cursors: cursors)
                merge(0, &output)
            }
        } else {
            // Thread t's records of window w go after those of threads 0..<t: count each thread's items per window
            // (the negatives of its slice and the positives its merge emits), then give each thread its cursors.
            let shift = windows.shift
            SortBuffers.onEachThread(threads) { t in
                let c = buffers.countsOf(thread: t)
                c.update(repeating: 0, count: windows.windowCount)
                for position in slice(t) {
                    let payload = sortedPayloads[position]
                    if payload & 1 == 0 { c[Int(truncatingIfNeeded: payload &>> 1) &>> shift] &+= 1 }
                }
                for j in sliceNext[t]..<sliceNext[t + 1] {
                    c[Int(truncatingIfNeeded: sortedPayloads[Int(forwardPositions[j])] &>> 1) &>> shift] &+= 1
                }
            }
            for w in 0..<windows.windowCount {
                var at = w << shift
                for t in 0..<threads {
                    let c = buffers.countsOf(thread: t)
                    let items = c[w]
                    c[w] = at
                    at &+= items
                }
            }
            SortBuffers.onEachThread(threads) { t in
                var output = WindowedRankDifferenceOutput(
                    words: words, cursors: IndexWindows.Cursors(base: buffers.countsOf(thread: t), shift: shift))
                merge(t, &output)
            }
        }
        // The sorted keys are not read again: their buffer takes the second grouping of long lists.
        let team = threads == buffers.threads ? buffers : buffers.forThread(0)
        team.writeWindows(
            n: n, windows: windows, words: words, spare: sortedKeys,
            sink: RankDifferenceWords(gradient: gradient, value: value))
        return sum
    }

    /// The perturbed ranking as a merge: negatives in forward order (`sortedKeys`/`sortedPayloads` with the
    /// relevance bit clear) and positives in perturbed order (`perturbedKeys`, with their forward positions),
    /// compared by (key, index). Emits every item once, in perturbed order, with its forward and perturbed rank.
    @inline(__always)
    static func mergeRanks<Output: RankPairOutput>(
        positions: Range<Int>, next first: Int, rank start: Int, last: Bool, positives: Int,
        sortedKeys: UnsafePointer<UInt64>, sortedPayloads: UnsafePointer<UInt32>,
        perturbedKeys: UnsafePointer<UInt64>, forwardPositions: UnsafePointer<UInt32>, output: inout Output
    ) {
        var next = first  // the next positive in perturbed order
        var rank = start  // perturbed ranks handed out so far
        for position in positions {
            let payload = sortedPayloads[position]
            if payload & 1 != 0 { continue }
            let key = sortedKeys[position]
            // Positives that come before this negative: smaller key, or equal key and smaller index
            // (payloads compare like indices: 2i + 1 < 2j ⇔ i < j).
            while next < positives {
                let positiveKey = perturbedKeys[next]
                if positiveKey > key { break }
                let forward = Int(forwardPositions[next])
                let positivePayload = sortedPayloads[forward]
                if positiveKey == key, positivePayload > payload { break }
                rank &+= 1
                output.emit(index: Int(positivePayload &>> 1), forward: forward &+ 1, backward: rank)
                next &+= 1
            }
            rank &+= 1
            output.emit(index: Int(payload &>> 1), forward: position &+ 1, backward: rank)
        }
        guard last else { return }
        while next < positives {
            let forward = Int(forwardPositions[next])
            rank &+= 1
            output.emit(index: Int(sortedPayloads[forward] &>> 1), forward: forward &+ 1, backward: rank)
            next &+= 1
        }
    }
}
