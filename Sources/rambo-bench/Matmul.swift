// `--op matmul`: GFLOP/s of Learning.matmul on one shape, as the chapters call it (into a reused output).

import Learning
import Support

/// The seeded operands and reused output of one product shape, and the timing of its repeats.
struct MatmulBench {
    let options: Options
    let a: Matrix
    let b: Matrix
    var c: Matrix
    /// Products per timed repeat: enough for about 2·10⁸ floating-point operations (at most 10⁵ products), so that
    /// a repeat of a small shape is not one clock tick of noise.
    let products: Int
    /// 2·M·K·N, the floating-point operations of one product.
    let flops: Double

    init(_ options: Options) {
        self.options = options
        let (m, k, n) = options.shape
        var rng = SplitMix64(seed: options.seed)
        a =
            options.transposeA
            ? .randomNormal(rows: k, cols: m, using: &rng) : .randomNormal(rows: m, cols: k, using: &rng)
        b =
            options.transposeB
            ? .randomNormal(rows: n, cols: k, using: &rng) : .randomNormal(rows: k, cols: n, using: &rng)
        c = Matrix(rows: m, cols: n)
        flops = 2 * Double(m) * Double(k) * Double(n)
        products = max(1, min(100_000, Int(2e8 / max(1, flops, 2 * Double(m) * Double(n)))))
    }

    /// One repeat: `products` products back to back; the time of one product in milliseconds.
    mutating func runOnce() -> Double {
        let now = options.cpuClock ? ProcessClock.processCPUNanoseconds : ProcessClock.monotonicNanoseconds
        let start = now()
        for _ in 0..<products {
            matmul(
                a, b, transposeA: options.transposeA, transposeB: options.transposeB, into: &c,
                threads: options.threads, kernel: options.kernel)
        }
        return Double(now() - start) / 1e6 / Double(products)
    }
}

/// Times `options.shape` and prints one line (or one JSON object), then exits.
func runMatmul(_ options: Options) -> Never {
    var bench = MatmulBench(options)
    for _ in 0..<options.warmup { _ = bench.runOnce() }
    let summary = Summary(milliseconds: (0..<options.repeats).map { _ in bench.runOnce() })
    if !bench.c.storage.allSatisfy(\.isFinite) { fail("the product is not finite", code: 1) }
    let (m, k, n) = options.shape
    let best = bench.flops / (summary.min * 1e6)
    let median = bench.flops / (summary.median * 1e6)
    let clock = options.cpuClock ? "cpu" : "wall"
    let peakMB = Double(peakResidentBytes()) / 1e6
    if options.json {
        print(
            "{\"op\": \"matmul\", \"shape\": \"\(m)x\(k)x\(n)\", \"m\": \(m), \"k\": \(k), \"n\": \(n), "
                + "\"transpose_a\": \(options.transposeA), \"transpose_b\": \(options.transposeB), "
                + "\"kernel\": \"\(options.kernel.rawValue)\", \"threads\": \(options.threads), "
                + "\"repeats\": \(options.repeats), \"products_per_repeat\": \(bench.products), "
                + "\"clock\": \"\(clock)\", \"median_ms\": \(fixed(summary.median, 4)), "
                + "\"min_ms\": \(fixed(summary.min, 4)), \"max_ms\": \(fixed(summary.max, 4)), "
                + "\"gflops\": \(fixed(best, 2)), \"gflops_median\": \(fixed(median, 2)), "
                + "\"peak_rss_mb\": \(fixed(peakMB, 1))}")
    } else {
        print(
            "matmul  \(m)x\(k)x\(n)\(options.transposeA ? " Aᵀ" : "")\(options.transposeB ? " Bᵀ" : "") "
                + "kernel=\(options.kernel.rawValue) threads=\(options.threads) repeats=\(options.repeats) "
                + "clock=\(clock)  \(fixed(best, 1)) GFLOP/s best, \(fixed(median, 1)) median  "
                + "(\(fixed(summary.min, 4)) ms per product)")
    }
    Output.exit(0)
}
