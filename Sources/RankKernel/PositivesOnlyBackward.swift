// The blackbox backward of a rank loss that perturbs only its positives, in O(n) with one full sort: the AP loss
// (APLossFastPath.swift) and the recall loss on the rows of a score matrix (Learning's RecallRows).
//
// The textbook route (Rambo's APCore.referenceBackward, RecallLoss.row) costs two full rankings: rk(ỹ) for the
// forward pass and rk(ỹ + λ·dL/drk) for the backward pass. Two facts make the second one cheap:
//
// 1. dL/drk is zero on the negatives, so the negatives are not perturbed: in the perturbed ranking they keep
//    their forward order. Only the positives (10 % of a typical list) move, so only they need sorting again.
// 2. The perturbed ranking is then the merge of two sorted sequences: the negatives in forward order and the
//    positives in perturbed order, compared by (key, index) exactly as the stable rule compares them.
//
// So the kernel is: one radix sort of the margin-shifted scores whose payload carries the relevance bit
// (index << 1 | relevant), one in-order walk of the sorted keys (rank among all, rank among positives, the loss's
// term, dL/drk and the perturbed key of each positive — the score is read back from its key, so the inputs are
// not touched again), a radix sort of the positives' perturbed keys, and one merge that emits every item's
// perturbed rank and writes the gradient −(rk − rk_λ)/λ. Every floating-point expression is the one the textbook
// route evaluates, in the same order, so loss and gradient are identical bit for bit.

/// What a rank loss whose upstream is zero on the negatives says about each positive, for
/// `RankingWorkspace.positivesOnlyBackward`. Both functions see the positive's 1-based rank among all items
/// (`rankAll`) and among the positives (`rankPositive`), in the forward ranking of the margin-shifted scores.
@usableFromInline package protocol PositiveRankTerms {
    /// The positive's term of the loss; the kernel sums the terms in forward order.
    func term(rankAll: Int, rankPositive: Int) -> Double
    /// dL/drk of the positive: the blackbox backward perturbs its score by λ times this.
    func upstream(rankAll: Int, rankPositive: Int) -> Double
}

/// The items of the first sort: margin-shifted score keys, payload `index << 1 | relevant`.
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
        // The expression of Rambo's `applyMargin`: y + (−α/2 for a positive, +α/2 for a negative).
        descendingRadixKey(scores[i] + (relevance[i] ? -half : half))
    }
    @inlinable @inline(__always)
    func payload(_ i: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: i) &<< 1 | (relevance[i] ? 1 : 0)
    }
}

extension RankingWorkspace {
    /// Lists up to this length fit the payload `index << 1 | relevant` in 32 bits.
    @usableFromInline package static let maximumPositivesOnlyCount = Int(Int32.max)

    /// Σ `terms.term` over the positives of the list, in forward order, after the margin shift ±`half`
    /// (negatives up by `half`, positives down): the forward pass of `positivesOnlyBackward`.
    ///
    /// - Precondition: `relevance.count == scores.count <= maximumPositivesOnlyCount`; finite scores.
    /// - Complexity: O(n), one radix sort.
    @inlinable
    package mutating func positivesOnlyForward<Terms: PositiveRankTerms>(
        scores: UnsafeBufferPointer<Double>, relevance: UnsafeBufferPointer<Bool>, half: Double, terms: Terms
    ) -> Double {
        let n = scores.count
        precondition(relevance.count == n && n <= Self.maximumPositivesOnlyCount)
        return withBuffers(count: n) { buffers in
            buffers.sort(
                n: n,
                source: MarginShiftedItems(scores: scores.baseAddress!, relevance: relevance.baseAddress!, half: half))
            var sum = 0.0
            var positivesSoFar = 0
            for position in 0..<n where buffers.payloadsA[position] & 1 != 0 {
                positivesSoFar &+= 1
                sum += terms.term(rankAll: position + 1, rankPositive: positivesSoFar)
            }
            return sum
        }
    }

