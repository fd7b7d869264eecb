/// Parsers for the scalar forms a config file uses. Each returns nil when the text does not fit.
public enum ConfigValues {
    /// `250ms`, `5s`, `1.5s`, `2m`, `1h`, `100us`; a bare number is not a duration.
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let value = Double(number), value.isFinite, value >= 0, value * scale < 1e9 else { return nil }
            let nanoseconds = (value * scale * 1e9).rounded()
            return .nanoseconds(Int64(nanoseconds))
        }
        return nil
    }

    enum EndpointMode { case bind, connect }

    /// Checks `tcp://host:port`, `ipc://path` and `inproc://name`; returns a reason when invalid.
    /// Port `*` (libzmq picks one) and host `*` (all interfaces) are for bind only.
    static func endpointProblem(_ endpoint: String, mode: EndpointMode) -> String? {
        let shape = "an endpoint is tcp://host:port, ipc://path or inproc://name"
        guard let schemeEnd = endpoint.firstRange(of: "://") else { return "'\(endpoint)' has no scheme: \(shape)" }
        let scheme = endpoint[..<schemeEnd.lowerBound]
        let rest = String(endpoint[schemeEnd.upperBound...])
        switch scheme {
        case "ipc", "inproc":
            if rest.isEmpty { return "'\(endpoint)' has an empty \(scheme) name" }
            if rest.contains(where: { $0 == "\0" || $0.isNewline }) { return "'\(endpoint)' has a control character" }
            return nil
        case "tcp":
            guard let colon = rest.lastIndex(of: ":") else { return "'\(endpoint)' has no port: \(shape)" }
            let host = rest[..<colon]
            let port = rest[rest.index(after: colon)...]
            if host.isEmpty { return "'\(endpoint)' has no host" }
            if host.contains(where: { $0.isWhitespace || $0 == "/" }) { return "'\(endpoint)' has an invalid host" }
            if host.hasPrefix("[") != host.hasSuffix("]") { return "'\(endpoint)' has an unclosed IPv6 bracket" }
            if host == "*" && mode == .connect { return "'\(endpoint)': host * is for bind only" }
            if port == "*" || port == "0" {
                return mode == .bind ? nil : "'\(endpoint)': port \(port) is for bind only"
            }
            guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (1...65535).contains(number) else {
                return "'\(endpoint)' has an invalid port '\(port)' (1-65535, or * to let libzmq pick one)"
            }
            return nil
        default:
            return "'\(endpoint)' has an unsupported scheme '\(scheme)': \(shape)"
        }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_-]*`
    static func isValidSocketName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == "-" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    /// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
    static func isValidLabelName(_ name: String) -> Bool {
        guard !name.hasPrefix("__"), !name.contains("-") else { return false }
        return isValidSocketName(name)
    }
}
