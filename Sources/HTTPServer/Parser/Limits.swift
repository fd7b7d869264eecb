/// Bounds on what one client may send or hold, each answered with a specific status.
///
/// The parser enforces the size limits (this file has no imports so the fuzz target can compile
/// it alone); the event loop enforces the timeouts and the connection count. Defaults are close to
/// Go's net/http and nginx, tightened where an exporter never needs more.
public struct Limits: Sendable, Equatable {
    /// Longest request line (method, target, version; without the line ending), in bytes.
    /// Default 8,192 (nginx's header buffer). Over it: 414 URI Too Long.
    public var maxRequestLineBytes: Int
    /// Most bytes in all header lines together (each with its line ending; not the request line,
    /// not the final empty line; chunked trailers count too). Default 65,536: Go allows 1 MiB,
    /// but 1,024 connections holding 1 MiB each is a gigabyte. Over it: 431.
    public var maxHeaderBytes: Int
    /// Most header lines (trailers included). Default 100. Over it: 431.
    public var maxHeaderCount: Int
    /// Largest request body, in bytes, declared or (chunked) received. Default 1 MiB. Over it: 413.
    public var maxBodyBytes: Int
    /// Time from the first byte of a request (or from accept) to the end of its headers.
    /// Default 10 s. Over it: 408 and close (slowloris); a connection that sent nothing is just closed.
    public var headerReadTimeout: Duration
    /// Time from the end of the headers to the end of the body. Default 30 s. Over it: 408 and close.
    public var bodyReadTimeout: Duration
    /// How long a keep-alive connection may wait for its next request. Default 90 s (longer than
    /// a 60 s scrape interval, so Prometheus reuses its connection). Then: closed silently.
    public var idleTimeout: Duration
    /// How long a response may make no progress because the client stopped reading.
    /// Default 30 s. Then: closed (logged at debug level).
    public var writeTimeout: Duration
    /// Most open client connections. Default 1,024. One more is answered 503 and closed.
    public var maxConnections: Int

    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderBytes: Int = 65536,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1 << 20,
        headerReadTimeout: Duration = .seconds(10),
        bodyReadTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(90),
        writeTimeout: Duration = .seconds(30),
        maxConnections: Int = 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.headerReadTimeout = headerReadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
    }
}
