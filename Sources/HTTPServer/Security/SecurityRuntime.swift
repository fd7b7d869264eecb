import Glibc
import Logging

/// The event loop's view of the access policy: the current ``WebSecurity``, the rate limiter,
/// the auth cache and pool, and the reload check. Touched by the loop thread only, apart from
/// the cache, the pool and the recorder, which are thread-safe.
final class SecurityRuntime {
    let setup: WebSecuritySetup
    let recorder: SecurityRecorder
    let cache = AuthCache()
    let authPool = AuthPool()
    let handshakeTimeout: UInt64
    private(set) var policy: WebSecurity
    /// Set while the web config file is invalid: every request is answered 500 with it.
    private(set) var failClosed: String?
    private(set) var headerBytes: [UInt8] = []
    var bucket: TokenBucket?
    private var files: [String]
    private var stamps: [FileStamp?]
    private var nextCheck: UInt64 = 0
    private var lastProblem: String?

    /// Reloads are looked for at most this often (on accept and before each request).
    static let checkInterval: UInt64 = 1_000_000_000

    init(setup: WebSecuritySetup, recorder: SecurityRecorder, now: UInt64) {
        self.setup = setup
        self.recorder = recorder
        handshakeTimeout = setup.handshakeTimeout.nanoseconds
        policy = setup.initial.security
        files = setup.initial.files
        stamps = files.map(FileStamp.of)
        recorder.enabled.store(true, ordering: .relaxed)
        install(setup.initial.security, now: now)
    }

    private func install(_ security: WebSecurity, now: UInt64) {
        let oldLimit = policy.rateLimit
        policy = security
        failClosed = nil
        headerBytes = []
        for (name, value) in security.responseHeaders { PreparedResponse.appendField(&headerBytes, name, value) }
        if let limit = security.rateLimit {
            if bucket == nil || oldLimit != limit { bucket = TokenBucket(interval: limit.interval, burst: limit.burst, now: now) }
        } else {
            bucket = nil
        }
        recorder.certificateExpiry.store(security.tls?.certificateExpiry ?? .min, ordering: .relaxed)
        recorder.lastReloadSuccessful.store(true, ordering: .relaxed)
    }

    /// Reloads when a watched file changed; at most once per ``checkInterval``.
    func checkForChanges(now: UInt64, logger: Logger) {
        guard now >= nextCheck else { return }
        nextCheck = now + Self.checkInterval
        let current = files.map(FileStamp.of)
        guard current != stamps else { return }
        switch setup.reload() {
        case .success(let loaded):
            install(loaded.security, now: now)
            // Stamps taken before reading: a write in between causes one more reload, never a missed one.
            let sameFiles = loaded.files == files
            files = loaded.files
            stamps = sameFiles ? current : loaded.files.map(FileStamp.of)
            lastProblem = nil
            logger.info("web config reloaded", metadata: ["tls": "\(loaded.security.tls != nil)", "users": "\(loaded.security.users.count)"])
        case .failure(let error) where error.kind == .material:
            // A certificate rotated without its key yet: keep serving the old pair, try again.
            recorder.lastReloadSuccessful.store(false, ordering: .relaxed)
            if lastProblem != error.message {
                logger.warning("web config reload failed; the running TLS settings stay, retrying", metadata: ["error": "\(error.message)"])
                lastProblem = error.message
            }
        case .failure(let error):
            stamps = current
            failClosed = error.message
            recorder.lastReloadSuccessful.store(false, ordering: .relaxed)
            logger.error("web config is invalid; every request is answered 500 until it is fixed", metadata: ["error": "\(error.message)"])
        }
    }
}

/// What identifies a file's content cheaply: a rename-over changes the inode, an edit the size or mtime.
struct FileStamp: Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let seconds: Int
    let nanoseconds: Int

    static func of(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                         seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
    }
}
