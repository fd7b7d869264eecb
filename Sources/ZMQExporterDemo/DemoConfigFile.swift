import Posix
import ZMQExporter
/// The demo's agent configuration: examples/demo.yml, found on disk when possible so that what a
/// user reads is what runs, else the copy built into the binary (``builtIn``, which the system
/// test `test_demo.py` keeps byte-for-byte equal to the file).
public struct DemoConfigFile: Sendable {
    /// The YAML text, its demo endpoints at the default ports (see ``DemoEndpoints/render(_:)``).
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
    public static func locate(workingDirectory: String = currentDirectory(), executablePath: String?) -> DemoConfigFile {
        for candidate in candidates(workingDirectory: workingDirectory, executablePath: executablePath) {
            if let text = Files.readText(candidate) {
                return DemoConfigFile(text: text, source: candidate)
            }
        }
        return DemoConfigFile(text: builtIn, source: "built-in copy of \(relativePath)")
    }

    static func candidates(workingDirectory: String, executablePath: String?) -> [String] {
        var result = [Path.join(workingDirectory, relativePath)]
        if let executablePath {
            var directory = Path.parent(Path.resolved(executablePath, from: currentDirectory()))
            // bin/, release/, <triple>/, .build/: four levels reach a source checkout.
            for _ in 0..<4 {
                directory = Path.parent(directory)
                let path = Path.join(directory, relativePath)
                if !result.contains(path) { result.append(path) }
                if directory == "/" { break }
            }
        }
        return result
    }

    /// The working directory, or "." when it cannot be named (it was deleted).
    @usableFromInline
    static func currentDirectory() -> String {
        Path.currentDirectory() ?? "."
    }

    /// The running binary's path, from /proc/self/exe; nil without /proc.
    public static func executablePath() -> String? {
        Path.realPath("/proc/self/exe")
    }

    /// `${...}` tokens in the text (placeholders of older demo files, no longer filled in), for
    /// a clear error.
    public var unknownPlaceholders: [String] {
        let known = Set(DemoEndpoints.Placeholder.allCases.map(\.token))
        var found: [String] = []
        var rest = text[...]
        while let start = rest.firstRange(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            let token = String(rest[start.lowerBound...end])
            if !known.contains(token) && !found.contains(token) { found.append(token) }
            rest = rest[rest.index(after: end)...]
        }
        return found
    }
}
