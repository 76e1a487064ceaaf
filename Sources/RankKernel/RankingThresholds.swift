// Where the radix kernel changes path, and which paths a workspace has taken.
//
// Every path sorts exactly (the result is the same stable order, bit for bit); the thresholds only decide how
// fast. They are parameters so that tests can drive every path on short lists: a test sets, say,
// `leafSize = 64` and a list of a few thousand items goes through the MSD recursion that, with the defaults,
// only lists of millions reach.
//
// The defaults come from the cache sizes of the machine the program runs on (`CacheSizes`, read once):
// buckets are sorted by LSD passes only when their two key and payload buffers (24 bytes per item) fit in half
// the per-core L2 cache; longer lists are split by their top bytes first, so that every LSD pass runs in L2 and
// only the split passes touch main memory; index-ordered writes go through windows of half the L2 cache as soon
// as the written array no longer fits in L2 twice over.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data cache sizes of the machine, in bytes, read once at run time (`sysconf` on Linux); a safe default
/// where they cannot be read (256 KiB of L2, 8 MiB of L3).
public enum CacheSizes {
    /// The per-core L2 cache, clamped to 64 KiB … 64 MiB.
    public static let level2: Int = Swift.min(Swift.max(read(level: 2) ?? 256 << 10, 64 << 10), 64 << 20)

    /// The last-level cache as reported (shared between cores, and on a virtual machine often with other
    /// machines: the kernel does not plan on it).
    public static let level3: Int = read(level: 3) ?? 8 << 20

    static func read(level: Int) -> Int? {
        #if os(Linux)
        let value = sysconf(Int32(level == 2 ? _SC_LEVEL2_CACHE_SIZE : _SC_LEVEL3_CACHE_SIZE))
        return value > 0 ? value : nil
        #else
        return nil
        #endif
    }
}

/// The sizes at which the radix kernel changes path (counts of items). Any positive values give the same
/// results; the defaults (`RankingThresholds()`) are chosen for speed.
public struct RankingThresholds: Sendable, Equatable {
    /// Buckets of at most this many items are sorted by insertion instead of radix passes (and a split whose
    /// sub-buckets all hold at most this many is finished by one insertion sort of the whole bucket).
    public var insertionSize = 48

    /// Buckets of at most this many items are sorted in cache: split by their next 8 to 13 varying bits and
    /// finished by insertion, or by LSD passes when they vary in at most two bytes or only the payloads are
    /// wanted; bigger ones are split by their next varying byte first (the MSD recursion). Default: the largest
    /// power of two whose 24 bytes per item fit in half the L2 cache (16384 for 1 MiB).
    public var leafSize = RankingThresholds.largestPowerOfTwo(atMost: CacheSizes.level2 / 48)

    /// Lists of at most this many items are sorted by one LSD sort of the whole list; longer lists are first
    /// split by their top varying byte (one pass over the source), then each bucket goes to the MSD recursion.
    /// Default: twice `leafSize` (24 bytes per item fill about three quarters of L2).
    public var lsdSize = 2 * RankingThresholds.largestPowerOfTwo(atMost: CacheSizes.level2 / 48)

    /// Lists of at least this many items (and more than `lsdSize`) are split by their top 16 key bits in one
    /// pass instead of their top varying byte (2¹⁶ counters per thread). Default 2¹⁸: the 2¹⁶ counters (512 KiB) cost
    /// about 1 % of such a list's sort.
    public var wideSplitSize = 1 << 18

    /// From this many items on, writes `out[index]` in sorted order go through index windows (`IndexWindows`).
    /// Default: when the 8-byte outputs fill twice the L2 cache (262144 for 1 MiB).
    public var windowThreshold = CacheSizes.level2 / 4

    /// Index windows hold at least 2^`windowBits` items (there are at most 32 windows). Default: 8-byte outputs
    /// fill half the L2 cache (16 for 1 MiB).
    public var windowBits = RankingThresholds.largestPowerOfTwo(atMost: CacheSizes.level2 / 16).trailingZeroBitCount

    /// Index windows hold at most 2^`largestWindowBits` items where the list allows it: a list with more than 32
    /// windows of that size groups its writes twice (`IndexWindows`). Default: three more bits than `windowBits`,
    /// 8-byte outputs that fill four times the L2 cache (19 for 1 MiB), which the last-level cache of any current
    /// processor holds.
    public var largestWindowBits =
        RankingThresholds.largestPowerOfTwo(atMost: CacheSizes.level2 / 16).trailingZeroBitCount + 3

    /// The default thresholds, from the cache sizes of this machine.
    public init() {}

    static func largestPowerOfTwo(atMost value: Int) -> Int {
        value < 1 ? 1 : 1 << (Int.bitWidth - 1 - value.leadingZeroBitCount)
    }

    /// `insertion=48 leaf=65536 …`: the values, as rambo-bench's `--threshold` names them.
    public var summary: String {
        "insertion=\(insertionSize) leaf=\(leafSize) lsd=\(lsdSize) wide=\(wideSplitSize) window=\(windowThreshold) "
            + "window-bits=\(windowBits) largest-window-bits=\(largestWindowBits)"
    }

    /// Thresholds that send even short lists down every path: insertion below 4 items, leaves of at most 64,
    /// the split by top bytes above 256 items (by the top 16 bits from 1024 on), index windows of 16 to 64 items
    /// from 2 items on (grouped twice above 2048 items). For tests.
    public static let tiny: RankingThresholds = {
        var t = RankingThresholds()
        t.insertionSize = 4
        t.leafSize = 64
        t.lsdSize = 256
        t.wideSplitSize = 1024
        t.windowThreshold = 2
        t.windowBits = 4
        t.largestWindowBits = 6
        return t
    }()
}

/// The paths of the radix kernel, for `RankingWorkspace.pathCount(_:)`.
public enum RankingPath: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// A bucket sorted by insertion (at most `insertionSize` items).
    case insertion
    /// A bucket sorted by LSD passes on its varying bytes (a leaf of the MSD recursion, or a whole short list).
    case leafLSD
    /// A whole list sorted by one LSD sort (at most `lsdSize` items).
    case wholeListLSD
    /// A list split by its top varying byte (more than `lsdSize` items).
    case topByteSplit
    /// A list split by its top 16 key bits (at least `wideSplitSize` items).
    case wideSplit
    /// A bucket split by its next varying byte (more than `leafSize` items) or, in cache, by its next 8 to 13
    /// varying bits.
    case msdSplit
    /// Index-ordered writes through index windows (at least `windowThreshold` items).
    case windowedWrites
    /// Index windows grouped twice: more than 32 windows of 2^`largestWindowBits` items.
    case refinedWindows

    public var description: String {
        switch self {
        case .insertion: return "insertion"
        case .leafLSD: return "leaf LSD"
        case .wholeListLSD: return "whole-list LSD"
        case .topByteSplit: return "top-byte split"
        case .wideSplit: return "wide split"
        case .msdSplit: return "MSD split"
        case .windowedWrites: return "windowed writes"
        case .refinedWindows: return "refined windows"
        }
    }

    /// Where the counters sit in the workspace's histogram space (after the eight 256-bucket histograms).
    @usableFromInline static let counterOffset = 8 * 256
}
