import Glibc

/// Private directories for files that must not outlive a run (the demo's CURVE keys).
extension Files {
    /// Creates a new directory with mode 0700 under `$TMPDIR` (else /tmp), named `prefix` and six
    /// random characters (`mkdtemp(3)`, so no other user can have made it first), and returns its path.
    public static func makePrivateTemporaryDirectory(prefix: String) -> Result<String, ReadError> {
        var base = getenv("TMPDIR").map { String(cString: $0) } ?? ""
        if base.isEmpty { base = "/tmp" }
        if base.hasSuffix("/") { base.removeLast() }
        var template = Array("\(base)/\(prefix)XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            return .failure(ReadError(message: "cannot create a directory in \(base): \(String(cString: strerror(errno)))"))
        }
        return .success(String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Creates the directory `path` with exactly `mode` (the umask cannot change it).
    public static func makeDirectory(_ path: String, mode: UInt32) -> Result<Void, ReadError> {
        guard mkdir(path, 0o700) == 0 else {
            return .failure(ReadError(message: "cannot create \(path): \(String(cString: strerror(errno)))"))
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            return .failure(ReadError(message: "cannot set the mode of \(path): \(String(cString: strerror(errno)))"))
        }
        return .success(())
    }

    /// Removes the file or empty directory at `path`; true when it is gone (or was never there).
    @discardableResult
    public static func remove(_ path: String) -> Bool {
        if unlink(path) == 0 || errno == ENOENT { return true }
        guard errno == EISDIR || errno == EPERM else { return false }
        return rmdir(path) == 0 || errno == ENOENT
    }
}
