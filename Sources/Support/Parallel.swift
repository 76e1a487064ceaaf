// Independent jobs on both cores, with results that do not depend on the thread count.
import Foundation

/// Runs `jobs` on up to `threads` worker threads, each job on one thread, and returns their results in job order.
/// Jobs must be independent (their own models, optimisers and generators; shared inputs read only), so every
/// result is the same whatever `threads` is, and the same as running the jobs one after the other.
public func runIndependently<T>(_ jobs: [@Sendable () -> T], threads: Int = 2) -> [T] {
    let slots = JobSlots<T>(jobs.count)
    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, jobs.count))) { _ in
        while true {
            slots.lock.lock()
            let j = slots.next
            slots.next += 1
            slots.lock.unlock()
            guard j < jobs.count else { return }
            let result = jobs[j]()
            slots.lock.lock()
            slots.results[j] = result
            slots.lock.unlock()
        }
    }
    return slots.results.map { $0! }
}

/// The shared state of `runIndependently`: the next job to take and the results, behind one lock.
private final class JobSlots<T>: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var results: [T?]
    init(_ count: Int) { results = Array(repeating: nil, count: count) }
}
