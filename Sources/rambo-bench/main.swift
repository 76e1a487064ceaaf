// rambo-bench: times forward + backward of the ranking kernels and losses at a given list length, and the
// training kit's matrix product (`--op matmul`, see Matmul.swift).
//
//     rambo-bench --op OP --n N [--rows Q] [--repeats R] [--warmup W] [--threads T] [--seed S]
//                 [--lambda L] [--margin A] [--clock wall|cpu] [--threshold NAME=V]... [--json]
//     rambo-bench --op OP --sweep [--max N] [...]
//
// Prints one line: readable by default, or with --json exactly one JSON object
//     {"op", "n", "rows", "threads", "repeats", "clock", "lambda", "margin", "median_ms", "min_ms", "max_ms",
//      "ns_per_item", "peak_rss_mb"}
// and nothing else. Timings use the monotonic clock (or process CPU time with --clock cpu); each repeat times
// all rows (forward + backward), after W untimed warm-up repeats that also allocate every scratch buffer.
// peak_rss_mb is the process's peak resident memory, inputs included. Bad flags or values: one line on stderr,
// exit 2. With --sweep: a table of ns/item for n = 1e3, 1e4, … up to --max (default 1e8), timed in interleaved
// rounds, and the worst/best ratio over n ≥ 1e4.

import Dispatch
import RankKernel
import Support

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

Output.prepare()  // a closed or full stdout/stderr: an error and exit 2, never a trap or a silent exit 0
Output.program = "rambo-bench"

func fail(_ message: String, code: Int32) -> Never {
    Output.error("rambo-bench: " + message)
    Output.exit(code)
}

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .success(let parsed): options = parsed
case .failure(let error) where error.message == "help":
    print(Options.usage)
    exit(0)
case .failure(let error): fail(error.message + " (try --help)", code: 2)
}
if options.op == .matmul { runMatmul(options) }

/// One measurement: the timings of `options.repeats` runs after the warm-up, for `options.n` items per row.
struct Measurement {
    let summary: Summary
    let rowThreads: Int
    let listThreads: Int
}

/// The data and kernels of one setting, ready to time; everything is freed with it.
final class Bench: @unchecked Sendable {  // each thread touches only its own kernel and sink
    let options: Options
    /// Threads share out rows; with fewer rows than threads, each row's list is shared between threads.
    let rowThreads: Int
    let listThreads: Int
    var kernels: [any BenchKernel]
    var sinks: [Double]

    init(_ options: Options) {
        self.options = options
        let data = BenchData(
            n: options.n, rows: options.rows, seed: options.seed,
            withUpstream: options.op == .rankBackward)
        rowThreads = min(options.threads, options.rows)
        listThreads = max(1, options.threads / rowThreads)
        let count = rowThreads
        let listThreads = listThreads
        kernels = (0..<count).map { t in
            makeKernel(
                options, data: data,
                rows: (t * options.rows / count)..<((t + 1) * options.rows / count),
                listThreads: listThreads)
        }
        sinks = [Double](repeating: 0, count: count)
    }

    /// Runs every row once; returns the time in milliseconds on the chosen clock.
    func runOnce() -> Double {
        let now = options.cpuClock ? ProcessClock.processCPUNanoseconds : ProcessClock.monotonicNanoseconds
        let start = now()
        if rowThreads == 1 {
            sinks[0] += kernels[0].run()
        } else {
            let rowThreads = rowThreads
            kernels.withUnsafeMutableBufferPointer { kernels in
                sinks.withUnsafeMutableBufferPointer { sinks in
                    nonisolated(unsafe) let k = kernels
                    nonisolated(unsafe) let s = sinks
                    DispatchQueue.concurrentPerform(iterations: rowThreads) { t in s[t] += k[t].run() }
                }
            }
        }
        return Double(now() - start) / 1e6
    }

    /// Stops the program if a kernel produced NaN.
    func check() {
        if sinks.contains(where: \.isNaN) { fail("a kernel produced NaN", code: 1) }
    }
}

/// Builds the data and the kernels of `options` and times them; everything is freed on return.
func measure(_ options: Options) -> Measurement {
    let bench = Bench(options)
    for _ in 0..<options.warmup { _ = bench.runOnce() }
    let summary = Summary(milliseconds: (0..<options.repeats).map { _ in bench.runOnce() })
    bench.check()
    return Measurement(summary: summary, rowThreads: bench.rowThreads, listThreads: bench.listThreads)
}

