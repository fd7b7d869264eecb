import Foundation

/// The demo's agent configuration: examples/demo.yml, found on disk when possible so that what a
/// user reads is what runs, else the copy built into the binary (``builtIn``, which the system
/// test `test_demo.py` keeps byte-for-byte equal to the file).
public struct DemoConfigFile: Sendable {
    /// The YAML text with its `${NAME}` placeholders.
    public var text: String
    /// Where the text came from: a path, or "built-in copy of examples/demo.yml".
    public var source: String

    public init(text: String, source: String) {
        self.text = text
        self.source = source
    }

    static let relativePath = "examples/demo.yml"

    /// Looks for examples/demo.yml under the working directory, then under each of the
    /// executable's ancestor directories (a build in `<repo>/.build/<triple>/release/` finds
    /// `<repo>/examples/demo.yml`); falls back to the built-in copy.
    /// - Parameter executablePath: the running binary's path, or nil to skip that search.
    public static func locate(workingDirectory: String = FileManager.default.currentDirectoryPath, executablePath: String?) -> DemoConfigFile {
        for candidate in candidates(workingDirectory: workingDirectory, executablePath: executablePath) {
            if let data = FileManager.default.contents(atPath: candidate), let text = String(data: data, encoding: .utf8) {
                return DemoConfigFile(text: text, source: candidate)
            }
        }
        return DemoConfigFile(text: builtIn, source: "built-in copy of \(relativePath)")
    }

    static func candidates(workingDirectory: String, executablePath: String?) -> [String] {
        var result = [URL(fileURLWithPath: workingDirectory).appendingPathComponent(relativePath).path]
        if let executablePath {
            var directory = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
            // bin/, release/, <triple>/, .build/: four levels reach a source checkout.
            for _ in 0..<4 {
                directory = directory.deletingLastPathComponent()
                let path = directory.appendingPathComponent(relativePath).path
                if !result.contains(path) { result.append(path) }
                if directory.path == "/" { break }
            }
        }
        return result
    }

    /// `${...}` tokens in the text that are not demo placeholders, for a clear error.
    public var unknownPlaceholders: [String] {
        let known = Set(DemoEndpoints.Placeholder.allCases.map(\.token))
        var found: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            let token = String(rest[start.lowerBound...end])
            if !known.contains(token) && !found.contains(token) { found.append(token) }
            rest = rest[rest.index(after: end)...]
        }
        return found
    }
}
