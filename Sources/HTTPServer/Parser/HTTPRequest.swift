/// One complete, validated request as the parser produced it.
public struct HTTPRequest: Sendable {
    /// The method exactly as sent (methods are case-sensitive): "GET", "HEAD", "POST"...
    public var method: String
    /// The request target as sent, e.g. "/metrics?name[]=x".
    public var target: String
    /// The target's path without the query ("/metrics"); "*" for `OPTIONS *`.
    public var path: String
    /// The text after "?", without it; empty when there is none.
    public var query: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The body, de-chunked; empty when none was sent.
    public var body: [UInt8]
    /// Whether the connection stays open after the response (HTTP/1.1 unless "Connection: close";
    /// HTTP/1.0 only with "Connection: keep-alive").
    public var keepAlive: Bool

    public init(
        method: String, target: String, path: String, query: String = "",
        version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// The first value of header `name`, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name]
    }
}
