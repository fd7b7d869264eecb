/// Parsers for the scalar forms a config file uses. Each returns nil when the text does not fit.
public enum ConfigValues {
    /// A duration as Prometheus writes them: one or more number-unit pairs, largest unit first,
    /// each unit at most once: `1h30m`, `1m30s`, `2d`, `1w`, `1y`, `500ms`, and also `1.5s`,
    /// `100us`/`100µs`, `250ns`. Units: y (365 d), w, d, h, m, s, ms, us/µs, ns. A bare number is
    /// not a duration; nil for anything else or for a total of a billion seconds or more.
    public static func duration(_ text: String) -> Duration? {
        // Longest suffixes first where one unit's name ends another's (ms, us, ns before s, m).
        let units: [(name: String, seconds: Double)] = [
            ("y", 365 * 86_400), ("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("ms", 1e-3), ("m", 60),
            ("s", 1), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9),
        ]
        // The order they must come in, largest first.
        let rank: [String: Int] = ["y": 0, "w": 1, "d": 2, "h": 3, "m": 4, "s": 5, "ms": 6, "us": 7, "µs": 7, "ns": 8]
        var rest = Substring(text)
        var total = 0.0
        var lastRank = -1
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number), value.isFinite else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.name) }), let r = rank[unit.name], r > lastRank else { return nil }
            rest = rest.dropFirst(unit.name.count)
            lastRank = r
            total += value * unit.seconds
        }
        guard total < 1e9 else { return nil }
        return .nanoseconds(Int64((total * 1e9).rounded()))
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
