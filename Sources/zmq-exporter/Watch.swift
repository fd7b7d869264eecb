import Glibc
import Posix
import ZMQExporter

/// `zmq-exporter watch [--preload.dir DIR] [--preload.library PATH] -- PROGRAM ARGS...`: runs
/// PROGRAM with the preload library in `LD_PRELOAD` (before anything already there) and
/// `ZMQ_EXPORTER_DIR` set, by exec, so its exit status is the command's. 127 when PROGRAM is
/// not found, 126 when it cannot be run, as a shell says; 2 for a command line that does not fit.
struct Watch {
    static let libraryName = "libzmq_exporter_preload.so"

    static var flags: FlagSet {
        var flags = FlagSet(command: "watch", summary: """
            Run a program with the zero-code preload library, which counts its ZeroMQ sockets into a file
            the agent reads (docs/zero-code.md). Usage: zmq-exporter watch [<flags>] -- PROGRAM [ARGS...]
            """)
        flags.value("preload.dir", default: "/dev/shm/zmq-exporter", placeholder: "/dev/shm/zmq-exporter",
                    help: "Directory for the stats files (ZMQ_EXPORTER_DIR).")
        flags.value("preload.library", default: nil, placeholder: "PATH",
                    help: "The preload library; default: ../lib/, the executable's directory, then .build/preload/.")
        return flags
    }

    let directory: String
    let library: String
    let program: [String]

    init(_ parsed: FlagSet.Parsed, program: [String]) throws(UsageError) {
        guard let first = program.first, !first.isEmpty else { throw UsageError("watch needs a program: watch [<flags>] -- PROGRAM [ARGS...]") }
        self.program = program
        directory = parsed.value("preload.dir")
        guard !directory.isEmpty else { throw UsageError("--preload.dir must not be empty") }
        let given = parsed.value("preload.library")
        if !given.isEmpty {
            guard let path = Self.readable(given) else { throw UsageError("--preload.library \(given): no readable file there") }
            library = path
        } else if let found = Self.searchLibrary() {
            library = found
        } else {
            throw UsageError("cannot find \(Self.libraryName) (looked in ../lib and next to the executable, then .build/preload); give --preload.library")
        }
    }

    /// Where a built or installed library sits relative to the executable: `../lib/` (an
    /// installed tree such as /usr/local/bin + /usr/local/lib), the executable's own directory,
    /// then a source checkout's `.build/preload/` (from `.build/debug/` and from the
    /// `.build/<triple>/debug/` it links to), then `.build/preload/` under the current directory.
    static func searchLibrary() -> String? {
        var candidates: [String] = []
        if let executable = realPath("/proc/self/exe") {
            let bin = parent(executable)
            candidates += [bin + "/../lib/", bin + "/", bin + "/../preload/", bin + "/../../preload/"]
        }
        candidates.append(".build/preload/")
        for directory in candidates {
            if let path = readable(directory + libraryName) { return path }
        }
        return nil
    }

    static func readable(_ path: String) -> String? {
        guard access(path, R_OK) == 0 else { return nil }
        return realPath(path)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Replaces this process with the program; returns only when exec failed.
    func run() -> Int32 {
        var preload = library
        if let existing = getenv("LD_PRELOAD"), existing.pointee != 0 { preload += ":" + String(cString: existing) }
        setenv("LD_PRELOAD", preload, 1)
        setenv("ZMQ_EXPORTER_DIR", directory, 1)
        var arguments: [UnsafeMutablePointer<CChar>?] = program.map { strdup($0) }
        arguments.append(nil)
        execvp(program[0], arguments)
        let code = errno
        let status: Int32 = code == ENOENT || code == ENOTDIR ? 127 : 126
        StandardStream.error.write("\(ZMQExporterCommand.program): watch: cannot run \(program[0]): \(String(cString: strerror(code)))\n")
        return status
    }
}
