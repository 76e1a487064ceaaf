// rambo-bench: times forward + backward of the ranking kernels and losses at a given list length.
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
// exit 2. With --sweep: a table of ns/item for n = 1e3, 1e4, … up to --max (default 1e8) and the worst/best
// ratio over n ≥ 1e4.

import Dispatch
import Rambo
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

/// One measurement: the timings of `options.repeats` runs after the warm-up, for `options.n` items per row.
struct Measurement {
    let summary: Summary
    let rowThreads: Int
    let listThreads: Int
}

/// Builds the data and the kernels of `options` and times them; everything is freed on return.
func measure(_ options: Options) -> Measurement {
    let data = BenchData(
        n: options.n, rows: options.rows, seed: options.seed,
        withUpstream: options.op == .rankBackward)
    // Threads share out rows; with fewer rows than threads, each row's list is shared between threads.
    let rowThreads = min(options.threads, options.rows)
    let listThreads = max(1, options.threads / rowThreads)

    final class Box: @unchecked Sendable {  // each thread touches only its own slot
        var kernels: [any BenchKernel]
        var sinks: [Double]
        init(options: Options, data: BenchData, count: Int, listThreads: Int) {
            kernels = (0..<count).map { t in
                makeKernel(
                    options, data: data,
                    rows: (t * options.rows / count)..<((t + 1) * options.rows / count),
                    listThreads: listThreads)
            }
            sinks = [Double](repeating: 0, count: count)
        }
    }
    let box = Box(options: options, data: data, count: rowThreads, listThreads: listThreads)

    func runOnce() -> Double {
        let now = options.cpuClock ? ProcessClock.processCPUNanoseconds : ProcessClock.monotonicNanoseconds
        let start = now()
        if rowThreads == 1 {
            box.sinks[0] += box.kernels[0].run()
        } else {
            box.kernels.withUnsafeMutableBufferPointer { kernels in
                box.sinks.withUnsafeMutableBufferPointer { sinks in
                    nonisolated(unsafe) let k = kernels
                    nonisolated(unsafe) let s = sinks
                    DispatchQueue.concurrentPerform(iterations: rowThreads) { t in s[t] += k[t].run() }
                }
            }
        }
        return Double(now() - start) / 1e6
    }

    for _ in 0..<options.warmup { _ = runOnce() }
    let summary = Summary(milliseconds: (0..<options.repeats).map { _ in runOnce() })
    if box.sinks.contains(where: \.isNaN) { fail("a kernel produced NaN", code: 1) }
    return Measurement(summary: summary, rowThreads: rowThreads, listThreads: listThreads)
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
    // the best-of-repeats ns/item over n ∈ [1e4, max] says how flat the kernel is.
    print(
        "# \(options.op.rawValue), threads \(options.threads), clock \(clock), "
            + "thresholds \(options.thresholds.summary)")
    print("# cache: L2 \(CacheSizes.level2 >> 10) KiB, L3 \(CacheSizes.level3 >> 10) KiB (as reported)")
    print("#          n    rows  repeats   best_ns/item  median_ns/item  peak_RSS_MB")
    var bests: [(n: Int, best: Double, median: Double)] = []
    var n = 1000
    while n <= options.sweepMax {
        var run = options
        run.n = n
        run.rows = max(1, 1_000_000 / n)
        run.repeats = n >= 100_000_000 ? max(5, options.repeats / 2) : options.repeats
        let result = measure(run)
        let items = Double(n) * Double(run.rows)
        let best = result.summary.min * 1e6 / items
        let median = result.summary.median * 1e6 / items
        bests.append((n, best, median))
        print(
            pad("\(n)", 12) + pad("\(run.rows)", 8) + pad("\(run.repeats)", 9) + pad(fixed(best, 2), 15)
                + pad(fixed(median, 2), 16) + pad(fixed(Double(peakResidentBytes()) / 1e6, 1), 13))
        n *= 10
    }
    let flat = bests.filter { $0.n >= 10_000 }
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
