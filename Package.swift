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
    "Walkthrough", "Gnuplot", "Datasets", "Learning", "Rambo", "Support", "Detection",
]

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
        .executable(name: "rambo-reference", targets: ["rambo-reference"]),
        .executable(name: "rambo-bench", targets: ["rambo-bench"]),
    ],
    targets: [
        // What every layer shares: the seeded generator, the libm binding.
        .target(name: "Support"),
        // The method: pure Swift, no I/O.
        .target(name: "Rambo", dependencies: ["Support"]),
        // The small numeric kit the chapters train with.
        .target(name: "Learning", dependencies: ["Rambo", "Support"]),
        // Loaders and toy generators; every loader validates its input.
        .target(name: "Datasets", dependencies: ["Support"]),
        // Detection pieces: boxes, IoU, anchors and their assignment, NMS, VOC AP, the anchor detector.
        .target(name: "Detection", dependencies: ["Learning", "Rambo", "Support"]),
        // Figures: a typed builder that writes .gp + .dat and runs gnuplot-nox.
        .target(name: "Gnuplot"),
        // The chapter harness: options, narration, runtime checks, summary.json.
        .target(name: "Walkthrough", dependencies: ["Gnuplot"]),

        .executableTarget(name: "rambo-reference", dependencies: ["Rambo", "Support"]),
        .executableTarget(name: "rambo-bench", dependencies: ["Rambo", "Support"]),
        .executableTarget(name: "course", dependencies: ["Walkthrough"]),

        .testTarget(name: "RamboTests", dependencies: ["Rambo", "Support"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Rambo", "Support"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Rambo", "Support"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Learning", "Datasets", "Rambo", "Support"]),
        .testTarget(name: "GnuplotTests", dependencies: ["Gnuplot"]),
        .testTarget(name: "WalkthroughTests", dependencies: ["Walkthrough"]),
        .testTarget(name: "ChapterTests", dependencies: ["Walkthrough"]),
        .testTarget(name: "ReferenceTests", dependencies: ["Rambo"]),
    ] + chapterTargets,
    swiftLanguageModes: [.v5]
)
