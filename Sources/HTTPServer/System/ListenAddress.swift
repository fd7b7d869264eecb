/// A parsed `--web.listen-address` value: "host:port", "[v6]:port" or ":port" (all addresses).
struct ListenAddress: Equatable {
    /// Empty for "all addresses"; IPv6 literals are stored without brackets.
    let host: String
    let port: UInt16
    let original: String

    /// Parses `text`, throwing ``HTTPServerError/invalidListenAddress(_:reason:)`` with the reason.
    init(parsing text: String) throws(HTTPServerError) {
        original = text
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .invalidListenAddress(text, reason: "missing \"]\" after the IPv6 address")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw .invalidListenAddress(text, reason: "expected \":PORT\" after \"]\"")
            }
            portPart = rest.dropFirst()
            if hostPart.isEmpty { throw .invalidListenAddress(text, reason: "empty IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalidListenAddress(text, reason: "expected HOST:PORT or :PORT")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw .invalidListenAddress(text, reason: "IPv6 addresses need brackets, e.g. [::1]:9100")
            }
        }
        guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portPart), port <= 65535
        else {
            throw .invalidListenAddress(text, reason: "port must be a number from 0 to 65535")
        }
        host = String(hostPart)
        self.port = UInt16(port)
    }
}
