import Glibc

/// Lists the stats files in the preload library's directory (`ZMQ_EXPORTER_DIR`) and decodes
/// each one. Files are opened `O_NOFOLLOW`, must be regular, owned by an allowed uid and no
/// larger than a slot table can be; each is read with `pread` (not mapped: a file another user
/// truncates would kill a mapped reader with SIGBUS) and closed before the next.
public struct PreloadDirectory: Sendable {
    /// The library's default, `/dev/shm/zmq-exporter`.
    public static let defaultPath = "/dev/shm/zmq-exporter"
    public static let fileExtension = ".zmqstats"

    public var path: String
    /// Owners whose files are read; others are reported as ``ScanError/notAllowedOwner(_:)``.
    public var allowedOwners: Set<UInt32>
    /// How often to read a file again whose names or endpoints changed while it was read.
    public var attempts = 3

    /// - Parameter allowedOwners: default: this process's uid and root.
    public init(path: String = PreloadDirectory.defaultPath, allowedOwners: Set<UInt32>? = nil) {
        self.path = path
        self.allowedOwners = allowedOwners ?? [getuid(), 0]
    }

    public enum ScanError: Error, Sendable, Equatable, CustomStringConvertible {
        case cannotOpenDirectory(errno: Int32)
        case cannotOpen(errno: Int32)
        case notRegularFile
        case notAllowedOwner(UInt32)
        case tooLarge(Int)
        case cannotRead(errno: Int32)
        case invalid(PreloadFileError)

        public var description: String {
            switch self {
            case .cannotOpenDirectory(let code): "cannot open the directory: \(String(cString: strerror(code)))"
            case .cannotOpen(let code): "cannot open: \(String(cString: strerror(code)))"
            case .notRegularFile: "not a regular file"
            case .notAllowedOwner(let uid): "owned by uid \(uid), which is not allowed"
            case .tooLarge(let size): "\(size) bytes: larger than any stats file"
            case .cannotRead(let code): "cannot read: \(String(cString: strerror(code)))"
            case .invalid(let error): error.description
            }
        }
    }

    /// One file of the directory.
    public struct Entry: Sendable {
        public var fileName: String
        public var result: Result<PreloadProcess, ScanError>
        /// The writer still holds its lock: the process is alive. False for an exited process
        /// (its final counts stay readable) and for files that could not be opened.
        public var writerAlive: Bool
    }

    static var maximumFileSize: Int { 1 << 20 + PreloadFile.maximumSlots * (1 << 16) }

    /// Every `*.zmqstats` file, by name; the directory's own failure as a thrown error.
    public func scan() throws(ScanError) -> [Entry] {
        guard let directory = opendir(path) else { throw .cannotOpenDirectory(errno: errno) }
        defer { closedir(directory) }
        let directoryFD = dirfd(directory)
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(Self.fileExtension), !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted().map { name in
            let (result, alive) = read(name, in: directoryFD)
            return Entry(fileName: name, result: result, writerAlive: alive)
        }
    }

    /// Reads one file relative to an open directory; the descriptor is closed on every path.
    func read(_ name: String, in directoryFD: Int32) -> (Result<PreloadProcess, ScanError>, Bool) {
        let fd = openat(directoryFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return (.failure(.cannotOpen(errno: errno)), false) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return (.failure(.cannotOpen(errno: errno)), false) }
        guard info.st_mode & S_IFMT == S_IFREG else { return (.failure(.notRegularFile), false) }
        guard allowedOwners.contains(info.st_uid) else { return (.failure(.notAllowedOwner(info.st_uid)), false) }
        let size = Int(info.st_size)
        guard size <= Self.maximumFileSize else { return (.failure(.tooLarge(size)), false) }
        let alive = Self.writerHoldsLock(fd)
        var last: Result<PreloadProcess, ScanError> = .failure(.invalid(.empty))
        for _ in 0..<max(1, attempts) {
            // Read twice: names and endpoints are consistent when every slot's sequence counter
            // is even and the same in both copies (the writer's seqlock).
            let first: [UInt8], second: [UInt8]
            switch (Self.readAll(fd, size: size), Self.readAll(fd, size: size)) {
            case (.success(let a), .success(let b)): (first, second) = (a, b)
            case (.failure(let error), _), (_, .failure(let error)): return (.failure(error), alive)
            }
            do {
                let process = try PreloadFile.parse(first)
                if PreloadFile.sequences(first) == PreloadFile.sequences(second) { return (.success(process), alive) }
                last = .failure(.invalid(.slotBeingWritten(-1)))
            } catch .slotBeingWritten(let slot) {
                last = .failure(.invalid(.slotBeingWritten(slot)))
            } catch {
                return (.failure(.invalid(error)), alive)
            }
        }
        return (last, alive)
    }

    /// The writer holds LOCK_EX for its whole life; getting LOCK_SH means it has exited.
    static func writerHoldsLock(_ fd: Int32) -> Bool {
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    static func readAll(_ fd: Int32, size: Int) -> Result<[UInt8], ScanError> {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if count > 0 {
                done += count
            } else if count == 0 {
                break // shrank under us: parse what is there, the checks will say why
            } else if errno != EINTR {
                return .failure(.cannotRead(errno: errno))
            }
        }
        return .success(Array(bytes[0..<done]))
    }
}
