// swift-tools-version:6.0
// RaMBO in Swift: a chapter-by-chapter walkthrough of "Optimizing Rank-based Metrics with
// Blackbox Differentiation" (Rolínek et al., CVPR 2020), and the reference other ports are checked against.
import Foundation
import PackageDescription

/// The chapters, in reading order: every folder `Chapters/NN-slug` with a `main.swift` becomes the executable
/// `chNN`. The folder listing is the chapter list the package builds (a manifest cannot import package code, and
/// the folders exist anyway); Walkthrough's `Catalog` gives each chapter its title, and WalkthroughTests check
/// that it lists exactly these folders.
let chapters: [String] = {
    let folder = Context.packageDirectory + "/Chapters"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { name in
        name.count > 3 && name.prefix(2).allSatisfy(\.isNumber) && name.dropFirst(2).hasPrefix("-")
            && FileManager.default.fileExists(atPath: folder + "/" + name + "/main.swift")
    }.sorted()
}()

/// Everything a chapter may import: the harness, figures, data, the training kit, the method and what stands beside
/// it (the authors'-code emulation, the teaching aids, the autodiff layer, the kernel, the reference).
let chapterDependencies: [Target.Dependency] = [
    "Walkthrough", "Gnuplot", "Datasets", "Learning", "Detection", "Rambo", "RamboOfficial", "RamboTeaching",
    "RamboAutodiff", "RankKernel", "RamboReference", "Support",
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
        .library(name: "RamboOfficial", targets: ["RamboOfficial"]),
        .library(name: "RamboAutodiff", targets: ["RamboAutodiff"]),
        .library(name: "RamboReference", targets: ["RamboReference"]),
        .executable(name: "rambo-reference", targets: ["rambo-reference"]),
        .executable(name: "rambo-bench", targets: ["rambo-bench"]),
    ],
    targets: [
        // What every layer shares: the seeded generator, the libm binding, statistics, a CPU clock, the checked writer.
        .target(name: "Support", swiftSettings: swift6),
        // The ranking kernel: radix sorts of score keys, the method's O(n) fast paths; depends on nothing.
        .target(name: "RankKernel", swiftSettings: swift6),
        // The method in the paper's convention: pure Swift, no I/O.
        .target(name: "Rambo", dependencies: ["RankKernel", "Support"], swiftSettings: swift6),
        // The authors' code, quirks included (the `official` convention), beside the method.
        .target(name: "RamboOfficial", dependencies: ["Rambo", "Support"], swiftSettings: swift6),
        // Teaching aids: blackbox solvers besides ranking, the interpolation f_λ and its enumeration.
        .target(name: "RamboTeaching", dependencies: ["Rambo"], swiftSettings: swift6),
        // The method as Swift automatic differentiation (`_Differentiation`, which not every toolchain ships).
        .target(name: "RamboAutodiff", dependencies: ["Rambo", "RamboTeaching"], swiftSettings: swift6),
        // Reference cases, ops, JSON and the shipped vectors: what checks a port against the method.
        .target(name: "RamboReference", dependencies: ["Rambo", "RamboOfficial"], swiftSettings: swift6),
        // SGEMM microkernels in C per instruction set (AVX-512, AVX2, NEON), chosen at run time; no unsafeFlags.
        .target(name: "CKernels"),
        // The small numeric kit the chapters train with.
        .target(name: "Learning", dependencies: ["CKernels", "Rambo", "RankKernel", "Support"], swiftSettings: swift6),
        // Loaders and toy generators; every loader validates its input.
        .target(name: "Datasets", dependencies: ["Support"], swiftSettings: swift6),
        // Detection pieces: boxes, IoU, anchors and their assignment, NMS, VOC AP, the anchor detector.
        .target(name: "Detection", dependencies: ["Learning", "Rambo", "Support"], swiftSettings: swift6),
        // Figures: a typed builder that writes .gp + .dat and runs gnuplot-nox.
        .target(name: "Gnuplot", dependencies: ["Support"], swiftSettings: swift6),
        // The chapter harness: options, narration, runtime checks, summary.json.
        .target(name: "Walkthrough", dependencies: ["Gnuplot", "Support"], swiftSettings: swift6),

        .executableTarget(
            name: "rambo-reference", dependencies: ["Rambo", "RamboOfficial", "RamboReference", "Support"],
            swiftSettings: swift6),
        .executableTarget(
            name: "rambo-bench", dependencies: ["Learning", "Rambo", "RankKernel", "Support"], swiftSettings: swift6),
        .executableTarget(
            name: "course", dependencies: ["Walkthrough", "Gnuplot", "Support"], swiftSettings: swift6),

        .testTarget(name: "SupportTests", dependencies: ["Support"], swiftSettings: swift6),
        .testTarget(name: "RankKernelTests", dependencies: ["RankKernel", "Support"], swiftSettings: swift6),
        .testTarget(name: "RamboTests", dependencies: ["Rambo", "RankKernel", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "RamboOfficialTests", dependencies: ["RamboOfficial", "Rambo", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "RamboTeachingTests", dependencies: ["RamboTeaching", "Rambo", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "RamboAutodiffTests",
            dependencies: ["RamboAutodiff", "RamboOfficial", "RamboTeaching", "Rambo", "Support"],
            swiftSettings: swift6),
        .testTarget(
            name: "LearningTests", dependencies: ["CKernels", "Learning", "Rambo", "Support"], swiftSettings: swift6),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Rambo", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "DetectionTests", dependencies: ["Detection", "Learning", "Datasets", "Rambo", "Support"],
            swiftSettings: swift6),
        .testTarget(name: "GnuplotTests", dependencies: ["Gnuplot", "Support"], swiftSettings: swift6),
        .testTarget(name: "WalkthroughTests", dependencies: ["Walkthrough", "Gnuplot"], swiftSettings: swift6),
        .testTarget(
            name: "ChapterTests", dependencies: ["Walkthrough", "Gnuplot", "Support"], swiftSettings: swift6),
        .testTarget(
            name: "ReferenceTests", dependencies: ["Rambo", "RamboOfficial", "RamboReference", "Support"],
            exclude: ["Fixtures"],
            swiftSettings: swift6),
    ] + chapterTargets,
    // The default for targets without their own setting: only the chapters (see `chapterTargets`).
    swiftLanguageModes: [.v5]
)
