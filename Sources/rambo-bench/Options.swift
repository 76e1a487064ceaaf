// Command-line options of rambo-bench. Every bad flag or value is one clear line on stderr and exit code 2.

import RankKernel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operations rambo-bench can time.
enum Operation: String, CaseIterable {
    case rank
    case rankBackward = "rank_backward"
    case recallLoss = "recall_loss"
    case apLoss = "ap_loss"
    case mapLoss = "map_loss"
}

struct Options {
    var op: Operation = .rank
    var n = 0
    var rows = 1
    var repeats = 5
    var warmup = 1
    var threads = 1
    var seed: UInt64 = 1
    var json = false
    /// Which clock times the repeats: the monotonic wall clock (default) or the process's CPU time.
    var cpuClock = false
    /// λ of the blackbox backward (rank_backward and the losses), paper units.
    var lambda = 1.0
    /// α, the score margin of the losses.
    var margin = 0.0
    /// The radix kernel's path thresholds (defaults unless set with --threshold).
    var thresholds = RankingThresholds()
    /// --sweep: time n = 1e3, 1e4, … up to `sweepMax` instead of one n.
    var sweep = false
    var sweepMax = 100_000_000

    static let usage = """
        usage: rambo-bench --op OP (--n N | --sweep [--max N]) [--rows Q] [--repeats R] [--warmup W] [--threads T]
                           [--seed S]
                           [--lambda L] [--margin A] [--clock wall|cpu] [--threshold NAME=V]... [--json]
          OP: \(Operation.allCases.map(\.rawValue).joined(separator: " | "))
              rank, rank_backward, ap_loss: each of the Q rows is one list of N scores (ap_loss: Rambo.APLoss
              forward + backward on one list); recall_loss: Rambo.RecallLoss on the Q × N matrix (Q queries);
              map_loss: Rambo.MAPLoss on a batch of N items × Q classes (each class ranks N items)
          N:  list length, an integer or 1e6-style (1 ≤ N ≤ 4294967295); scores ~ N(0, 1), 10% positives
          R:  timed repetitions (default 5), after W untimed warm-up runs (default 1)
          T:  threads (default 1); rows are split between threads, and with fewer rows than threads one list
              is split between threads (RankingWorkspace.threadCount)
          L:  λ of the blackbox backward, paper units (default 1); A: the losses' margin α (default 0)
          --clock cpu  time with process CPU time instead of the monotonic wall clock (steadier on a busy machine;
                       with T > 1 it adds up the threads)
          --threshold NAME=V  set a path threshold of the radix kernel (items; the results do not change):
                       insertion, leaf, lsd, wide, window, window-bits, largest-window-bits
                       (defaults: \(RankingThresholds().summary))
          --sweep  ns/item for n = 1e3, 1e4, … up to --max (default 1e8; rows so that each repeat has ≥ 1e6 items),
                   timed in R interleaved rounds (each round times every n once), and the worst/best ratio over
                   n ≥ 1e4
          --json  print one JSON object and nothing else
        """

