// Command-line options of rambo-bench. Every bad flag or value is one clear line on stderr and exit code 2.

import Learning
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
    case matmul
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
    /// --op matmul: op(A) is M × K, op(B) is K × N (`--shape MxKxN`).
    var shape = (m: 0, k: 0, n: 0)
    /// --op matmul: the product kernel (default: the widest this machine runs).
    var kernel = ProductKernel.best
    /// --op matmul: multiply by Aᵀ (A stored K × M) or Bᵀ (B stored N × K).
    var transposeA = false
    var transposeB = false

    static let usage = """
        usage: rambo-bench --op OP (--n N | --sweep [--max N]) [--rows Q] [--repeats R] [--warmup W] [--threads T]
                           [--seed S]
                           [--lambda L] [--margin A] [--clock wall|cpu] [--threshold NAME=V]... [--json]
               rambo-bench --op matmul --shape MxKxN [--kernel K] [--transpose-a] [--transpose-b] [--repeats R]
                           [--warmup W] [--threads T] [--seed S] [--clock wall|cpu] [--json]
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
          matmul: Learning.matmul of a seeded M × K by K × N product (entries ~ N(0, 1)) into a reused output;
              reports GFLOP/s = 2·M·K·N / time (best and median of R); T threads split rows or columns, never K
          K:  the product kernel: \(ProductKernel.allCases.map(\.rawValue).joined(separator: " | ")) (default: the widest
              this machine runs, here \(ProductKernel.best.rawValue))
          --transpose-a, --transpose-b  multiply by Aᵀ (A stored K × M) or Bᵀ (B stored N × K)
          --json  print one JSON object and nothing else
        """

    /// Parses `arguments` (without the program name), or returns the one-line reason it cannot.
    static func parse(_ arguments: [String]) -> Result<Options, UsageError> {
        var options = Options()
        var seen = Set<String>()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--help" || flag == "-h" { return .failure(UsageError(message: "help")) }
            if options.applySwitch(flag) { continue }
            guard let value = rest.popFirst() else { return .failure(UsageError(message: "\(flag) needs a value")) }
            seen.insert(flag)
            var outcome = options.applyRunFlag(flag, value)
            if case .notThisGroup = outcome { outcome = options.applyLossFlag(flag, value) }
            if case .notThisGroup = outcome { outcome = options.applyMatmulFlag(flag, value) }
            switch outcome {
            case .applied: continue
            case .notThisGroup: return .failure(UsageError(message: "unknown flag '\(flag)'"))
            case .invalid(let message): return .failure(UsageError(message: message))
            }
        }
        if let error = options.validate(seen: seen) { return .failure(error) }
        return .success(options)
    }

    /// Sets a flag without a value (--json, --sweep, --transpose-a, --transpose-b); false if `flag` is not one.
    mutating func applySwitch(_ flag: String) -> Bool {
        switch flag {
        case "--json": json = true
        case "--sweep": sweep = true
        case "--transpose-a": transposeA = true
        case "--transpose-b": transposeB = true
        default: return false
        }
        return true
    }

    /// The flags of every op: what to run, how often, on how many threads, with which clock and seed.
    mutating func applyRunFlag(_ flag: String, _ value: String) -> FlagOutcome {
        switch flag {
        case "--op":
            guard let parsed = Operation(rawValue: value) else {
                let names = Operation.allCases.map(\.rawValue).joined(separator: ", ")
                return .invalid("unknown op '\(value)'; expected one of \(names)")
            }
            op = parsed
        case "--n":
            guard let v = Self.count(value), v >= 1, v <= Int(UInt32.max) else {
                return .invalid("--n '\(value)' must be an integer in 1...4294967295")
            }
            n = v
        case "--rows": return Self.setCount(&rows, flag, value, 1...Int.max)
        case "--repeats": return Self.setCount(&repeats, flag, value, 1...1_000_000)
        case "--warmup": return Self.setCount(&warmup, flag, value, 0...1_000_000)
        case "--threads": return Self.setCount(&threads, flag, value, 1...1024)
        case "--max": return Self.setCount(&sweepMax, flag, value, 1000...Int(UInt32.max))
        case "--clock":
            guard value == "wall" || value == "cpu" else { return .invalid("--clock '\(value)' must be wall or cpu") }
            cpuClock = value == "cpu"
        case "--seed":
            guard let s = UInt64(value) else {
                return .invalid("--seed '\(value)' must be an unsigned 64-bit integer")
            }
            seed = s
        default: return .notThisGroup
        }
        return .applied
    }

    /// Sets `target` to `value` if it is a count in `range`, else returns the usage error.
    static func setCount(_ target: inout Int, _ flag: String, _ value: String, _ range: ClosedRange<Int>) -> FlagOutcome
    {
        guard let v = count(value), range.contains(v) else {
            let bounds =
                range.upperBound == Int.max ? "≥ \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            return .invalid("\(flag) '\(value)' must be an integer \(bounds)")
        }
        target = v
        return .applied
    }

    /// The flags of the losses and the ranking kernel: λ, the margin and the radix kernel's thresholds.
    mutating func applyLossFlag(_ flag: String, _ value: String) -> FlagOutcome {
        switch flag {
        case "--lambda":
            guard let l = Double(value), l.isFinite, l > 0 else {
                return .invalid("--lambda '\(value)' must be a finite number > 0")
            }
            lambda = l
        case "--margin":
            guard let a = Double(value), a.isFinite, a >= 0 else {
                return .invalid("--margin '\(value)' must be a finite number ≥ 0")
            }
            margin = a
        case "--threshold": return applyThreshold(value)
        default: return .notThisGroup
        }
        return .applied
    }

    /// `--threshold NAME=V`: one path threshold of the radix kernel.
    mutating func applyThreshold(_ value: String) -> FlagOutcome {
        let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let v = Self.count(parts[1]), v <= Int(UInt32.max) else {
            return .invalid("--threshold '\(value)' must be NAME=V with V an integer ≥ 0")
        }
        switch parts[0] {
        case "insertion": thresholds.insertionSize = v
        case "leaf": thresholds.leafSize = v
        case "lsd": thresholds.lsdSize = v
        case "wide": thresholds.wideSplitSize = v
        case "window": thresholds.windowThreshold = v
        case "window-bits" where v <= 32: thresholds.windowBits = v
        case "largest-window-bits" where v <= 32: thresholds.largestWindowBits = v
        default:
            return .invalid(
                "--threshold '\(value)': unknown name or value out of range; "
                    + "names: insertion, leaf, lsd, wide, window, window-bits, largest-window-bits (≤ 32)")
        }
        return .applied
    }

    /// The flags of `--op matmul`: `--shape MxKxN` and `--kernel NAME`.
    mutating func applyMatmulFlag(_ flag: String, _ value: String) -> FlagOutcome {
        switch flag {
        case "--shape":
            let parts = value.split(separator: "x", omittingEmptySubsequences: false).map { Self.count(String($0)) }
            guard parts.count == 3, let m = parts[0], let k = parts[1], let n = parts[2], m >= 1, n >= 1,
                max(m, k, n) <= 1 << 20, m * k + k * n + m * n <= 1 << 28
            else {
                return .invalid(
                    "--shape '\(value)' must be MxKxN: integers M, N ≥ 1, K ≥ 0, each ≤ 1048576, "
                        + "at most 2^28 entries in all")
            }
            shape = (m, k, n)
        case "--kernel":
            guard let parsed = ProductKernel(rawValue: value) else {
                let names = ProductKernel.allCases.map(\.rawValue).joined(separator: ", ")
                return .invalid("unknown kernel '\(value)'; expected one of \(names)")
            }
            guard parsed.isSupported else {
                let names = ProductKernel.supported.map(\.rawValue).joined(separator: ", ")
                return .invalid("kernel '\(value)' does not run on this machine; it runs \(names)")
            }
            kernel = parsed
        default: return .notThisGroup
        }
        return .applied
    }

    /// The checks that need every flag: the flags each op needs, the ones it cannot take, the total size.
    func validate(seen: Set<String>) -> UsageError? {
        guard seen.contains("--op") else { return UsageError(message: "missing --op") }
        if op == .matmul {
            guard seen.contains("--shape") else { return UsageError(message: "--op matmul needs --shape MxKxN") }
            let foreign = seen.intersection(["--n", "--rows", "--lambda", "--margin", "--threshold", "--max"])
            if sweep || !foreign.isEmpty {
                let names = (foreign.sorted() + (sweep ? ["--sweep"] : [])).joined(separator: ", ")
                return UsageError(message: "--op matmul does not take \(names)")
            }
            return nil
        }
        if seen.contains("--shape") || seen.contains("--kernel") || transposeA || transposeB {
            return UsageError(message: "--shape, --kernel and --transpose-a/-b go with --op matmul only")
        }
        guard seen.contains("--n") || sweep else { return UsageError(message: "missing --n") }
        if sweep && json { return UsageError(message: "--sweep prints a table; it does not combine with --json") }
        let (total, overflow) = n.multipliedReportingOverflow(by: rows)
        guard !overflow, total <= 1 << 36 else {
            return UsageError(message: "--n × --rows = \(n) × \(rows) is too large")
        }
        return nil
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

/// What one group of flags made of a flag and its value.
enum FlagOutcome {
    case applied
    /// The flag belongs to another group (or to none).
    case notThisGroup
    /// The flag is this group's but its value is bad: the one-line reason.
    case invalid(String)
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
