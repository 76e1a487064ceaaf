// The course's colours: the Okabe–Ito palette (safe for the common colour-vision deficiencies), one look per
// method and one per role, shared by every chapter so that a method or a role looks the same wherever it appears.
// A series never takes a free colour: it names what it stands for (`Ink`) and the registry draws it.

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
    /// Not one of the eight: for references (raw inputs, chance, one seed).
    public static let grey = "#999999"
}

/// What a series stands for. The builder turns it into a colour, a marker and a dash: a method through
/// `MethodPalette`, a role through `Role.style`, a category through `Categories`.
public enum Ink: Sendable, Hashable, CustomStringConvertible {
    /// A method, named as in `summary.json` ("rambo-recall", "triplet", "bce"). An unknown name is an invalid
    /// figure, so a typo cannot draw a method in some other method's colour.
    case method(String)
    /// A fixed role: chance, the dataset value, one seed, positives, …
    case role(Role)
    /// The i-th of several things that are neither methods nor roles (classes, labels, λ values, kernels).
    /// Never RaMBO's vermillion, never the roles' grey.
    case category(Int)

    /// The look the registry gives this ink (nil for an unknown method).
    public var style: SeriesLook? {
        switch self {
        case .method(let name): return MethodPalette.styles[name]
        case .role(let role): return role.style
        case .category(let i): return Categories.style(i)
        }
    }

    /// "method rambo-map", "role chance", "category 2": the form written into `.gp` files and read by the lint.
    public var description: String {
        switch self {
        case .method(let name): return "method \(name)"
        case .role(let role): return "role \(role.rawValue)"
        case .category(let i): return "category \(i)"
        }
    }

    /// Reads `description` back; nil when the text is not an ink.
    public init?(_ text: String) {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "method": self = .method(parts[1])
        case "role":
            guard let role = Role(rawValue: parts[1]) else { return nil }
            self = .role(role)
        case "category":
            guard let i = Int(parts[1]), i >= 0 else { return nil }
            self = .category(i)
        default: return nil
        }
    }
}

/// How one ink is drawn: a colour and a marker (the second channel, so that series stay apart in greyscale and
/// for readers who cannot tell two colours apart) and a dash.
public struct SeriesLook: Sendable, Equatable, Hashable {
    public let color: String
    /// gnuplot point type (5 filled square, 7 filled circle, 9 filled triangle, 11 triangle down, 13 diamond,
    /// 15 pentagon; 6 open circle, 2 a cross).
    public let pointType: Int
    /// gnuplot dash type (1 solid, 2 dashed, 3 dotted, 4 dash-dot, 5 dash-dot-dot).
    public let dash: Int

    public init(color: String, pointType: Int, dash: Int) {
        self.color = color
        self.pointType = pointType
        self.dash = dash
    }
}

/// The course-wide method → look mapping.
///
/// RaMBO is vermillion everywhere: its main losses (`rambo-recall`, `rambo-ap`, `rambo-map`) in vermillion with a
/// filled circle, its variants and ablations in shades of vermillion, each with its own marker and dash. Every
/// baseline has its own colour: triplet blue, contrastive sky blue, BCE bluish green, cross-entropy reddish purple,
/// the BCE + AP blends wine (#882255; half a baseline, so not a shade of RaMBO), raw inputs dark grey. Keys are the names chapters write into `summary.json`.
public enum MethodPalette {
    /// Vermillion and its shades: what every `rambo…` method is drawn in, and nothing else.
    public static let ramboShades = [OkabeIto.vermillion, "#8C3B00", "#EE9A66", "#5E2700"]

