import Glibc

/// Lists the stats files in the preload library's directory (`ZMQ_EXPORTER_DIR`) and decodes
/// each one. Files are opened `O_NOFOLLOW`, must be regular, owned by an allowed uid and no
/// larger than a slot table can be; each is read with `pread` (not mapped: a file another user
/// truncates would kill a mapped reader with SIGBUS). ``scan()`` closes each before the next;
/// ``PreloadFileCache`` keeps the ones it decoded open between scrapes.
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
        try list { directoryFD, files in
            files.map { file in
                let (result, alive) = read(file.name, in: directoryFD)
                return Entry(fileName: file.name, result: result, writerAlive: alive)
            }
        }
    }

    /// A `*.zmqstats` name of the directory and the inode the directory gives for it.
    struct Listed {
        var name: String
        var inode: UInt64
    }

    /// Calls `body` with the open directory and its `*.zmqstats` files, sorted by name.
    func list<T>(_ body: (_ directoryFD: Int32, _ files: [Listed]) -> T) throws(ScanError) -> T {
        guard let directory = opendir(path) else { throw .cannotOpenDirectory(errno: errno) }
        defer { closedir(directory) }
        var files: [Listed] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasSuffix(Self.fileExtension), !name.hasPrefix(".") { files.append(Listed(name: name, inode: UInt64(entry.pointee.d_ino))) }
        }
        return body(dirfd(directory), files.sorted { $0.name < $1.name })
    }

    /// Reads one file relative to an open directory; the descriptor is closed on every path.
    func read(_ name: String, in directoryFD: Int32) -> (Result<PreloadProcess, ScanError>, Bool) {
        switch open(name, in: directoryFD) {
        case .failure(let error):
            return (.failure(error), false)
        case .success(let file):
            defer { close(file.fd) }
            return (decode(file).map(\.process), file.alive)
        }
    }

    /// A stats file opened and checked, not read yet. The caller closes `fd`.
    struct OpenFile {
        var fd: Int32
        var size: Int
        var device: UInt64
        var inode: UInt64
        /// Names the file has; 0 once it was removed or renamed over.
        var links: UInt64
        /// The writer still holds its lock.
        var alive: Bool
    }

    /// Opens `name` without following links and checks it (``check(_:)``); the descriptor is
    /// closed on every failure.
    func open(_ name: String, in directoryFD: Int32) -> Result<OpenFile, ScanError> {
        let fd = openat(directoryFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(.cannotOpen(errno: errno)) }
        let checked = check(fd)
        if case .failure = checked { close(fd) }
        return checked
    }

    /// Checks an open stats file as it is now: a regular file of an allowed owner and of a
    /// possible size, and whether its writer holds its lock. The caller keeps or closes `fd`.
    func check(_ fd: Int32) -> Result<OpenFile, ScanError> {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.cannotOpen(errno: errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegularFile) }
        guard allowedOwners.contains(info.st_uid) else { return .failure(.notAllowedOwner(info.st_uid)) }
        guard Int(info.st_size) <= Self.maximumFileSize else { return .failure(.tooLarge(Int(info.st_size))) }
        return .success(OpenFile(fd: fd, size: Int(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                                 links: UInt64(info.st_nlink), alive: Self.writerHoldsLock(fd)))
    }

    /// Decodes an open file, and returns the copy it decoded.
    func decode(_ file: OpenFile) -> Result<(process: PreloadProcess, copy: [UInt8]), ScanError> {
        var last: Result<(process: PreloadProcess, copy: [UInt8]), ScanError> = .failure(.invalid(.empty))
        for _ in 0..<max(1, attempts) {
            // Read twice: names and endpoints are consistent when every slot's sequence counter
            // is even and the same in both copies (the writer's seqlock).
            let first: [UInt8], second: [UInt8]
            switch (Self.readAll(file.fd, size: file.size), Self.readAll(file.fd, size: file.size)) {
            case (.success(let a), .success(let b)): (first, second) = (a, b)
            case (.failure(let error), _), (_, .failure(let error)): return .failure(error)
            }
            do {
                let process = try PreloadFile.parse(first)
                if PreloadFile.sequences(first) == PreloadFile.sequences(second) { return .success((process, first)) }
                last = .failure(.invalid(.slotBeingWritten(-1)))
            } catch .slotBeingWritten(let slot) {
                last = .failure(.invalid(.slotBeingWritten(slot)))
            } catch {
                return .failure(.invalid(error))
            }
        }
        return last
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
        var bytes: [UInt8] = []
        return read(fd, size: size, into: &bytes).map { Array(bytes[0..<$0]) }
    }

    /// Reads up to `size` bytes from the start of the file into `buffer` (grown when short, so
    /// a caller can keep one buffer for every file); returns how many it read, fewer when the
    /// file shrank meanwhile (the checks that follow say why).
    static func read(_ fd: Int32, size: Int, into buffer: inout [UInt8]) -> Result<Int, ScanError> {
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        var done = 0
        while done < size {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if count > 0 {
                done += count
            } else if count == 0 {
                break
            } else if errno != EINTR {
                return .failure(.cannotRead(errno: errno))
            }
        }
        return .success(done)
    }
}
