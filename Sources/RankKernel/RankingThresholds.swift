// Where the radix kernel changes path, and which paths a workspace has taken.
//
// Every path sorts exactly (the result is the same stable order, bit for bit); the thresholds only decide how
// fast. They are parameters so that tests can drive every path on short lists: a test sets, say,
// `leafSize = 64` and a list of a few thousand items goes through the MSD recursion that, with the defaults,
// only lists of millions reach.

/// The sizes at which the radix kernel changes path (counts of items). Any positive values give the same
/// results; the defaults (`RankingThresholds()`) are chosen for speed.
public struct RankingThresholds: Sendable, Equatable {
    /// Buckets of at most this many items are sorted by insertion instead of radix passes.
    public var insertionSize = 48

    /// Buckets of at most this many items are sorted by LSD passes in cache; bigger ones are split by their
    /// next most significant varying byte first (the MSD recursion).
    public var leafSize = 1 << 16

    /// Lists of at most this many items are sorted by one LSD sort of the whole list; longer lists are first
    /// split by their top varying byte (one pass over the source), then each bucket goes to the MSD recursion.
    public var lsdSize = 1 << 20

    /// From this many items on, writes `out[index]` in sorted order go through index windows (`IndexWindows`).
    public var windowThreshold = 1 << 21

    /// Index windows hold at least 2^`windowBits` items (at most 256 windows).
    public var windowBits = 17

    /// The default thresholds.
    public init() {}

    /// Thresholds that send even short lists down every path: insertion below 4 items, leaves of at most 64,
    /// the split by top bytes above 256 items, index windows of 16 items from 2 items on. For tests.
    public static let tiny: RankingThresholds = {
        var t = RankingThresholds()
        t.insertionSize = 4
        t.leafSize = 64
        t.lsdSize = 256
        t.windowThreshold = 2
        t.windowBits = 4
        return t
    }()
}

/// The paths of the radix kernel, for `RankingWorkspace.pathCount(_:)`.
public enum RankingPath: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// A bucket sorted by insertion (at most `insertionSize` items).
    case insertion
    /// A bucket sorted by LSD passes on its varying bytes (a leaf of the MSD recursion).
    case leafLSD
    /// A whole list sorted by one LSD sort (at most `lsdSize` items).
    case wholeListLSD
    /// A list split by its top varying byte (more than `lsdSize` items).
    case topByteSplit
    /// A bucket split by its next varying byte (more than `leafSize` items).
    case msdSplit
    /// Index-ordered writes through index windows (at least `windowThreshold` items).
    case windowedWrites

    public var description: String {
        switch self {
        case .insertion: return "insertion"
        case .leafLSD: return "leaf LSD"
        case .wholeListLSD: return "whole-list LSD"
        case .topByteSplit: return "top-byte split"
        case .msdSplit: return "MSD split"
        case .windowedWrites: return "windowed writes"
        }
    }

    /// Where the counters sit in the workspace's histogram space (after the eight 256-bucket histograms).
    @usableFromInline static let counterOffset = 8 * 256
}