    public static let styles: [String: SeriesLook] = {
        func rambo(_ shade: Int, _ point: Int, _ dash: Int) -> SeriesLook {
            SeriesLook(color: ramboShades[shade], pointType: point, dash: dash)
        }
        return [
            // RaMBO: the paper's losses, then their variants and ablations.
            "rambo-recall": rambo(0, 7, 1), "rambo-ap": rambo(0, 7, 1), "rambo-map": rambo(0, 7, 1),
            "rambo-ap-radix": rambo(0, 7, 1),
            "rambo-recall-loglog": rambo(1, 9, 1),
            "rambo-recall-no-memory": rambo(2, 11, 2),
            "rambo-recall-no-margin": rambo(1, 13, 4),
            "rambo-recall-query-memory": rambo(3, 5, 5),
            "rambo-ap-beta0": rambo(2, 11, 2),
            "rambo-ap-no-margin": rambo(2, 11, 2),
            "rambo-ap-paper": rambo(1, 9, 4),
            "rambo-map-no-memory": rambo(2, 11, 2),
            "rambo-lambda-div5": rambo(2, 11, 2),
            "rambo-lambda-x5": rambo(1, 9, 4),
            "rambo-no-margin": rambo(3, 13, 5),
            // Baselines, each its own colour.
            "triplet": SeriesLook(color: OkabeIto.blue, pointType: 5, dash: 1),
            "contrastive": SeriesLook(color: OkabeIto.skyBlue, pointType: 13, dash: 1),
            "bce": SeriesLook(color: OkabeIto.bluishGreen, pointType: 15, dash: 1),
            "ce": SeriesLook(color: OkabeIto.reddishPurple, pointType: 15, dash: 1),
            "bce+ap": SeriesLook(color: "#882255", pointType: 5, dash: 1),
            "bce+rambo-ap": SeriesLook(color: "#882255", pointType: 5, dash: 1),
            "raw-pixels": SeriesLook(color: "#666666", pointType: 4, dash: 4),
        ]
    }()

    /// Whether `method` is one of RaMBO's (drawn in vermillion or a shade of it).
    public static func isRambo(_ method: String) -> Bool { method.hasPrefix("rambo") }

    /// The look of `method`. Unknown names stop the program: use `Ink.method` in figures, which reports an
    /// unknown name as an invalid figure instead.
    public static func style(_ method: String) -> SeriesLook {
        guard let style = styles[method] else {
            preconditionFailure("no look for method '\(method)'; add it to MethodPalette.styles")
        }
        return style
    }
}

/// Roles that are not methods, each with one look in every chapter.
public enum Role: String, Sendable, CaseIterable {
    /// What a random ranking scores (AP = prevalence, …): grey, dashed.
    case chance
    /// A value the reader compares against: the dataset's mAP, a perfect ranking, the true loss: black.
    case reference
    /// The zero line of a difference ("level"): black, thin.
    case level
    /// The mean of paired differences with its 95 % interval: black dots with error bars.
    case meanDifference = "mean-difference"
    /// One seed's value beside a mean: grey open circles.
    case oneSeed = "one-seed"
    /// Relevant items (positives): blue.
    case positives
    /// Irrelevant items (negatives): orange.
    case negatives
    /// Ground-truth boxes and answers: bluish green.
    case groundTruth = "ground-truth"
    /// A formula's curve or value (a density, 1/K, a theoretical mean): black, dashed.
    case theory
    /// Numbers quoted from the paper: reddish purple, dotted.
    case paper

    public var style: SeriesLook {
        switch self {
        case .chance: return SeriesLook(color: OkabeIto.grey, pointType: 2, dash: 2)
        case .reference: return SeriesLook(color: OkabeIto.black, pointType: 7, dash: 1)
        case .level: return SeriesLook(color: OkabeIto.black, pointType: 1, dash: 1)
        case .meanDifference: return SeriesLook(color: OkabeIto.black, pointType: 7, dash: 1)
        case .oneSeed: return SeriesLook(color: OkabeIto.grey, pointType: 6, dash: 1)
        case .positives: return SeriesLook(color: OkabeIto.blue, pointType: 7, dash: 1)
        case .negatives: return SeriesLook(color: OkabeIto.orange, pointType: 5, dash: 1)
        case .groundTruth: return SeriesLook(color: OkabeIto.bluishGreen, pointType: 4, dash: 1)
        case .theory: return SeriesLook(color: OkabeIto.black, pointType: 1, dash: 2)
        case .paper: return SeriesLook(color: OkabeIto.reddishPurple, pointType: 8, dash: 3)
        }
    }
}

/// Colours for categories: Okabe–Ito without vermillion (RaMBO's) and grey (the roles'), then three of Paul Tol's
/// muted colours, so that ten classes stay apart. Markers cycle independently.
public enum Categories {
    public static let colors = [
        OkabeIto.blue, OkabeIto.orange, OkabeIto.bluishGreen, OkabeIto.reddishPurple, OkabeIto.skyBlue,
        OkabeIto.black, "#882255", "#44AA99", "#999933", "#C9B000",
    ]
    static let markers = [7, 5, 9, 13, 11, 15, 7, 5, 9, 13]

    /// The look of the i-th category (wrapping around after ten).
    public static func style(_ i: Int) -> SeriesLook {
        let k = ((i % colors.count) + colors.count) % colors.count
        return SeriesLook(color: colors[k], pointType: markers[k], dash: 1)
    }
}
