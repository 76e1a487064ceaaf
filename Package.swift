// swift-tools-version:6.0
// RaMBO in Swift: a chapter-by-chapter walkthrough of "Optimizing Rank-based Metrics with
// Blackbox Differentiation" (Rolínek et al., CVPR 2020), and the reference other ports are checked against.
import PackageDescription

/// The chapters, in reading order: `Chapters/NN-slug/main.swift` becomes the executable `chNN`.
let chapters = [
    "01-sorting-and-ranking", "02-rank-metrics", "03-blackbox-gradient", "04-lambda-interpolation",
    "05-margin", "06-score-memory", "07-recall-loss", "08-ap-loss",
    "09-retrieval-real", "10-multilabel-ap-real", "11-object-detection", "12-speed", "13-checking-ports",
]

/// Everything a chapter may import: the harness, figures, data, the training kit and the method.
let chapterDependencies: [Target.Dependency] = [
    "Walkthrough", "Gnuplot", "Datasets", "Learning", "Rambo", "RamboReference", "Support", "Detection",
]

/// Swift 6 language mode (complete data-race checking), for every library, tool and test target.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// Chapters stay in Swift 5 mode: each is a notebook-style main.swift whose top-level `let`/`var`s (the chapter,
/// its flags, its seeded generator) are used by the chapter's top-level functions. Swift 6 isolates top-level
/// variables to the main actor, so every such function would need `@MainActor` noise that a notebook should not
/// carry.
let chapterTargets: [Target] = chapters.map { slug in
    .executableTarget(
        name: "ch" + slug.prefix(2),
        dependencies: chapterDependencies,
        path: "Chapters/\(slug)",
        exclude: ["README.md"]
    )
}

let package = Package(
    name: "RaMBO",
    products: [
        .library(name: "Rambo", targets: ["Rambo"]),
        .library(name: "RamboReference", targets: ["RamboReference"]),
        .executable(name: "rambo-reference", targets: ["rambo-reference"]),
        .executable(name: "rambo-bench", targets: ["rambo-bench"]),
    ],
    targets: [
        // What every layer shares: the seeded generator, the libm binding, statistics, a CPU clock, the checked writer.
        .target(name: "Support", swiftSettings: swift6),
        // The ranking kernel: radix sorts of score keys, the O(n) AP loss kernel; depends on nothing.
        .target(name: "RankKernel", swiftSettings: swift6),
        // The method: pure Swift, no I/O.
        .target(name: "Rambo", dependencies: ["RankKernel", "Support"], swiftSettings: swift6),
        // Reference cases, ops, JSON and the shipped vectors: what checks a port against the method.
        .target(name: "RamboReference", dependencies: ["Rambo"], swiftSettings: swift6),
        // The small numeric kit the chapters train with.
        .target(name: "Learning", dependencies: ["Rambo", "Support"], swiftSettings: swift6),
        // Loaders and toy generators; every loader validates its input.
        .target(name: "Datasets", dependencies: ["Support"], swiftSettings: swift6),
        // Detection pieces: boxes, IoU, anchors and their assignment, NMS, VOC AP, the anchor detector.
        .target(name: "Detection", dependencies: ["Learning", "Rambo", "Support"], swiftSettings: swift6),
        // Figures: a typed builder that writes .gp + .dat and runs gnuplot-nox.
        .target(name: "Gnuplot", dependencies: ["Support"], swiftSettings: swift6),
        // The chapter harness: options, narration, runtime checks, summary.json.
        .target(name: "Walkthrough", dependencies: ["Gnuplot", "Support"], swiftSettings: swift6),

        .executableTarget(
            name: "rambo-reference", dependencies: ["Rambo", "RamboReference", "Support"], swiftSettings: swift6),
        .executableTarget(name: "rambo-bench", dependencies: ["Rambo", "Support"], swiftSettings: swift6),
        .executableTarget(
            name: "course", dependencies: ["Walkthrough", "Gnuplot", "Support"], swiftSettings: swift6),

        .testTarget(name: "SupportTests", dependencies: ["Support"], swiftSettings: swift6),
        .testTarget(name: "RamboTests", dependencies: ["Rambo", "RankKernel", "Support"], swiftSettings: swift6),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Rambo", "Support"], swiftSettings: swift6),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Rambo", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "DetectionTests", dependencies: ["Detection", "Learning", "Datasets", "Rambo", "Support"],
            swiftSettings: swift6),
        .testTarget(name: "GnuplotTests", dependencies: ["Gnuplot", "Support"], swiftSettings: swift6),
        .testTarget(name: "WalkthroughTests", dependencies: ["Walkthrough", "Gnuplot"], swiftSettings: swift6),
        .testTarget(
            name: "ChapterTests", dependencies: ["Walkthrough", "Gnuplot", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "ReferenceTests", dependencies: ["Rambo", "RamboReference", "Support"], exclude: ["Fixtures"],
            swiftSettings: swift6),
    ] + chapterTargets,
    // The default for targets without their own setting: only the chapters (see `chapterTargets`).
    swiftLanguageModes: [.v5]
)
