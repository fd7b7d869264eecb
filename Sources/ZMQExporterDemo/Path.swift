import Glibc
import ZMQExporter

/// The few path operations the demo needs to find its config file, on plain strings.
enum Path {
    /// `directory/relative`, with one slash between them.
    static func join(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// `path` without its last component; "/" for a top-level path and for "/" itself.
    static func parent(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = path[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }

    /// The canonical absolute path of an existing file, with every symbolic link resolved.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` with its links resolved when it exists; else, when relative, put under `directory`.
    static func resolved(_ path: String, from directory: String) -> String {
        if let real = realPath(path) { return real }
        return path.hasPrefix("/") ? path : join(directory, path)
    }

    static func currentDirectory() -> String? {
        guard let buffer = getcwd(nil, 0) else { return nil }
        defer { free(buffer) }
        return String(cString: buffer)
    }
}
