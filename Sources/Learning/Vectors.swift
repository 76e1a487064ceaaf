// Small vector helpers the chapters share when they walk a loss along a direction.

import Rambo

/// One step from w along d: w + a·d, element by element. O(n). `w` and `d` have the same length.
public func step(_ w: [Double], _ a: Double, _ d: [Double]) -> [Double] {
    precondition(w.count == d.count, "step: w has \(w.count) entries, d \(d.count)")
    return zip(w, d).map { $0 + a * $1 }
}

/// The descending 1-based ranks of `y` (Rambo's `rank`), as Doubles, for losses written on rank vectors.
/// O(n) (one radix ranking).
public func ranksOf(_ y: [Double]) -> [Double] { rank(y).map(Double.init) }