    /// Parses `arguments` (without the program name), or returns the one-line reason it cannot.
    static func parse(_ arguments: [String]) -> Result<Options, UsageError> {
        var options = Options()
        var sawOp = false
        var sawN = false
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--json" {
                options.json = true
                continue
            }
            if flag == "--sweep" {
                options.sweep = true
                continue
            }
            if flag == "--help" || flag == "-h" { return .failure(UsageError(message: "help")) }
            guard let value = rest.popFirst() else {
                return .failure(UsageError(message: "\(flag) needs a value"))
            }
            switch flag {
            case "--op":
                guard let op = Operation(rawValue: value) else {
                    return .failure(
                        UsageError(
                            message: "unknown op '\(value)'; expected one of "
                                + Operation.allCases.map(\.rawValue).joined(separator: ", ")))
                }
                options.op = op
                sawOp = true
            case "--n":
                guard let n = count(value), n >= 1, n <= Int(UInt32.max) else {
                    return .failure(UsageError(message: "--n '\(value)' must be an integer in 1...4294967295"))
                }
                options.n = n
                sawN = true
            case "--rows":
                guard let q = count(value), q >= 1 else {
                    return .failure(UsageError(message: "--rows '\(value)' must be an integer ≥ 1"))
                }
                options.rows = q
            case "--repeats":
                guard let r = count(value), r >= 1, r <= 1_000_000 else {
                    return .failure(UsageError(message: "--repeats '\(value)' must be an integer in 1...1000000"))
                }
                options.repeats = r
            case "--warmup":
                guard let w = count(value), w <= 1_000_000 else {
                    return .failure(UsageError(message: "--warmup '\(value)' must be an integer in 0...1000000"))
                }
                options.warmup = w
            case "--threads":
                guard let t = count(value), t >= 1, t <= 1024 else {
                    return .failure(UsageError(message: "--threads '\(value)' must be an integer in 1...1024"))
                }
                options.threads = t
            case "--clock":
                guard value == "wall" || value == "cpu" else {
                    return .failure(UsageError(message: "--clock '\(value)' must be wall or cpu"))
                }
                options.cpuClock = value == "cpu"
            case "--lambda":
                guard let l = Double(value), l.isFinite, l > 0 else {
                    return .failure(UsageError(message: "--lambda '\(value)' must be a finite number > 0"))
                }
                options.lambda = l
            case "--margin":
                guard let a = Double(value), a.isFinite, a >= 0 else {
                    return .failure(UsageError(message: "--margin '\(value)' must be a finite number ≥ 0"))
                }
                options.margin = a
            case "--threshold":
                let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let v = count(parts[1]), v <= Int(UInt32.max) else {
                    return .failure(
                        UsageError(
                            message: "--threshold '\(value)' must be NAME=V with V an integer ≥ 0"))
                }
                switch parts[0] {
                case "insertion": options.thresholds.insertionSize = v
                case "leaf": options.thresholds.leafSize = v
                case "lsd": options.thresholds.lsdSize = v
                case "wide": options.thresholds.wideSplitSize = v
                case "window": options.thresholds.windowThreshold = v
                case "window-bits" where v <= 32: options.thresholds.windowBits = v
                case "largest-window-bits" where v <= 32: options.thresholds.largestWindowBits = v
                default:
                    return .failure(
                        UsageError(
                            message: "--threshold '\(value)': unknown name or value out of range; "
                                + "names: insertion, leaf, lsd, wide, window, window-bits, largest-window-bits (≤ 32)"))
                }
            case "--max":
                guard let m = count(value), m >= 1000, m <= Int(UInt32.max) else {
                    return .failure(UsageError(message: "--max '\(value)' must be an integer in 1000...4294967295"))
                }
                options.sweepMax = m
            case "--seed":
                guard let s = UInt64(value) else {
                    return .failure(UsageError(message: "--seed '\(value)' must be an unsigned 64-bit integer"))
                }
                options.seed = s
            default:
                return .failure(UsageError(message: "unknown flag '\(flag)'"))
            }
        }
        guard sawOp else { return .failure(UsageError(message: "missing --op")) }
        guard sawN || options.sweep else { return .failure(UsageError(message: "missing --n")) }
        if options.sweep && options.json {
            return .failure(UsageError(message: "--sweep prints a table; it does not combine with --json"))
        }
        let (total, overflow) = options.n.multipliedReportingOverflow(by: options.rows)
        guard !overflow, total <= 1 << 36 else {
            return .failure(UsageError(message: "--n × --rows = \(options.n) × \(options.rows) is too large"))
        }
        return .success(options)
    }

    /// A non-negative integer written as digits (`1000000`, `1_000_000`) or in `1e6` / `2.5e5` form.
    static func count(_ text: String) -> Int? {
        let plain = text.replacingUnderscores()
        if let value = Int(plain) { return value >= 0 ? value : nil }
        guard plain.contains(where: { $0 == "e" || $0 == "E" }), let value = Double(plain), value.isFinite,
            value >= 0, value <= 0x1p62, value == value.rounded()
        else { return nil }
        return Int(value)
    }
}

struct UsageError: Error {
    let message: String
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
