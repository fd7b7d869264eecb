import Glibc

/// Whole-file reads with open/read, for /proc files and the demo's config.
public enum Files {
    /// The file's bytes, or nil when it cannot be opened or read.
    public static func read(_ path: String) -> [UInt8]? {
        try? contents(path).get()
    }

    /// Why a file could not be read: errno's text, or that it passed the size limit.
    public struct ReadError: Error, Sendable {
        public let message: String
        /// Set when the file could not be opened: `strerror(errno)` of `open`.
        public var openFailure: String? = nil
    }

    /// The file's bytes, or why not; a file longer than `limit` bytes is refused.
    public static func contents(_ path: String, limit: Int = .max) -> Result<[UInt8], ReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let text = String(cString: strerror(errno))
            return .failure(ReadError(message: "cannot read the file: \(text)", openFailure: text))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        return withUnsafeTemporaryAllocation(byteCount: 65536, alignment: 1) { chunk in
            while true {
                let count = Glibc.read(fd, chunk.baseAddress, chunk.count)
                if count > 0 {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
                    if bytes.count > limit { return .failure(ReadError(message: "the file is larger than \(limit >> 20) MiB")) }
                } else if count == 0 {
                    return .success(bytes)
                } else if errno != EINTR {
                    return .failure(ReadError(message: "cannot read the file: \(String(cString: strerror(errno)))"))
                }
            }
        }
    }

    /// The file as text, or nil when it cannot be read or is not valid UTF-8. A leading
    /// byte-order mark, which some editors write, is not part of the text.
    public static func readText(_ path: String) -> String? {
        guard let bytes = read(path) else { return nil }
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let text = bytes.starts(with: byteOrderMark) ? bytes.dropFirst(byteOrderMark.count) : bytes[...]
        return String(validating: text, as: UTF8.self)
    }
}

/// Standard output or standard error, written with write(2) and no buffering, so that a line is
/// out before the next step (scripts read the bound port from standard output).
public enum StandardStream: Sendable {
    case output, error

    var descriptor: Int32 {
        switch self {
        case .output: STDOUT_FILENO
        case .error: STDERR_FILENO
        }
    }

    /// Writes all of `text`, retrying short writes and EINTR. Other errors (a closed pipe) drop
    /// the rest: there is nowhere left to report them.
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
