/// The chapters in reading order. `course` and the chapter tests walk this list.
public struct ChapterInfo: Sendable {
    /// Executable name, "ch01".
    public let id: String
    /// Folder under `Chapters/`, "01-sorting-and-ranking".
    public let folder: String
    public let title: String
}

public enum Catalog {
    public static let chapters: [ChapterInfo] = [
        .init(id: "ch01", folder: "01-sorting-and-ranking", title: "Sorting and ranking"),
        .init(id: "ch02", folder: "02-rank-metrics", title: "Rank-based metrics"),
        .init(id: "ch03", folder: "03-blackbox-gradient", title: "The blackbox gradient"),
        .init(id: "ch04", folder: "04-lambda-interpolation", title: "λ and the interpolation f_λ"),
        .init(id: "ch05", folder: "05-margin", title: "The score margin"),
        .init(id: "ch06", folder: "06-score-memory", title: "Score memory"),
        .init(id: "ch07", folder: "07-recall-loss", title: "The recall loss"),
        .init(id: "ch08", folder: "08-ap-loss", title: "The AP and mAP losses"),
        .init(id: "ch09", folder: "09-retrieval-real", title: "Retrieval on real images"),
        .init(id: "ch10", folder: "10-multilabel-ap-real", title: "Multi-label mAP on real data"),
        .init(id: "ch11", folder: "11-object-detection", title: "Object detection with the AP loss"),
        .init(id: "ch12", folder: "12-speed", title: "Speed"),
        .init(id: "ch13", folder: "13-checking-ports", title: "Checking ports"),
    ]
}
