extension HTTPServer {
    /// How the server listens and what it allows.
    public struct Configuration: Sendable {
        /// Addresses to listen on, all at once: "127.0.0.1:9100", "[::1]:0", "localhost:9100",
        /// ":10027" (every IPv6 and IPv4 address). Port 0 picks a free port; see
        /// ``HTTPServer/boundAddresses``. Default `[":10027"]`.
        public var listenAddresses: [String]
        /// Bounds on clients; see ``Limits`` for each default and status.
        public var limits: Limits
        /// Most handler calls in flight at once (`--web.max-requests`); one more is answered 503
        /// at once (promhttp's convention). 0 means unlimited. Default 40.
        public var maxConcurrentHandlers: Int
        /// Bodies shorter than this many bytes are never gzipped (not worth it). Default 1,024;
        /// a negative value turns gzip off.
        public var gzipMinimumBytes: Int
        /// TLS, basic auth, response headers and rate limit from a web config, with its reload;
        /// nil (the default) serves plain HTTP to anyone and never touches OpenSSL.
        public var webSecurity: WebSecuritySetup? = nil

        public init(
            listenAddresses: [String] = [":10027"],
            limits: Limits = Limits(),
            maxConcurrentHandlers: Int = 40,
            gzipMinimumBytes: Int = 1024
        ) {
            self.listenAddresses = listenAddresses
            self.limits = limits
            self.maxConcurrentHandlers = maxConcurrentHandlers
            self.gzipMinimumBytes = gzipMinimumBytes
        }
    }
}
