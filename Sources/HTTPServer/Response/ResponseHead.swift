import Glibc

/// Builds the status line and the headers the loop owns; confined to the loop thread.
struct ResponseHead {
    private var dateSecond = 0
    private var dateLine: [UInt8] = []

    /// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", formatted once per second (no DateFormatter).
    mutating func currentDateLine() -> [UInt8] {
        let now = time(nil)
        if now != dateSecond || dateLine.isEmpty {
            dateSecond = now
            var t = now
            var parts = tm()
            gmtime_r(&t, &parts)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let text = "Date: \(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
                + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT\r\n"
            dateLine = Array(text.utf8)
        }
        return dateLine
    }

    /// The complete head for `response`; `close` adds `Connection: close`, `keepAliveHeader`
    /// adds `Connection: keep-alive` (HTTP/1.0 clients that asked for it).
    mutating func serialize(_ response: PreparedResponse, close: Bool, keepAliveHeader: Bool) -> [UInt8] {
        var head = [UInt8]()
        head.reserveCapacity(160 + response.fields.count)
        head.append(contentsOf: Self.statusLine(response.status))
        head.append(contentsOf: currentDateLine())
        head.append(contentsOf: response.fields)
        if response.hasContentLength {
            head.append(contentsOf: Self.contentLengthPrefix)
            head.append(contentsOf: String(response.bodyCount).utf8)
            head.append(.cr)
            head.append(.lf)
        }
        if close {
            head.append(contentsOf: Self.connectionClose)
        } else if keepAliveHeader {
            head.append(contentsOf: Self.connectionKeepAlive)
        }
        head.append(.cr)
        head.append(.lf)
        return head
    }

    private static let contentLengthPrefix = Array("Content-Length: ".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
    static let continueInterim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let cachedStatusLines: [Int: [UInt8]] = {
        var lines = [Int: [UInt8]]()
        for status in [200, 204, 301, 302, 304, 400, 404, 405, 408, 413, 414, 417, 431, 500, 501, 503, 505] {
            lines[status] = Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
        }
        return lines
    }()

    static func statusLine(_ status: Int) -> [UInt8] {
        cachedStatusLines[status] ?? Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 417: return "Expectation Failed"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
