import ZeroMQ

/// The keys of each role.
extension NodeReader {
    static let tapTypes: [SocketType] = [.sub, .pull, .pair, .dealer, .router]
    static let probeTypes: [SocketType] = [.req, .dealer]

    mutating func readTap(_ map: [String: YAMLNode], node: YAMLNode, name: String) -> TapConfig? {
        guard let typeNode = map["type"] else {
            fail(node, "tap '\(name)' needs a 'type': \(Self.tapTypes.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let type = socketType(typeNode, what: "a tap's type", allowed: Self.tapTypes) else { return nil }
        var tap = TapConfig(socket: readEndpoints(map, node: node, type: type, what: "tap '\(name)'"))
        if let n = map["subscribe"] {
            if type != .sub { fail(n, "subscribe applies to a SUB tap only") }
            tap.subscribe = stringList(n, what: "subscribe") ?? [""]
        }
        if let n = map["decode"], let mode = string(n, what: "decode") {
            switch mode {
            case "json": tap.decodeJSON = true
            case "none": tap.decodeJSON = false
            default: fail(n, "decode '\(mode)' is not supported: use json or none")
            }
        }
        if let n = map["labels"] {
            if case .mapping(let labels) = n.kind {
                for (key, value) in labels {
                    guard let label = string(key, what: "a label name"), let field = string(value, what: "a JSON field name") else { continue }
                    if !ConfigValues.isValidLabelName(label) || label == "socket" {
                        fail(key, "'\(label)' cannot be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not socket, not starting with __)")
                    } else if tap.labels.contains(where: { $0.label == label }) {
                        fail(key, "label '\(label)' appears twice")
                    } else {
                        tap.labels.append(TapLabel(label: label, field: field))
                    }
                }
                tap.labels.sort { $0.label < $1.label }
            } else {
                fail(n, "labels must map a Prometheus label to a JSON field, e.g. {event: event}")
            }
            if !tap.decodeJSON { fail(n, "labels need 'decode: json'") }
        }
        if let n = map["max_label_values"] { tap.maxLabelValues = integer(n, what: "max_label_values", range: 1...100_000) ?? 100 }
        if let n = map["max_series"] { tap.maxSeries = integer(n, what: "max_series", range: 1...1_000_000) ?? TapConfig.defaultMaxSeries }
        // Label combinations are keyed by one Int in the tap's hot path.
        var combinations = 1
        for _ in tap.labels {
            let (product, overflow) = combinations.multipliedReportingOverflow(by: tap.maxLabelValues + 1)
            if overflow {
                fail(map["labels"] ?? node, "\(tap.labels.count) labels with max_label_values \(tap.maxLabelValues) allow too many combinations; use fewer labels or a lower max_label_values")
                break
            }
            combinations = product
        }
        if let n = map["timestamp"] {
            if !tap.decodeJSON { fail(n, "timestamp needs 'decode: json'") }
            if let ts = mapping(n, what: "timestamp", allowed: ["field", "unit"]) {
                let field = ts["field"].flatMap { string($0, what: "timestamp field") }
                if field == nil { fail(n, "timestamp needs a 'field'") }
                var unit = TimestampField.Unit.s
                if let u = ts["unit"], let text = string(u, what: "timestamp unit") {
                    if let parsed = TimestampField.Unit(rawValue: text) { unit = parsed } else { fail(u, "timestamp unit '\(text)' must be s, ms, us or ns") }
                }
                if let field { tap.timestamp = TimestampField(field: field, unit: unit) }
            }
        }
        return tap
    }

    mutating func readProbe(_ map: [String: YAMLNode], node: YAMLNode, name: String) -> ProbeConfig? {
        guard let typeNode = map["type"] else {
            fail(node, "probe '\(name)' needs a 'type': REQ or DEALER")
            return nil
        }
        guard let type = socketType(typeNode, what: "a probe's type", allowed: Self.probeTypes) else { return nil }
        var probe = ProbeConfig(socket: readEndpoints(map, node: node, type: type, what: "probe '\(name)'"))
        if let n = map["interval"], let value = duration(n, what: "interval") {
            if value < .milliseconds(10) { fail(n, "interval must be at least 10ms") } else { probe.interval = value }
        }
        if let n = map["timeout"], let value = duration(n, what: "timeout") {
            if value < .milliseconds(1) { fail(n, "timeout must be at least 1ms") } else { probe.timeout = value }
        }
        if let n = map["retries"] { probe.retries = integer(n, what: "retries", range: 0...100) ?? probe.retries }
        if let n = map["request"], let text = string(n, what: "request") { probe.request = Array(text.utf8) }
        if let n = map["expect"], let text = string(n, what: "expect") { probe.expect = Array(text.utf8) }
        return probe
    }

    mutating func readProxy(_ map: [String: YAMLNode], node: YAMLNode, name: String) -> ProxyConfig? {
        let sideKeys = Self.endpointKeys.union(["type"])
        var sides: [EndpointConfig] = []
        for sideName in ["frontend", "backend"] {
            guard let sideNode = map[sideName] else {
                fail(node, "proxy '\(name)' needs a '\(sideName)'")
                continue
            }
            guard let side = mapping(sideNode, what: "proxy '\(name)' \(sideName)", allowed: sideKeys) else { continue }
            guard let typeNode = side["type"] else {
                fail(sideNode, "proxy '\(name)' \(sideName) needs a 'type'")
                continue
            }
            guard let type = socketType(typeNode, what: "the \(sideName) type", allowed: SocketType.allCases) else { continue }
            sides.append(readEndpoints(side, node: sideNode, type: type, what: "proxy '\(name)' \(sideName)"))
        }
        guard sides.count == 2 else { return nil }
        guard ProxyConfig.pairs.contains(where: { $0 == (sides[0].type, sides[1].type) }) else {
            let pairs = ProxyConfig.pairs.map { "\($0.0.rawValue)/\($0.1.rawValue)" }.joined(separator: ", ")
            fail(map["frontend"], "proxy '\(name)' pairs \(sides[0].type.rawValue)/\(sides[1].type.rawValue): use one of \(pairs)")
            return nil
        }
        var proxy = ProxyConfig(frontend: sides[0], backend: sides[1])
        if let n = map["request_timeout"], let value = duration(n, what: "request_timeout") { proxy.requestTimeout = value }
        if let n = map["max_in_flight"] { proxy.maxInFlight = integer(n, what: "max_in_flight", range: 1...10_000_000) ?? proxy.maxInFlight }
        if proxy.kind != .broker, let n = map["request_timeout"] ?? map["max_in_flight"] {
            fail(n, "request_timeout and max_in_flight apply to a ROUTER/DEALER proxy only")
        }
        return proxy
    }
}
