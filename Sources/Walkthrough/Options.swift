import Foundation

/// A chapter-specific command-line flag, declared up front so that `--help` can list it, unknown flags can be
/// rejected, and every value is checked against the flag's range before the chapter does anything.
///
/// A flag may declare its `--quick` value: quick mode uses it unless the user passed the flag, so quick mode
/// never overrides a value the user typed. Quick values and defaults must lie in the flag's range.
public struct Flag: Sendable {
    public enum Kind: Sendable {
        case double(Double)
        case int(Int)
        case string(String)
        case bool
    }
    public let name: String
    public let kind: Kind
    public let help: String
    /// The value `--quick` uses when the flag is not given (same kind as `kind`).
    public let quick: Kind?
    /// The allowed values of a `.double` flag (closed interval; only finite numbers are ever accepted).
    public let doubleRange: ClosedRange<Double>?
    /// The allowed values of an `.int` flag.
    public let intRange: ClosedRange<Int>?
    /// The allowed values of a `.string` flag (any text when `nil`).
    public let choices: [String]?

    init(
        name: String, kind: Kind, help: String, quick: Kind? = nil, doubleRange: ClosedRange<Double>? = nil,
        intRange: ClosedRange<Int>? = nil, choices: [String]? = nil
    ) {
        self.name = name
        self.kind = kind
        self.help = help
        self.quick = quick
        self.doubleRange = doubleRange
        self.intRange = intRange
        self.choices = choices
    }

    /// A number flag with its allowed range (closed) and, optionally, its `--quick` value.
    public static func double(
        _ name: String, default value: Double, quick: Double? = nil,
        in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
        help: String
    ) -> Flag {
        Flag(name: name, kind: .double(value), help: help, quick: quick.map { .double($0) }, doubleRange: range)
    }
    /// A whole-number flag with its allowed range and, optionally, its `--quick` value.
    public static func int(
        _ name: String, default value: Int, quick: Int? = nil, in range: ClosedRange<Int> = Int.min...Int.max,
        help: String
    ) -> Flag {
        Flag(name: name, kind: .int(value), help: help, quick: quick.map { .int($0) }, intRange: range)
    }
    /// A text flag; with `choices`, only those values are accepted.
    public static func string(
        _ name: String, default value: String, quick: String? = nil, choices: [String]? = nil,
        help: String
    ) -> Flag {
        Flag(name: name, kind: .string(value), help: help, quick: quick.map { .string($0) }, choices: choices)
    }
    /// A switch: off unless given.
    public static func bool(_ name: String, help: String) -> Flag {
        Flag(name: name, kind: .bool, help: help)
    }

    var defaultText: String { Flag.text(kind) }

    /// The value used when the flag is not given: the quick value in quick mode if declared, else the default.
    func unsetText(quick isQuick: Bool) -> String {
        if isQuick, let quick { return Flag.text(quick) }
        return defaultText
    }

    static func text(_ kind: Kind) -> String {
        switch kind {
        case .double(let v): return "\(v)"
        case .int(let v): return "\(v)"
        case .string(let v): return v
        case .bool: return "off"
        }
    }

    /// The allowed values in words, e.g. "1…1000" (empty when any value of the kind is allowed).
    var rangeText: String {
        if let r = intRange, r != Int.min...Int.max {
            if r.upperBound == Int.max { return "≥ \(r.lowerBound)" }
            return "\(r.lowerBound)…\(r.upperBound)"
        }
        if let r = doubleRange, r != -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude {
            if r.upperBound == .greatestFiniteMagnitude { return "≥ \(Flag.short(r.lowerBound))" }
            return "\(Flag.short(r.lowerBound))…\(Flag.short(r.upperBound))"
        }
        if let choices { return choices.joined(separator: " | ") }
        return ""
    }

    static func short(_ v: Double) -> String {
        if v != 0 && (v.magnitude >= 1e5 || v.magnitude < 1e-3) { return String(format: "%g", v) }
        return v == v.rounded() ? String(Int(v)) : "\(v)"
    }

    /// Checks a value given on the command line; throws `OptionsError` naming the flag and its range.
    func check(_ value: String) throws {
        switch kind {
        case .double:
            guard let v = Double(value), v.isFinite else {
                throw OptionsError("--\(name) needs a finite number, got '\(value)'")
            }
            if let r = doubleRange, !r.contains(v) {
                throw OptionsError("--\(name) must be in \(rangeText), got \(value)")
            }
        case .int:
            guard let v = Int(value) else { throw OptionsError("--\(name) needs a whole number, got '\(value)'") }
            if let r = intRange, !r.contains(v) {
                throw OptionsError("--\(name) must be in \(rangeText), got \(value)")
            }
        case .string:
            if let choices, !choices.contains(value) {
                throw OptionsError("--\(name) must be one of \(choices.joined(separator: ", ")), got '\(value)'")
            }
        case .bool: break
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
    /// Accepts `--name value` and `--name=value` (a separate value may not start with `--`). Throws
    /// `OptionsError` naming the flag for unknown flags, missing values, values of the wrong kind and values
    /// outside the flag's range (in quick mode too).
    /// Nothing is created on disk.
    ///
    /// - Precondition: every flag's default and quick value lie in its range (a programming error otherwise).
    public static func parse(_ arguments: [String], chapter: String, flags: [Flag]) throws -> Options {
        for flag in flags {
            for value in [flag.defaultText] + (flag.quick.map { [Flag.text($0)] } ?? []) where flag.kind.isValued {
                do { try flag.check(value) } catch {
                    preconditionFailure(
                        "\(chapter) declares --\(flag.name) with a default or quick value outside its range: \(error)")
                }
            }
        }
        var options = Options(out: URL(fileURLWithPath: "out/\(chapter)"))
        let all = common + flags
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if argument == "--help" || argument == "-h" {
                options.helpRequested = true
                continue
            }
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
                // `--out --quick` is a forgotten value, not a folder named "--quick".
                guard !value.hasPrefix("--") else {
                    throw OptionsError(
                        "--\(name) needs a value, got the option \(value) (write --\(name)=\(value) if you mean it)")
                }
            }
            try flag.check(value)
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
            guard let s = UInt64(seed) else {
                throw OptionsError("--seed needs a non-negative whole number, got '\(seed)'")
            }
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
            var notes = [String]()
            if flag.kind.isValued { notes.append("default \(flag.defaultText)") }
            if let quick = flag.quick { notes.append("quick \(Flag.text(quick))") }
            if !flag.rangeText.isEmpty {
                notes.append(flag.choices == nil ? "range \(flag.rangeText)" : flag.rangeText)
            }
            lines.append(left + pad + flag.help + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"))
        }
        return lines.joined(separator: "\n")
    }
}

extension Flag.Kind {
    /// Whether the flag takes a value (everything but a switch).
    var isValued: Bool {
        if case .bool = self { return false }
        return true
    }
}

/// A command-line mistake, said in one line.
public struct OptionsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
