import Foundation

/// A chapter-specific command-line flag, declared up front so that `--help` can list it and unknown flags
/// can be rejected.
public struct Flag: Sendable {
    public enum Kind: Sendable { case double(Double), int(Int), string(String), bool }
    public let name: String
    public let kind: Kind
    public let help: String

    public static func double(_ name: String, default value: Double, help: String) -> Flag {
        Flag(name: name, kind: .double(value), help: help)
    }
    public static func int(_ name: String, default value: Int, help: String) -> Flag {
        Flag(name: name, kind: .int(value), help: help)
    }
    public static func string(_ name: String, default value: String, help: String) -> Flag {
        Flag(name: name, kind: .string(value), help: help)
    }
    /// A switch: off unless given.
    public static func bool(_ name: String, help: String) -> Flag {
        Flag(name: name, kind: .bool, help: help)
    }

    var defaultText: String {
        switch kind {
        case let .double(v): return "\(v)"
        case let .int(v): return "\(v)"
        case let .string(v): return v
        case .bool: return "off"
        }
    }
}

/// The parsed command line of a chapter: the common options and the chapter's own flags.
public struct Options: Sendable {
    /// Tiny sizes, a few seconds: for tests and a first look.
    public var quick = false
    /// Where figures and summary.json go (default `out/chNN`).
    public var out: URL
    /// Seed for every random draw of the chapter.
    public var seed: UInt64 = 1
    /// Print an ASCII preview of the chapter's key figure.
    public var ascii = false
    /// Also render SVG beside every PNG.
    public var svg = false
    /// Values of the chapter's flags, by name (as given, validated by kind).
    public var values: [String: String] = [:]
    public var helpRequested = false

    /// The common options, shown in every chapter's `--help`.
    public static let common: [Flag] = [
        .bool("quick", help: "tiny sizes; finishes in a few seconds"),
        .string("out", default: "out/chNN", help: "folder for figures and summary.json"),
        .int("seed", default: 1, help: "seed for every random draw"),
        .bool("ascii", help: "print an ASCII preview of the key figure in the terminal"),
        .bool("svg", help: "also write an SVG beside every PNG"),
    ]

    /// Parses `arguments` (without the program name) against the common options and `flags`.
    ///
    /// Accepts `--name value` and `--name=value`. Throws `OptionsError` naming the flag for unknown flags,
    /// missing values and values of the wrong kind.
    public static func parse(_ arguments: [String], chapter: String, flags: [Flag]) throws -> Options {
        var options = Options(out: URL(fileURLWithPath: "out/\(chapter)"))
        let all = common + flags
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if argument == "--help" || argument == "-h" { options.helpRequested = true; continue }
            guard argument.hasPrefix("--") else { throw OptionsError("unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let flag = all.first(where: { $0.name == name }) else {
                throw OptionsError("unknown option --\(name); see --help")
            }
            let value: String
            if case .bool = flag.kind {
                guard inline == nil else { throw OptionsError("--\(name) takes no value") }
                value = "true"
            } else if let inline {
                value = inline
            } else {
                guard i < arguments.count else { throw OptionsError("--\(name) needs a value") }
                value = arguments[i]
                i += 1
            }
            switch flag.kind {
            case .double:
                guard let v = Double(value), v.isFinite else {
                    throw OptionsError("--\(name) needs a finite number, got '\(value)'")
                }
            case .int:
                guard Int(value) != nil else { throw OptionsError("--\(name) needs a whole number, got '\(value)'") }
            case .string, .bool: break
            }
            options.values[name] = value
        }
        options.quick = options.values["quick"] != nil
        options.ascii = options.values["ascii"] != nil
        options.svg = options.values["svg"] != nil
        if let out = options.values["out"] {
            guard !out.isEmpty else { throw OptionsError("--out needs a folder name") }
            options.out = URL(fileURLWithPath: out)
        }
        if let seed = options.values["seed"] {
            guard let s = UInt64(seed) else { throw OptionsError("--seed needs a non-negative whole number, got '\(seed)'") }
            options.seed = s
        }
        return options
    }

    /// The usage text for `--help`.
    public static func usage(chapter: String, title: String, flags: [Flag]) -> String {
        var lines = ["\(chapter): \(title)", "", "usage: swift run -c release \(chapter) [options]", "", "options:"]
        for flag in common + flags {
            let value: String
            switch flag.kind {
            case .bool: value = ""
            case .double: value = " X"
            case .int: value = " N"
            case .string: value = " TEXT"
            }
            let left = "  --\(flag.name)\(value)"
            let pad = String(repeating: " ", count: max(2, 22 - left.count))
            let deflt: String
            if case .bool = flag.kind { deflt = "" } else { deflt = " (default \(flag.defaultText))" }
            lines.append(left + pad + flag.help + deflt)
        }
        return lines.joined(separator: "\n")
    }
}

/// A command-line mistake, said in one line.
public struct OptionsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
