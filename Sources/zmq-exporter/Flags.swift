/// Command-line flags as the Prometheus exporters take them (kingpin, exporter-toolkit):
/// `--name=value` or `--name value`, repeatable flags, `--[no-]switch`, `-h`/`--help`, and `--`
/// to end the flags. Written here rather than taken from a library because the library we used
/// brings FoundationEssentials into the agent's resident memory (BENCHMARKS.md, footprint) for
/// these few lines.
struct FlagSet {
    enum Kind { case value, repeated, toggle }

    struct Flag {
        let name: String
        let kind: Kind
        let placeholder: String
        let defaultValue: String?
        let help: String
    }

    let command: String
    let summary: String
    var flags: [Flag] = []
    /// Names the one positional argument a command takes, if any.
    var positional: (name: String, help: String)?

    init(command: String, summary: String) {
        self.command = command
        self.summary = summary
    }

    mutating func value(_ name: String, default defaultValue: String?, placeholder: String = "", help: String) {
        flags.append(Flag(name: name, kind: .value, placeholder: placeholder, defaultValue: defaultValue, help: help))
    }

    mutating func repeated(_ name: String, placeholder: String = "", help: String) {
        flags.append(Flag(name: name, kind: .repeated, placeholder: placeholder, defaultValue: nil, help: help))
    }

    mutating func toggle(_ name: String, help: String) {
        flags.append(Flag(name: name, kind: .toggle, placeholder: "", defaultValue: "false", help: help))
    }

    /// What the command line said, with the defaults for what it did not.
    struct Parsed {
        fileprivate var values: [String: [String]] = [:]
        fileprivate let defaults: [String: String]
        var positional: String?
        var helpRequested = false
        var versionRequested = false

        /// The last value given for `name`, else its default.
        func value(_ name: String) -> String { values[name]?.last ?? defaults[name] ?? "" }

        func values(_ name: String) -> [String] { values[name] ?? [] }

        func toggle(_ name: String) -> Bool { value(name) == "true" }

        func integer(_ name: String) throws(UsageError) -> Int {
            let text = value(name)
            guard let number = Int(text) else { throw UsageError("--\(name) must be a whole number, not '\(text)'") }
            return number
        }
    }

    func parse(_ arguments: some Collection<String>) throws(UsageError) -> Parsed {
        var parsed = Parsed(defaults: Dictionary(flags.compactMap { flag in flag.defaultValue.map { (flag.name, $0) } }, uniquingKeysWith: { $1 }))
        var rest = arguments[...]
        var flagsEnded = false
        while let argument = rest.popFirst() {
            if flagsEnded || !argument.hasPrefix("-") || argument == "-" {
                guard positional != nil, parsed.positional == nil else {
                    throw UsageError("unexpected argument '\(argument)'")
                }
                parsed.positional = argument
                continue
            }
            if argument == "--" { flagsEnded = true; continue }
            if argument == "-h" || argument == "--help" { parsed.helpRequested = true; continue }
            if argument == "--version" { parsed.versionRequested = true; continue }
            guard argument.hasPrefix("--") else { throw UsageError("unknown short flag '\(argument)'") }
            let body = argument.dropFirst(2)
            let name: Substring, inline: Substring?
            if let equals = body.firstIndex(of: "=") {
                name = body[..<equals]
                inline = body[body.index(after: equals)...]
            } else {
                name = body
                inline = nil
            }
            if let flag = flags.first(where: { $0.name == name }) {
                switch flag.kind {
                case .toggle:
                    guard inline == nil || inline == "true" || inline == "false" else {
                        throw UsageError("--\(name) takes no value, or =true or =false, not '\(inline ?? "")'")
                    }
                    parsed.values[flag.name] = [String(inline ?? "true")]
                case .value, .repeated:
                    let given: String
                    if let inline {
                        given = String(inline)
                    } else if let next = rest.popFirst() {
                        given = next
                    } else {
                        throw UsageError("expected a value for --\(name)")
                    }
                    if flag.kind == .repeated { parsed.values[flag.name, default: []].append(given) } else { parsed.values[flag.name] = [given] }
                }
            } else if name.hasPrefix("no-"), inline == nil, let flag = flags.first(where: { $0.name == name.dropFirst(3) && $0.kind == .toggle }) {
                parsed.values[flag.name] = ["false"]
            } else {
                throw UsageError("unknown long flag '--\(name)'")
            }
        }
        return parsed
    }

    /// The help text, laid out as kingpin lays it out: usage, summary, then one flag a line.
    func help(program: String, commands: [(name: String, summary: String)] = []) -> String {
        let usageTail = positional.map { " <\($0.name)>" } ?? ""
        var text = "usage: \(program)\(command.isEmpty ? "" : " " + command) [<flags>]\(usageTail)\n\n\(summary)\n\n"
        var rows: [(String, String)] = [("-h, --help", "Show this help."), ("    --version", "Show the version and exit.")]
        for flag in flags {
            let left: String
            switch flag.kind {
            case .toggle: left = "    --[no-]\(flag.name)"
            case .value, .repeated: left = "    --\(flag.name)=\(flag.placeholder.isEmpty ? (flag.defaultValue ?? "") : flag.placeholder)"
            }
            var help = flag.help
            if flag.kind == .repeated { help += " (repeatable)" }
            rows.append((left, help))
        }
        let width = rows.map(\.0.count).max() ?? 0
        text += "Flags:\n"
        for (left, help) in rows {
            text += "  " + left + String(repeating: " ", count: width - left.count + 2) + help + "\n"
        }
        if let positional {
            text += "\nArgs:\n  <\(positional.name)>  \(positional.help)\n"
        }
        if !commands.isEmpty {
            text += "\nCommands:\n"
            let commandWidth = commands.map(\.name.count).max() ?? 0
            for (name, summary) in commands {
                text += "  " + name + String(repeating: " ", count: commandWidth - name.count + 2) + summary + "\n"
            }
        }
        return text
    }
}

/// A command line that does not fit: said on standard error with a pointer to --help, exit 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
