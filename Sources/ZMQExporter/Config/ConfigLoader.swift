import Posix
import ZeroMQ

/// Reads a YAML config into an ``ExporterConfig``, collecting every error with its line and column.
public enum ConfigLoader {
    /// Loads and validates the file at `path`. Throws ``ConfigErrors`` listing every problem.
    public static func load(path: String) throws(ConfigErrors) -> ExporterConfig {
        let bytes: [UInt8]
        switch Files.contents(path, limit: maxFileSize) {
        case .success(let read): bytes = read
        case .failure(let problem):
            let message = problem.openFailure.map { "cannot open \(path): \($0)" } ?? "\(path): \(problem.message)"
            throw ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, message: message)])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, message: "\(path): the file is not UTF-8")])
        }
        return try parse(text, file: path)
    }

    /// A config of a thousand sockets is about 100 KiB; anything near this is not a config.
    static let maxFileSize = 16 << 20

    /// Parses config `text`; `file` names it in errors. Relative paths in it (key files) are
    /// read from `baseDirectory`, by default the directory of `file`.
    public static func parse(_ text: String, file: String = "<config>", baseDirectory: String? = nil) throws(ConfigErrors) -> ExporterConfig {
        var reader = NodeReader(file: file, baseDirectory: baseDirectory)
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(text)
        } catch {
            throw ConfigErrors(errors: [ConfigError(file: file, line: error.mark.line, column: error.mark.column, message: "invalid YAML: \(error.message)")])
        }
        guard let root else {
            throw ConfigErrors(errors: [ConfigError(file: file, line: 1, column: 1, message: "the file is empty: expected a mapping with 'sockets'")])
        }
        let config = reader.readConfig(root)
        // In file order, whichever check found them (endpoint clashes are found last).
        let sorted = reader.errors.enumerated().sorted {
            ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
        }.map(\.element)
        if !sorted.isEmpty { throw ConfigErrors(errors: sorted) }
        return config
    }
}

/// Walks the YAML node tree, recording errors instead of stopping at the first.
struct NodeReader {
    let file: String
    /// Where relative paths are read from; nil: the directory of ``file``.
    let baseDirectory: String?
    var errors: [ConfigError] = []
    /// Every bind endpoint read so far, for ``checkBindClashes()``.
    var binds: [BindSite] = []

    init(file: String, baseDirectory: String? = nil) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    mutating func fail(_ node: YAMLNode?, _ message: String) {
        let mark = node?.mark
        errors.append(ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    // MARK: Generic shapes

    /// The mapping's entries by key, reporting non-string, duplicate and unknown keys.
    mutating func mapping(_ node: YAMLNode, what: String, allowed: Set<String>) -> [String: YAMLNode]? {
        guard case .mapping(let mapping) = node.kind else {
            fail(node, "\(what) must be a mapping")
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                fail(keyNode, "\(what) has a key that is not a string")
                continue
            }
            if result[key] != nil {
                fail(keyNode, "\(what) has the key '\(key)' twice")
            } else if !allowed.contains(key) {
                if let near = Self.nearest(key, in: allowed) {
                    fail(keyNode, "unknown key '\(key)' in \(what): did you mean '\(near)'?")
                } else {
                    fail(keyNode, "unknown key '\(key)' in \(what) (known: \(allowed.sorted().joined(separator: ", ")))")
                }
                // Reported once here; kept out of the result so no later check reports it again.
                continue
            }
            result[key] = value
        }
        return result
    }

    /// The known key closest to a mistyped one: at most 2 edits away (and fewer than the key's
    /// own length, so `x` does not suggest `bind`); the first alphabetically on a tie.
    static func nearest(_ key: String, in known: Set<String>) -> String? {
        let scored = known.sorted().map { ($0, editDistance(key, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2, best.1 < key.count else { return nil }
        return best.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard let text = node.string else {
            fail(node, "\(what) must be a string")
            return nil
        }
        // A plain ~ or null is YAML's null: most likely a value left out, so it is not taken as text.
        guard !node.isNull else {
            fail(node, "\(what) is null ('\(text)'); quote it if you mean the text")
            return nil
        }
        return text
    }

    mutating func integer(_ node: YAMLNode, what: String, range: ClosedRange<Int>) -> Int? {
        guard let text = node.string, let value = Int(text) else {
            fail(node, "\(what) must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func duration(_ node: YAMLNode, what: String) -> Duration? {
        guard let text = string(node, what: what) else { return nil }
        guard let value = ConfigValues.duration(text) else {
            fail(node, "\(what) '\(text)' is not a duration like 250ms, 5s, 1m30s or 2h")
            return nil
        }
        return value
    }

    /// A duration option in milliseconds: `100ms`, `5s`, or a bare number of milliseconds.
    mutating func milliseconds(_ node: YAMLNode, what: String, range: ClosedRange<Int>) -> Int32? {
        var ms: Int
        if let text = node.string, let value = Int(text) {
            ms = value
        } else {
            guard let value = duration(node, what: what) else { return nil }
            ms = Int(clamping: value.components.seconds * 1000 + value.components.attoseconds / 1_000_000_000_000_000)
        }
        guard range.contains(ms) else {
            fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound) ms, not \(ms)")
            return nil
        }
        return Int32(ms)
    }

    mutating func stringList(_ node: YAMLNode, what: String) -> [String]? {
        if node.string != nil { return string(node, what: what).map { [$0] } }
        guard case .sequence(let sequence) = node.kind else {
            fail(node, "\(what) must be a list of strings")
            return nil
        }
        var result: [String] = []
        for item in sequence {
            if let value = string(item, what: "an item of \(what)") { result.append(value) }
        }
        return result
    }

    mutating func socketType(_ node: YAMLNode, what: String, allowed: [SocketType]) -> SocketType? {
        guard let text = string(node, what: what) else { return nil }
        guard let type = SocketType(name: text) else {
            fail(node, "\(what) '\(text)' is not a ZeroMQ socket type")
            return nil
        }
        guard allowed.contains(type) else {
            fail(node, "\(what) \(type.rawValue) does not fit here (use one of \(allowed.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        return type
    }
}
