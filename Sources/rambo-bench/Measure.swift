// The process's peak resident memory and the summary of a run's timings (the clocks are Support's `ProcessClock`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