func fixed(_ x: Double, _ digits: Int) -> String {
    // Plain decimal formatting without Foundation.
    let scale = Double([1, 10, 100, 1000, 10000][digits])
    let rounded = (x * scale).rounded() / scale
    var text = String(rounded)
    if text.contains("e") { return text }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let decimals = parts.count > 1 ? String(parts[1]) : ""
    text = String(parts[0]) + (digits > 0 ? "." + decimals.padding(to: digits) : "")
    return text
}

extension String {
    func padding(to length: Int) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: "0", count: length - count)
    }
}

let clock = options.cpuClock ? "cpu" : "wall"

if options.sweep {
    // ns/item for n = 1e3 … max: rows so that every repeat handles at least 1e6 items; the worst/best ratio of
    // the best-of-repeats ns/item over n ∈ [1e4, max] says how flat the kernel is. The lengths are timed in
    // interleaved rounds (round r times every length once), so that a busy spell on a shared machine falls on
    // all of them alike instead of on whichever length was being timed.
    print(
        "# \(options.op.rawValue), threads \(options.threads), clock \(clock), "
            + "thresholds \(options.thresholds.summary)")
    print("# cache: L2 \(CacheSizes.level2 >> 10) KiB, L3 \(CacheSizes.level3 >> 10) KiB (as reported)")
    var benches: [Bench] = []
    var n = 1000
    while n <= options.sweepMax {
        var run = options
        run.n = n
        run.rows = max(1, 1_000_000 / n)
        let bench = Bench(run)
        for _ in 0..<options.warmup { _ = bench.runOnce() }
        benches.append(bench)
        n *= 10
    }
    var times = [[Double]](repeating: [], count: benches.count)
    for _ in 0..<options.repeats {
        for (k, bench) in benches.enumerated() { times[k].append(bench.runOnce()) }
    }
    print("# \(options.repeats) interleaved rounds")
    print("#          n    rows   best_ns/item  median_ns/item")
    var rows: [(n: Int, best: Double, median: Double)] = []
    for (k, bench) in benches.enumerated() {
        bench.check()
        let summary = Summary(milliseconds: times[k])
        let items = Double(bench.options.n) * Double(bench.options.rows)
        let best = summary.min * 1e6 / items
        let median = summary.median * 1e6 / items
        rows.append((bench.options.n, best, median))
        print(
            pad("\(bench.options.n)", 12) + pad("\(bench.options.rows)", 8) + pad(fixed(best, 2), 15)
                + pad(fixed(median, 2), 16))
    }
    print("peak RSS of the sweep (every length's data at once): \(fixed(Double(peakResidentBytes()) / 1e6, 1)) MB")
    let flat = rows.filter { $0.n >= 10_000 }
    if let worst = flat.map(\.best).max(), let best = flat.map(\.best).min(), best > 0 {
        let worstMedian = flat.map(\.median).max()!
        let bestMedian = flat.map(\.median).min()!
        print(
            "worst/best ns/item over n = 1e4 … \(flat.last!.n): \(fixed(worst / best, 2)) (best of repeats), "
                + "\(fixed(worstMedian / bestMedian, 2)) (medians)")
    }
    exit(0)
}

func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

let result = measure(options)
let summary = result.summary
let threads = options.threads
let items = Double(options.n) * Double(options.rows)
let nsPerItem = summary.median * 1e6 / items
let peakMB = Double(peakResidentBytes()) / 1e6
if options.json {
    print(
        "{\"op\": \"\(options.op.rawValue)\", \"n\": \(options.n), \"rows\": \(options.rows), "
            + "\"threads\": \(threads), \"repeats\": \(options.repeats), \"clock\": \"\(clock)\", "
            + "\"lambda\": \(options.lambda), \"margin\": \(options.margin), "
            + "\"median_ms\": \(fixed(summary.median, 3)), \"min_ms\": \(fixed(summary.min, 3)), "
            + "\"max_ms\": \(fixed(summary.max, 3)), \"ns_per_item\": \(fixed(nsPerItem, 2)), "
            + "\"peak_rss_mb\": \(fixed(peakMB, 1))}")
} else {
    print(
        "\(options.op.rawValue)  n=\(options.n) rows=\(options.rows) threads=\(threads) repeats=\(options.repeats) clock=\(clock)"
            + "  median \(fixed(summary.median, 3)) ms  (min \(fixed(summary.min, 3)), max \(fixed(summary.max, 3)))"
            + "  \(fixed(nsPerItem, 2)) ns/item  peak RSS \(fixed(peakMB, 1)) MB")
}
