import Posix
/// The access policy of an HTTP server: TLS, basic-auth users, extra response headers and a rate
/// limit; what exporter-toolkit's web config file describes, as plain values.
public struct WebSecurity: Sendable {
    /// A token bucket: `burst` requests at once, then one per `interval`; beyond: 429.
    public struct RateLimit: Sendable, Equatable {
        public var interval: Duration
        public var burst: Int

        public init(interval: Duration, burst: Int) {
            self.interval = interval
            self.burst = burst
        }
    }

    /// Serves TLS on every listener when set; new connections use the current one.
    public var tls: TLSServerContext?
    /// User name to bcrypt hash (checked with ``Bcrypt/isValidHash(_:)``); empty means no auth.
    public var users: [String: String]
    /// Added to every response.
    public var responseHeaders: [(String, String)]
    public var rateLimit: RateLimit?
    /// A hash at the highest configured cost, checked for unknown users so that they cost as
    /// much as known ones.
    let dummyHash: String?

    public init(tls: TLSServerContext? = nil, users: [String: String] = [:], responseHeaders: [(String, String)] = [], rateLimit: RateLimit? = nil) {
        self.tls = tls
        self.users = users
        self.responseHeaders = responseHeaders
        self.rateLimit = rateLimit
        let cost = users.values.compactMap(Bcrypt.cost(of:)).max()
        dummyHash = cost.flatMap(Self.dummyHash(cost:))
    }

    private static let dummies = Locked<[Int: String]>([:])

    /// One dummy hash per cost for the process' life: a reload that keeps the costs hashes nothing.
    private static func dummyHash(cost: Int) -> String? {
        if let known = dummies.withLock({ $0[cost] }) { return known }
        guard let made = Bcrypt.hash(password: "zmq-exporter unknown user", cost: cost) else { return nil }
        dummies.withLock { $0[cost] = made }
        return made
    }
}

/// Where a server's ``WebSecurity`` comes from and how it is reloaded.
public struct WebSecuritySetup: Sendable {
    /// Why a reload failed. A `.config` failure (the file is invalid) makes every request 500
    /// until fixed; a `.material` failure (a certificate and key that do not match yet, a file
    /// missing mid-rotation) keeps the running policy and is retried.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable { case config, material }
        public var kind: Kind
        public var message: String

        public init(_ kind: Kind, _ message: String) {
            self.kind = kind
            self.message = message
        }

        public var description: String { message }
    }

    /// A loaded policy and the files it was read from (watched for changes).
    public struct Loaded: Sendable {
        public var security: WebSecurity
        public var files: [String]

        public init(security: WebSecurity, files: [String]) {
            self.security = security
            self.files = files
        }
    }

    public var initial: Loaded
    /// Re-reads the policy; called on the event loop thread, at most once a second and only
    /// when a watched file's inode, size or modification time changed.
    public var reload: @Sendable () -> Result<Loaded, LoadError>
    /// Paths answered without credentials (e.g. /-/healthy); /metrics should never be one.
    public var authExemptPaths: Set<String>
    /// Time a TLS client has from connecting to finishing its handshake. Default 10 s.
    public var handshakeTimeout: Duration

    public init(initial: Loaded, reload: @escaping @Sendable () -> Result<Loaded, LoadError>,
                authExemptPaths: Set<String> = [], handshakeTimeout: Duration = .seconds(10)) {
        self.initial = initial
        self.reload = reload
        self.authExemptPaths = authExemptPaths
        self.handshakeTimeout = handshakeTimeout
    }
}
