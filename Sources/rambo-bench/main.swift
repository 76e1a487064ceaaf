// rambo-bench: times forward + backward of the ranking kernels and losses at a given list length.
//
//     rambo-bench --op OP --n N [--rows Q] [--repeats R] [--warmup W] [--threads T] [--seed S]
//                 [--lambda L] [--margin A] [--clock wall|cpu] [--json]
//
// Prints one line: readable by default, or with --json exactly one JSON object
//     {"op", "n", "rows", "threads", "repeats", "clock", "lambda", "margin", "median_ms", "min_ms", "max_ms",
//      "ns_per_item", "peak_rss_mb"}
// and nothing else. Timings use the monotonic clock (or process CPU time with --clock cpu); each repeat times
// all rows (forward + backward), after W untimed warm-up repeats that also allocate every scratch buffer.
// peak_rss_mb is the process's peak resident memory, inputs included. Bad flags or values: one line on stderr,
// exit 2.

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

let data = BenchData(n: options.n, rows: options.rows, seed: options.seed,
                     withUpstream: options.op == .rank_backward)

/// One kernel per thread; thread t takes a contiguous block of rows.
let threads = min(options.threads, options.rows)
final class Box: @unchecked Sendable {  // each thread touches only its own slot
    var kernels: [any BenchKernel]
    var sinks: [Double]
    init(count: Int) {
        kernels = (0..<count).map { t in
            makeKernel(options, data: data, rows: (t * options.rows / count)..<((t + 1) * options.rows / count))
        }
        sinks = [Double](repeating: 0, count: count)
    }
}
let box = Box(count: threads)

func runOnce() -> Double {
    let now = options.cpuClock ? processCPUNanoseconds : monotonicNanoseconds
    let start = now()
    if threads == 1 {
        box.sinks[0] += box.kernels[0].run()
    } else {
        box.kernels.withUnsafeMutableBufferPointer { kernels in
            box.sinks.withUnsafeMutableBufferPointer { sinks in
                let k = kernels, s = sinks
                DispatchQueue.concurrentPerform(iterations: threads) { t in s[t] += k[t].run() }
            }
        }
    }
    return Double(now() - start) / 1e6
}

for _ in 0..<options.warmup { _ = runOnce() }
let summary = Summary(milliseconds: (0..<options.repeats).map { _ in runOnce() })
let items = Double(options.n) * Double(options.rows)
let nsPerItem = summary.median * 1e6 / items
let peakMB = Double(peakResidentBytes()) / 1e6
if box.sinks.contains(where: \.isNaN) { fail("a kernel produced NaN", code: 1) }

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
if options.json {
    print("{\"op\": \"\(options.op.rawValue)\", \"n\": \(options.n), \"rows\": \(options.rows), "
        + "\"threads\": \(threads), \"repeats\": \(options.repeats), \"clock\": \"\(clock)\", "
        + "\"lambda\": \(options.lambda), \"margin\": \(options.margin), "
        + "\"median_ms\": \(fixed(summary.median, 3)), \"min_ms\": \(fixed(summary.min, 3)), "
        + "\"max_ms\": \(fixed(summary.max, 3)), \"ns_per_item\": \(fixed(nsPerItem, 2)), "
        + "\"peak_rss_mb\": \(fixed(peakMB, 1))}")
} else {
    print("\(options.op.rawValue)  n=\(options.n) rows=\(options.rows) threads=\(threads) repeats=\(options.repeats) clock=\(clock)"
        + "  median \(fixed(summary.median, 3)) ms  (min \(fixed(summary.min, 3)), max \(fixed(summary.max, 3)))"
        + "  \(fixed(nsPerItem, 2)) ns/item  peak RSS \(fixed(peakMB, 1)) MB")
}
