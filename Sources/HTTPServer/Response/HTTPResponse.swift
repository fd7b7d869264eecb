/// What a route handler returns. The server adds Date, Content-Length and Connection itself (and
/// drops those names from ``headers``), and gzips the body when the client accepts it.
public struct HTTPResponse: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Extra header fields in order; names or values containing CR, LF or NUL are dropped.
    public var headers: [(String, String)]
    /// The body in parts, sent one after another as one body: a body made by two threads is
    /// sent (or gzipped) without first being copied into one array.
    public var bodyParts: [[UInt8]]

    /// The body as one array (the parts joined when there are several).
    public var body: [UInt8] {
        get { Self.join(bodyParts) }
        set { bodyParts = [newValue] }
    }

    /// `parts` one after another in one array. (`Array(parts.joined())` goes byte by byte
    /// through a generic iterator: in a debug build each byte looked up type metadata under a
    /// lock, and four threads joining at once took minutes under ThreadSanitizer.)
    public static func join(_ parts: [[UInt8]]) -> [UInt8] {
        if parts.count == 1 { return parts[0] }
        var whole: [UInt8] = []
        whole.reserveCapacity(parts.byteCount)
        for part in parts { whole.append(contentsOf: part) }
        return whole
    }

    /// The body's length in bytes.
    public var bodyCount: Int { bodyParts.byteCount }

    /// A response with a `Content-Type` header first, then `headers`.
    public init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.init(status: status, contentType: contentType, bodyParts: [body], headers: headers)
    }

    /// A response whose body is `bodyParts` one after another.
    public init(status: Int, contentType: String, bodyParts: [[UInt8]], headers: [(String, String)] = []) {
        self.status = status
        self.headers = [("Content-Type", contentType)] + headers
        self.bodyParts = bodyParts
    }

    /// A response with exactly `headers` (no Content-Type unless given).
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.bodyParts = [body]
    }

    /// `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// `text/html; charset=utf-8`.
    public static func html(_ html: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
    }
}

extension [[UInt8]] {
    /// The bytes of all the parts together.
    var byteCount: Int { reduce(0) { $0 + $1.count } }
}
