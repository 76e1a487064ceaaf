// Clocks for timings: the process's CPU time (steadier than the wall clock when other programs share the
// cores, though not immune to their use of the caches) and a monotonic wall clock.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readings of the process's clocks, in nanoseconds since an unspecified origin: only differences mean something.
public enum ProcessClock {
    /// CPU time used by this process so far, all threads (CLOCK_PROCESS_CPUTIME_ID).
    public static func processCPUNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// The monotonic clock (never jumps with wall-clock changes).
    public static func monotonicNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// CPU time used by this process so far, in milliseconds.
    public static func processCPUMilliseconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }
}

/// Runs `body` once and returns its result with the CPU milliseconds it took.
public func measureCPUMilliseconds<T>(_ body: () throws -> T) rethrows -> (result: T, milliseconds: Double) {
    let start = ProcessClock.processCPUMilliseconds()
    let result = try body()
    return (result, ProcessClock.processCPUMilliseconds() - start)
}
