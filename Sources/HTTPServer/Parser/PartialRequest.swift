/// The request being parsed: what the request line and header lines said so far.
struct PartialRequest: Sendable {
    var method = ""
    var target = ""
    var path = ""
    var query = ""
    var version = HTTPVersion.http1_1
    var headers = HTTPHeaders()
    var body: [UInt8] = []
    /// Bytes of header (and trailer) lines counted against ``Limits/maxHeaderBytes``.
    var headerBytes = 0
    /// Header and trailer lines counted against ``Limits/maxHeaderCount``.
    var fieldCount = 0
    /// CRLFs skipped before the request line (RFC 9112 §2.2), bounded by the request line limit.
    var leadingEmptyBytes = 0

    var contentLength: Int?
    var contentLengthTooLarge = false
    var transferEncodings: [String] = []
    var hostCount = 0
    var connectionClose = false
    var connectionKeepAlive = false
    var expectations: [String] = []

    var keepAlive: Bool {
        if connectionClose { return false }
        return version == .http1_1 || connectionKeepAlive
    }

    func makeRequest() -> HTTPRequest {
        HTTPRequest(
            method: method, target: target, path: path, query: query, version: version,
            headers: headers, body: body, keepAlive: keepAlive
        )
    }
}

/// Header names the parser acts on, matched case-insensitively on bytes.
enum FramingField {
    case contentLength
    case transferEncoding
    case host
    case connection
    case expect
    case other

    private static let names: [(FramingField, [UInt8])] = [
        (.contentLength, Array("content-length".utf8)),
        (.transferEncoding, Array("transfer-encoding".utf8)),
        (.host, Array("host".utf8)),
        (.connection, Array("connection".utf8)),
        (.expect, Array("expect".utf8)),
    ]

    static func classify(_ name: UnsafeBufferPointer<UInt8>) -> FramingField {
        for (field, lower) in names where lower.count == name.count {
            var equal = true
            for index in 0..<name.count where asciiLower(name[index]) != lower[index] {
                equal = false
                break
            }
            if equal { return field }
        }
        return .other
    }
}

extension String {
    /// The comma-separated elements of a field value, trimmed, lowercased (ASCII).
    var lowercasedListElements: [String] {
        split(separator: ",").map { element in
            String(decoding: element.utf8.map(asciiLower), as: UTF8.self)
                .trimmingSpacesAndTabs()
        }.filter { !$0.isEmpty }
    }

    func trimmingSpacesAndTabs() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == .space || bytes[start] == .tab) { start += 1 }
        while end > start && (bytes[end - 1] == .space || bytes[end - 1] == .tab) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
