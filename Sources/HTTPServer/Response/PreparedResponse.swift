/// A handler's response turned into what the wire needs, prepared on the worker thread so the
/// loop only adds the status line, Date, Content-Length and Connection.
struct PreparedResponse: Sendable {
    var status: Int
    /// Serialized header lines ("Name: value\r\n"...) other than those the loop adds.
    var fields: [UInt8]
    /// The body's parts, sent one after another.
    var body: [[UInt8]]
    /// False for HEAD (RFC 9110 §9.3.2: same headers, no body) and for 1xx/204/304.
    var sendBody: Bool
    /// The response forces the connection closed (every server-made error does).
    var close: Bool

    /// 204, 304 and 1xx responses carry neither body nor Content-Length (RFC 9110 §8.6).
    var hasContentLength: Bool { status >= 200 && status != 204 && status != 304 }

    var bodyCount: Int { body.byteCount }

    /// A server-made error: short plain-text body, `Connection: close`.
    static func error(_ status: Int, _ message: String, extraFields: [(String, String)] = []) -> PreparedResponse {
        plain(status, message, extraFields: extraFields, close: true)
    }

    /// A short plain-text answer made by the server itself (an error, a redirect); an empty
    /// `message` gives an empty body. `head` leaves the body out, as for any HEAD.
    static func plain(_ status: Int, _ message: String, extraFields: [(String, String)] = [], close: Bool, head: Bool = false) -> PreparedResponse {
        var fields = [UInt8]()
        appendField(&fields, "Content-Type", "text/plain; charset=utf-8")
        for (name, value) in extraFields { appendField(&fields, name, value) }
        let body = message.isEmpty ? [] : [Array((message + "\n").utf8)]
        return PreparedResponse(status: status, fields: fields, body: body, sendBody: !head, close: close)
    }

    /// Validates and serializes a handler's response: server-owned names are dropped, the body is
    /// gzipped when allowed, worthwhile and smaller.
    static func prepare(
        _ response: HTTPResponse, method: String, acceptEncoding: String?, gzipMinimumBytes: Int
    ) -> PreparedResponse {
        // Interim (1xx) and made-up codes would desynchronise the client; the handler is at fault.
        guard (200...599).contains(response.status) else {
            return .error(500, "internal error: handler returned status \(response.status)")
        }
        var fields = [UInt8]()
        fields.reserveCapacity(128)
        var hasContentEncoding = false
        for (name, value) in response.headers {
            guard isValidName(name), isValidValue(value) else { continue }
            switch name.lowercasedASCII {
            case "content-length", "transfer-encoding", "connection", "date", "keep-alive":
                continue
            case "content-encoding":
                hasContentEncoding = true
            default:
                break
            }
            appendField(&fields, name, value)
        }
        var body = response.bodyParts
        let bodyCount = response.bodyCount
        let bodyAllowed = response.status != 204 && response.status != 304
        if bodyAllowed && !hasContentEncoding && gzipMinimumBytes >= 0 && bodyCount >= gzipMinimumBytes {
            appendField(&fields, "Vary", "Accept-Encoding")
            if AcceptEncoding.allowsGzip(acceptEncoding), let compressed = Gzip.compress(body), compressed.count < bodyCount {
                appendField(&fields, "Content-Encoding", "gzip")
                body = [compressed]
            }
        }
        if !bodyAllowed { body = [] }
        return PreparedResponse(
            status: response.status, fields: fields, body: body,
            sendBody: bodyAllowed && method != "HEAD", close: false
        )
    }

    static func appendField(_ fields: inout [UInt8], _ name: String, _ value: String) {
        fields.append(contentsOf: name.utf8)
        fields.append(.colon)
        fields.append(.space)
        fields.append(contentsOf: value.utf8)
        fields.append(.cr)
        fields.append(.lf)
    }

    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(ByteClass.isToken)
    }

    private static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { ByteClass.fieldValue[Int($0)] }
    }
}
