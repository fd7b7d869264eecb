import Glibc

/// File permissions, for key files: a secret key readable by others is refused, and new key files
/// are created with an exact mode whatever the umask.
extension Files {
    /// The permission bits (`st_mode & 0o7777`) of the file at `path`, following symlinks.
    public static func permissions(_ path: String) -> Result<UInt32, ReadError> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(ReadError(message: "cannot read the file: \(String(cString: strerror(errno)))"))
        }
        return .success(UInt32(info.st_mode) & 0o7777)
    }

    /// Creates the file at `path` holding `bytes`, with exactly `mode` (fchmod, so the umask
    /// cannot widen or narrow it). Refuses to replace an existing file (`O_EXCL`): a key
    /// generator must never overwrite a key in use.
    public static func create(_ path: String, _ bytes: [UInt8], mode: UInt32) -> Result<Void, ReadError> {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode & 0o600))
        guard fd >= 0 else { return .failure(ReadError(message: "cannot create \(path): \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        // The file is created owner-only and widened after: a secret is never readable by others,
        // not even for a moment.
        guard fchmod(fd, mode_t(mode)) == 0 else {
            return .failure(ReadError(message: "cannot set the mode of \(path): \(String(cString: strerror(errno)))"))
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return .failure(ReadError(message: "cannot write \(path): \(String(cString: strerror(errno)))"))
            }
            offset += written
        }
        return .success(())
    }
}
