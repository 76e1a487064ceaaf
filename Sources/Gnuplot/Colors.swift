// The course's colours: the Okabe–Ito palette (safe for the common colour-vision deficiencies) and one colour
// and marker per method, used by every chapter so that a method looks the same wherever it appears.

/// The eight Okabe–Ito colours (Okabe & Ito 2008, "Color Universal Design"), plus a neutral grey.
public enum OkabeIto {
    public static let black = "#000000"
    public static let orange = "#E69F00"
    public static let skyBlue = "#56B4E9"
    public static let bluishGreen = "#009E73"
    public static let yellow = "#F0E442"
    public static let blue = "#0072B2"
    public static let vermillion = "#D55E00"
    public static let reddishPurple = "#CC79A7"
    /// Not one of the eight: for references (raw inputs, chance, the dataset value).
    public static let grey = "#999999"

    /// The colours in a good order for unnamed series (categories, λ values, memory lengths). Yellow comes
    /// last: it is faint on white.
    public static let cycle = [blue, vermillion, bluishGreen, orange, reddishPurple, skyBlue, black, yellow]

    /// The `i`-th colour of `cycle`, wrapping around.
    public static func color(_ i: Int) -> String { cycle[((i % cycle.count) + cycle.count) % cycle.count] }
}

/// How one method is drawn in every chapter: a colour and a marker (the marker is the second channel, so the
/// methods stay apart in greyscale and for readers who cannot tell two colours apart).
public struct MethodStyle: Sendable, Equatable {
    public let color: String
    /// gnuplot point type.
    public let pointType: Int
    /// gnuplot dash type (1 solid).
    public let dash: Int
}

/// The course-wide method → style mapping. RaMBO's losses are vermillion (their variants reddish purple or
/// orange), metric-learning baselines blue, classification baselines green, raw inputs grey.
///
/// Keys are the method names chapters write into `summary.json` (`rambo-recall`, `triplet`, `bce`, ...).
public enum MethodPalette {
    public static let styles: [String: MethodStyle] = [
        "raw-pixels": MethodStyle(color: OkabeIto.grey, pointType: 1, dash: 2),
        "rambo-recall": MethodStyle(color: OkabeIto.vermillion, pointType: 7, dash: 1),
        "rambo-recall-loglog": MethodStyle(color: OkabeIto.reddishPurple, pointType: 9, dash: 1),
        "rambo-recall-no-memory": MethodStyle(color: OkabeIto.orange, pointType: 11, dash: 1),
        "rambo-recall-no-margin": MethodStyle(color: OkabeIto.reddishPurple, pointType: 9, dash: 1),
        "rambo-ap": MethodStyle(color: OkabeIto.vermillion, pointType: 7, dash: 1),
        "rambo-ap-beta0": MethodStyle(color: OkabeIto.reddishPurple, pointType: 9, dash: 1),
        "rambo-ap-paper": MethodStyle(color: OkabeIto.reddishPurple, pointType: 9, dash: 1),
        "rambo-map": MethodStyle(color: OkabeIto.vermillion, pointType: 7, dash: 1),
        "triplet": MethodStyle(color: OkabeIto.blue, pointType: 5, dash: 1),
        "contrastive": MethodStyle(color: OkabeIto.skyBlue, pointType: 13, dash: 1),
        "bce": MethodStyle(color: OkabeIto.bluishGreen, pointType: 5, dash: 1),
        "ce": MethodStyle(color: OkabeIto.black, pointType: 3, dash: 1),
        "bce+ap": MethodStyle(color: OkabeIto.orange, pointType: 11, dash: 1),
        "bce+rambo-ap": MethodStyle(color: OkabeIto.orange, pointType: 11, dash: 1),
    ]

    /// The style of `method`. Unknown names stop the program: a typo must not quietly draw a method in some
    /// other method's colour.
    public static func style(_ method: String) -> MethodStyle {
        guard let style = styles[method] else {
            preconditionFailure("no colour for method '\(method)'; add it to MethodPalette.styles")
        }
        return style
    }

    /// The colour of `method` (see `style`).
    public static func color(_ method: String) -> String { style(method).color }
}
