import Foundation
import Support

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to standard error unbuffered (best effort: a lost progress line is not an error).
private func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        #if canImport(Glibc)
        _ = Glibc.write(2, bytes.baseAddress, bytes.count)
        #else
        _ = Darwin.write(2, bytes.baseAddress, bytes.count)
        #endif
    }
}

/// The progress of a cell that trains, on one line of standard error, only when standard error is a terminal:
///
///     let progress = chapter.progress("training 3 methods × 5 seeds", total: 15, unit: "runs")
///     runIndependently(jobs) { job in train(job); progress.tick() }
///     progress.finish()
///
/// draws `  training 3 methods × 5 seeds  7/15 runs  47 %  12 s elapsed, about 14 s left`, redrawn at most five
/// times a second and cleared by `finish()` (or when the chapter prints its next line, which then stands alone).
/// Nothing is written when standard error is a file or a pipe, so logs, `course` and the tests never see it.
/// Thread-safe: training threads may `tick` at once. The time left is the elapsed time scaled by the work left,
/// so it assumes the remaining units cost what the finished ones did.
public final class Progress: @unchecked Sendable {
    public let label: String
    public let total: Int
    public let unit: String
    private let line: ProgressLine
    private let clock: @Sendable () -> UInt64
    private let started: UInt64
    private var done = 0
    private var lastDrawn: UInt64?
    private var finished = false
    private let lock = NSLock()

    /// The smallest time between two redraws, in nanoseconds.
    static let redrawInterval: UInt64 = 200_000_000

    init(
        label: String, total: Int, unit: String, line: ProgressLine = .shared,
        clock: @escaping @Sendable () -> UInt64 = { ProcessClock.monotonicNanoseconds() }
    ) {
        self.label = label
        self.total = max(0, total)
        self.unit = unit
        self.line = line
        self.clock = clock
        started = clock()
    }

    /// How many units are done.
    public var completed: Int {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    /// Counts `count` more units done and redraws the line if the last draw is old enough (or the work is done).
    public func tick(_ count: Int = 1) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished, line.isTerminal else {
            done += count
            return
        }
        done += count
        let now = clock()
        if let last = lastDrawn, now - last < Self.redrawInterval, done < total { return }
        lastDrawn = now
        line.draw(
            Self.text(label: label, done: done, total: total, unit: unit, elapsed: Double(now - started) / 1e9))
    }

    /// Clears the line; later ticks draw nothing.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        line.clear()
    }

    /// The line for `done` of `total` units after `elapsed` seconds:
    /// `"  label  7/15 runs  47 %  12 s elapsed, about 14 s left"` (no estimate before the first unit is done).
    public static func text(label: String, done: Int, total: Int, unit: String, elapsed: Double) -> String {
        let shown = min(done, total)
        let percent = total > 0 ? Int((100 * Double(shown) / Double(total)).rounded(.down)) : 100
        var text = "  \(label)  \(shown)/\(total) \(unit)  \(percent) %  \(duration(elapsed)) elapsed"
        if shown > 0 && shown < total {
            text += ", about \(duration(elapsed * Double(total - shown) / Double(shown))) left"
        }
        return text
    }

    /// Seconds as `"12 s"`, `"3 min 05 s"` or `"1 h 02 min"`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min " + String(format: "%02d s", s % 60) }
        return "\(s / 3600) h " + String(format: "%02d min", (s % 3600) / 60)
    }
}

/// The process's one progress line on standard error. `draw` replaces the line shown (carriage return, text,
/// erase to the end of the line); `clear` erases it, so that the next line printed starts on a clean line. Both do
/// nothing unless standard error is a terminal. Thread-safe.
final class ProgressLine: @unchecked Sendable {
    static let shared = ProgressLine(isTerminal: isatty(2) == 1, write: writeStandardError)

    let isTerminal: Bool
    private let write: @Sendable (String) -> Void
    private var shown = false
    private let lock = NSLock()
    /// The widest line drawn, so that a long label never wraps (a wrapped line cannot be redrawn in place).
    static let width = 100

    init(isTerminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    func draw(_ text: String) {
        guard isTerminal else { return }
        lock.lock()
        defer { lock.unlock() }
        write("\r" + String(text.prefix(Self.width)) + "\u{1B}[K")
        shown = true
    }

    func clear() {
        guard isTerminal else { return }
        lock.lock()
        defer { lock.unlock() }
        guard shown else { return }
        write("\r\u{1B}[K")
        shown = false
    }
}

extension Chapter {
    /// A progress line for a cell that trains (see `Progress`): call `tick()` per unit done and `finish()` after
    /// the last. Shown on standard error only when it is a terminal.
    ///
    /// - Parameters:
    ///   - label: what is running, e.g. "training 4 settings × 3 seeds".
    ///   - total: how many units the work has (runs, epochs or steps).
    ///   - unit: the units' name in the plural ("runs", "epochs", "steps").
    public func progress(_ label: String, total: Int, unit: String = "steps") -> Progress {
        Progress(label: label, total: total, unit: unit)
    }
}
