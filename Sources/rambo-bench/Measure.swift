// A monotonic clock and the process's peak resident memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Nanoseconds on the monotonic clock (never jumps with wall-clock changes).
func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// Nanoseconds of CPU time used by this process (all threads): less sensitive than the wall clock to other
/// programs competing for the cores, though not to their use of the caches.
func processCPUNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// The peak resident set size of this process so far, in bytes (getrusage's ru_maxrss).
func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    #if os(Linux)
    return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
    return Int(usage.ru_maxrss)  // bytes on macOS
    #endif
}

/// Median, minimum and maximum of some timings in milliseconds.
struct Summary {
    let median: Double, min: Double, max: Double

    init(milliseconds: [Double]) {
        let sorted = milliseconds.sorted()
        let count = sorted.count
        median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
        min = sorted.first!
        max = sorted.last!
    }
}