    /// Σ `terms.term` over the positives in forward order, and the blackbox gradient of the loss whose dL/drk is
    /// `terms.upstream` on the positives and zero on the negatives, written into `gradient[0..<n]`:
    /// dL/dy = −(rk(ỹ) − rk(ỹ + λ·dL/drk))/λ with ỹ the scores shifted by the margin ±`half`.
    ///
    /// Same numbers, bit for bit, as the textbook route: rank ỹ, walk it for the terms and dL/drk, rank the
    /// perturbed scores, take the difference. With `threadCount` > 1, lists longer than `thresholds.lsdSize` share
    /// the walk and the merge between threads, with the same numbers.
    ///
    /// - Precondition: `relevance.count == scores.count <= maximumPositivesOnlyCount`; `positives` is the number
    ///   of `true` in `relevance`, at least 1; finite scores; λ > 0.
    /// - Complexity: O(n): a radix sort of n items, one of the positives, and three linear passes.
    @inlinable
    package mutating func positivesOnlyBackward<Terms: PositiveRankTerms>(
        scores: UnsafeBufferPointer<Double>, relevance: UnsafeBufferPointer<Bool>, positives: Int, half: Double,
        lambda: Double, terms: Terms, gradient: UnsafeMutablePointer<Double>
    ) -> Double {
        let n = scores.count
        precondition(relevance.count == n && n <= Self.maximumPositivesOnlyCount && positives > 0)
        // The positives' buffers are moved out of `self` for the duration (`withBuffers` holds `self`).
        var perturbedKeys: [UInt64] = []
        var forwardPositions: [UInt32] = []
        swap(&perturbedKeys, &positiveKeys)
        swap(&forwardPositions, &positivePositions)
        defer {
            swap(&perturbedKeys, &positiveKeys)
            swap(&forwardPositions, &positivePositions)
        }
        if perturbedKeys.count < positives {
            perturbedKeys = []
            forwardPositions = []
            perturbedKeys = .uninitialized(count: positives)
            forwardPositions = .uninitialized(count: positives)
        }
        return withBuffers(count: n) { buffers in
            buffers.sort(
                n: n,
                source: MarginShiftedItems(scores: scores.baseAddress!, relevance: relevance.baseAddress!, half: half))
            return perturbedKeys.withUnsafeMutableBufferPointer { keys in
                forwardPositions.withUnsafeMutableBufferPointer { positions in
                    let pass = PositivesOnlyPass(
                        buffers: buffers, n: n, positives: positives, perturbedKeys: keys.baseAddress!,
                        forwardPositions: positions.baseAddress!)
                    return pass.run(terms: terms, lambda: lambda, gradient: gradient)
                }
            }
        }
    }
}

/// One backward pass of `positivesOnlyBackward`, once the sort buffers hold the sorted items: the walk, the sort
/// of the positives' perturbed keys, the merge and the gradient writes.
///
/// With several threads (`buffers.threads`, lists longer than `lsdSize`) each thread walks and then merges its own
/// slice of the sorted order; the sum of the terms runs over the positives afterwards in forward order, and the
/// merge of slice t starts where the merge of slices 0..<t stops, so every number is the same bit for bit.
@usableFromInline struct PositivesOnlyPass {
    @usableFromInline let buffers: SortBuffers
    @usableFromInline let n: Int
    @usableFromInline let positives: Int
    @usableFromInline let threads: Int
    /// The positives' perturbed keys, and where each sits in the forward order (walk order, then perturbed order).
    @usableFromInline let perturbedKeys: UnsafeMutablePointer<UInt64>
    @usableFromInline let forwardPositions: UnsafeMutablePointer<UInt32>

    @inlinable
    init(
        buffers: SortBuffers, n: Int, positives: Int, perturbedKeys: UnsafeMutablePointer<UInt64>,
        forwardPositions: UnsafeMutablePointer<UInt32>
    ) {
        self.buffers = buffers
        self.n = n
        self.positives = positives
        self.threads = n > buffers.thresholds.lsdSize ? buffers.threads : 1
        self.perturbedKeys = perturbedKeys
        self.forwardPositions = forwardPositions
    }

    @inlinable var sortedKeys: UnsafeMutablePointer<UInt64> { buffers.keysA }
    @inlinable var sortedPayloads: UnsafeMutablePointer<UInt32> { buffers.payloadsA }
    /// slicePositives[t] counts the positives of slices 0..<t. It lives in its own part of the histogram space,
    /// which the sort of the positives leaves alone.
    @inlinable var slicePositives: UnsafeMutablePointer<Int> { buffers.counts + SortBuffers.sliceOffset }
    /// sliceNext[t] counts the positives (in perturbed order) the merge of slices 0..<t emits.
    @inlinable var sliceNext: UnsafeMutablePointer<Int> { slicePositives + 257 }

    /// Slice t of the sorted order: t·n/T ..< (t+1)·n/T.
    @inlinable @inline(__always)
    func slice(_ t: Int) -> Range<Int> { (t * n / threads)..<((t + 1) * n / threads) }

    /// The pass, step by step; returns Σ terms in forward order.
    @inlinable
    func run<Terms: PositiveRankTerms>(terms: Terms, lambda: Double, gradient: UnsafeMutablePointer<Double>) -> Double {
        countSlicePositives()
        var sum = walk(terms: terms, lambda: lambda)
        if threads > 1 {
            sum = 0
            for k in 0..<positives { sum += terms.term(rankAll: Int(forwardPositions[k]) + 1, rankPositive: k + 1) }
        }
        sortPositives()
        findMergeStarts()
        writeGradient(gradient, lambda: lambda)
        return sum
    }

