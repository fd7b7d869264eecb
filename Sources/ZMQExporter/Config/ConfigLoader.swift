import Foundation
import Yams
import ZeroMQ

/// Reads a YAML config into an ``ExporterConfig``, collecting every error with its line and column.
public enum ConfigLoader {
    /// Loads and validates the file at `path`. Throws ``ConfigErrors`` listing every problem.
    public static func load(path: String) throws(ConfigErrors) -> ExporterConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, message: "the file is not UTF-8")])
        }
        return try parse(text, file: path)
    }

    /// Parses config `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String = "<config>") throws(ConfigErrors) -> ExporterConfig {
        var reader = NodeReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors(errors: [reader.yamlError(error)])
        } catch {
            throw ConfigErrors(errors: [ConfigError(file: file, line: 0, column: 0, message: "\(error)")])
        }
        guard let root else {
            throw ConfigErrors(errors: [ConfigError(file: file, line: 1, column: 1, message: "the file is empty: expected a mapping with 'sockets'")])
        }
        let config = reader.readConfig(root)
        if !reader.errors.isEmpty { throw ConfigErrors(errors: reader.errors) }
        return config
    }
}

/// Walks the YAML node tree, recording errors instead of stopping at the first.
struct NodeReader {
    let file: String
    var errors: [ConfigError] = []

    init(file: String) { self.file = file }

    mutating func fail(_ node: Node?, _ message: String) {
        let mark = node?.mark
        errors.append(ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    func yamlError(_ error: YamlError) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(prefix)\(problem)")
        default:
            return ConfigError(file: file, line: 0, column: 0, message: "invalid YAML: \(error)")
        }
    }

    // MARK: Generic shapes

    /// The mapping's entries by key, reporting non-string, duplicate and unknown keys.
    mutating func mapping(_ node: Node, what: String, allowed: Set<String>) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            fail(node, "\(what) must be a mapping")
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                fail(keyNode, "\(what) has a key that is not a string")
                continue
            }
            let key = scalar.string
            if result[key] != nil {
                fail(keyNode, "\(what) has the key '\(key)' twice")
            } else if !allowed.contains(key) {
                fail(keyNode, "unknown key '\(key)' in \(what) (known: \(allowed.sorted().joined(separator: ", ")))")
                // Reported once here; kept out of the result so no later check reports it again.
                continue
            }
            result[key] = value
        }
        return result
    }

    mutating func string(_ node: Node, what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            fail(node, "\(what) must be a string")
            return nil
        }
        return scalar.string
    }

    mutating func integer(_ node: Node, what: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            fail(node, "\(what) must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node, what: String) -> Duration? {
        guard let text = string(node, what: what) else { return nil }
        guard let value = ConfigValues.duration(text) else {
            fail(node, "\(what) '\(text)' is not a duration like 250ms, 5s or 1m")
            return nil
        }
        return value
    }

    /// A duration option in milliseconds: `100ms`, `5s`, or a bare number of milliseconds.
    mutating func milliseconds(_ node: Node, what: String, range: ClosedRange<Int>) -> Int32? {
        var ms: Int
        if case .scalar(let scalar) = node, let value = Int(scalar.string) {
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

    mutating func stringList(_ node: Node, what: String) -> [String]? {
        if case .scalar(let scalar) = node { return [scalar.string] }
        guard case .sequence(let sequence) = node else {
            fail(node, "\(what) must be a list of strings")
            return nil
        }
        var result: [String] = []
        for item in sequence {
            if let value = string(item, what: "an item of \(what)") { result.append(value) }
        }
        return result
    }

    mutating func socketType(_ node: Node, what: String, allowed: [SocketType]) -> SocketType? {
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
