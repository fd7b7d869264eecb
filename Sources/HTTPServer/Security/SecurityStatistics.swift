import Posix
import Synchronization

/// Counters of the access policy, for the exporter's own metrics.
public struct SecurityStatistics: Sendable, Equatable {
    /// Requests refused 401, by reason: missing, malformed, unknown_user, wrong_password.
    public var authFailures: [String: Int]
    /// TLS handshakes that failed, by reason (timeout, http_request, protocol_version, ...).
    public var handshakeFailures: [String: Int]
    /// Requests refused 429.
    public var rateLimited: Int
    /// The served certificate's notAfter, Unix seconds; nil without TLS.
    public var certificateExpiry: Int64?
    /// Whether the last load of the web config (and its certificates) succeeded.
    public var lastReloadSuccessful: Bool
}

/// The thread-safe counters behind ``SecurityStatistics``.
final class SecurityRecorder: Sendable {
    private let authFailures = Locked<[String: Int]>([:])
    private let handshakeFailures = Locked<[String: Int]>([:])
    let rateLimited = Atomic<Int>(0)
    /// Int64.min when no certificate is served.
    let certificateExpiry = Atomic<Int64>(.min)
    let lastReloadSuccessful = Atomic<Bool>(true)
    /// Set once a web config is in use, so a server without one exports none of these.
    let enabled = Atomic<Bool>(false)

    func authFailed(_ reason: String) { authFailures.withLock { $0[reason, default: 0] += 1 } }
    func handshakeFailed(_ reason: String) { handshakeFailures.withLock { $0[reason, default: 0] += 1 } }

    var snapshot: SecurityStatistics? {
        guard enabled.load(ordering: .relaxed) else { return nil }
        let expiry = certificateExpiry.load(ordering: .relaxed)
        return SecurityStatistics(
            authFailures: authFailures.withLock { $0 }, handshakeFailures: handshakeFailures.withLock { $0 },
            rateLimited: rateLimited.load(ordering: .relaxed), certificateExpiry: expiry == .min ? nil : expiry,
            lastReloadSuccessful: lastReloadSuccessful.load(ordering: .relaxed))
    }
}