    /// How many positives each slice holds, as running sums in `slicePositives`.
    @usableFromInline
    func countSlicePositives() {
        slicePositives[0] = 0
        guard threads > 1 else { return }
        let sortedPayloads = self.sortedPayloads
        let slicePositives = self.slicePositives
        SortBuffers.onEachThread(threads) { t in
            var count = 0
            for position in slice(t) { count &+= Int(sortedPayloads[position] & 1) }
            slicePositives[t + 1] = count
        }
        for t in 0..<threads { slicePositives[t + 1] &+= slicePositives[t] }
    }

    /// The walk: dL/drk and the perturbed key of every positive, in forward order, on each thread its slice.
    /// Returns Σ terms on one thread (0 on several: `run` sums afterwards).
    @inlinable
    func walk<Terms: PositiveRankTerms>(terms: Terms, lambda: Double) -> Double {
        var sum = 0.0
        SortBuffers.onEachThread(threads) { t in
            var positivesSoFar = slicePositives[t]
            var partial = 0.0
            for position in slice(t) where sortedPayloads[position] & 1 != 0 {
                positivesSoFar &+= 1
                if threads == 1 { partial += terms.term(rankAll: position + 1, rankPositive: positivesSoFar) }
                let upstream = terms.upstream(rankAll: position + 1, rankPositive: positivesSoFar)
                // ỹ + λ·dL/drk, ỹ read back from its key (exact, up to the sign of a zero, which the key ignores).
                let shifted = scoreFromDescendingRadixKey(sortedKeys[position])
                perturbedKeys[positivesSoFar - 1] = descendingRadixKey(shifted + lambda * upstream)
                forwardPositions[positivesSoFar - 1] = UInt32(truncatingIfNeeded: position)
            }
            if threads == 1 { sum = partial }
        }
        return sum
    }

    /// The positives in perturbed order: their own radix sort, with the B buffers as scratch and the result back in
    /// place; equal perturbed keys come out in forward order, and the tie rule wants index order.
    @usableFromInline
    func sortPositives() {
        let positiveBuffers = SortBuffers(
            keysA: perturbedKeys, keysB: buffers.keysB, payloadsA: forwardPositions, payloadsB: buffers.payloadsB,
            counts: buffers.counts, thresholds: buffers.thresholds, threads: buffers.threads,
            threadCounts: buffers.threadCounts, wideCounts: buffers.wideCounts)
        positiveBuffers.sort(n: positives, source: StoredItems(keys: perturbedKeys, payloads: forwardPositions))
        let sortedPayloads = self.sortedPayloads
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
    }

    /// Where the merge of each slice starts (`sliceNext`): after the positives that precede the last negative
    /// before it.
    @usableFromInline
    func findMergeStarts() {
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
    }

    /// The perturbed ranking of slice t, merged, with every item's ranks handed to `output`.
    @inline(__always)
    func merge<Output: RankPairOutput>(_ t: Int, _ output: inout Output) {
        let positions = slice(t)
        PositivesOnlyPass.mergeRanks(
            positions: positions, next: sliceNext[t], rank: sliceNext[t] + positions.lowerBound - slicePositives[t],
            last: t == threads - 1, positives: positives, sortedKeys: sortedKeys, sortedPayloads: sortedPayloads,
            perturbedKeys: perturbedKeys, forwardPositions: forwardPositions, output: &output)
    }

    /// The merges, writing −(forward − backward)/λ straight into `gradient` (short lists: the whole gradient is in
    /// cache) or through index windows.
    @usableFromInline
    func writeGradient(_ gradient: UnsafeMutablePointer<Double>, lambda: Double) {
        let value = RankPairGradient(lambda: lambda)
        guard n >= buffers.thresholds.windowThreshold else {
            SortBuffers.onEachThread(threads) { t in
                var output = DirectGradientOutput(gradient: gradient, value: value)
                merge(t, &output)
            }
            return
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
            mergeIntoSharedWindows(windows, words: words)
        }
        // The sorted keys are not read again: their buffer takes the second grouping of long lists.
        let team = threads == buffers.threads ? buffers : buffers.forThread(0)
        team.writeWindows(
            n: n, windows: windows, words: words, spare: sortedKeys,
            sink: RankDifferenceWords(gradient: gradient, value: value))
    }

    /// The merges on several threads into one set of index windows: thread t's records of window w go after those
    /// of threads 0..<t, so each thread first counts its items per window (the negatives of its slice and the
    /// positives its merge emits), then gets its own cursors.
    func mergeIntoSharedWindows(_ windows: IndexWindows, words: UnsafeMutablePointer<UInt64>) {
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

/// Where the merge sends (index, forward rank, perturbed rank) of every item.
protocol RankPairOutput {
    mutating func emit(index: Int, forward: Int, backward: Int)
}

/// The blackbox gradient of a rank pair, as Rambo's `rankBackward` computes it: −(forward − backward)/λ.
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
