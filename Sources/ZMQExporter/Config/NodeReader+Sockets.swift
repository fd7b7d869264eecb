import ZeroMQ

/// The config's own shape: `sockets:` and each role's keys.
extension NodeReader {
    static let endpointKeys: Set<String> = [
        "bind", "connect", "sndhwm", "rcvhwm", "linger", "reconnect_ivl", "reconnect_ivl_max",
        "heartbeat_ivl", "heartbeat_timeout", "heartbeat_ttl", "min_peers", "curve",
    ]
    static let commonKeys: Set<String> = ["name", "role", "buckets"]
    static let tapKeys: Set<String> = ["type", "subscribe", "decode", "labels", "max_label_values", "max_series", "timestamp"]
    static let probeKeys: Set<String> = ["type", "interval", "timeout", "retries", "request", "expect"]
    static let proxyKeys: Set<String> = ["frontend", "backend", "request_timeout", "max_in_flight"]

    mutating func readConfig(_ root: YAMLNode) -> ExporterConfig {
        guard let top = mapping(root, what: "the top level", allowed: ["sockets", "modules"]) else { return ExporterConfig(sockets: []) }
        let modules = top["modules"].map { readModules($0) } ?? []
        guard let socketsNode = top["sockets"] else {
            fail(root, "missing 'sockets': a list of the sockets to run (`sockets: []` for none)")
            return ExporterConfig(sockets: [], modules: modules)
        }
        guard case .sequence(let sequence) = socketsNode.kind else {
            fail(socketsNode, "'sockets' must be a list")
            return ExporterConfig(sockets: [], modules: modules)
        }
        var sockets: [SocketConfig] = []
        var seen: [String: Int] = [:]
        for item in sequence {
            guard let socket = readSocket(item) else { continue }
            if let line = seen[socket.name] {
                fail(item, "duplicate socket name '\(socket.name)' (first at line \(line))")
                continue
            }
            seen[socket.name] = item.mark.line
            sockets.append(socket)
        }
        checkBindClashes()
        return ExporterConfig(sockets: sockets, modules: modules)
    }

    mutating func readSocket(_ node: YAMLNode) -> SocketConfig? {
        let allowed = Self.commonKeys.union(Self.endpointKeys).union(Self.tapKeys).union(Self.probeKeys).union(Self.proxyKeys)
        let errorsAtStart = errors.count
        guard let map = mapping(node, what: "a socket", allowed: allowed) else { return nil }
        guard let nameNode = map["name"], let name = string(nameNode, what: "name") else {
            fail(node, "a socket needs a 'name'")
            return nil
        }
        guard ConfigValues.isValidSocketName(name) else {
            fail(nameNode, "socket name '\(name)' must match [a-zA-Z_][a-zA-Z0-9_-]*")
            return nil
        }
        // Every error of this socket names it, whichever check found it.
        defer { nameSocket(name, inErrorsFrom: errorsAtStart) }
        guard let roleNode = map["role"], let roleName = string(roleNode, what: "role") else {
            fail(node, "socket '\(name)' needs a 'role': tap, probe or proxy")
            return nil
        }
        let errorsBefore = errors.count
        let keysForRole: Set<String>
        let role: SocketConfig.Role?
        switch roleName {
        case "tap":
            keysForRole = Self.commonKeys.union(Self.endpointKeys).union(Self.tapKeys)
            role = readTap(map, node: node, name: name).map { .tap($0) }
        case "probe":
            keysForRole = Self.commonKeys.union(Self.endpointKeys).union(Self.probeKeys)
            role = readProbe(map, node: node, name: name).map { .probe($0) }
        case "proxy":
            keysForRole = Self.commonKeys.union(Self.proxyKeys)
            role = readProxy(map, node: node, name: name).map { .proxy($0) }
        default:
            fail(roleNode, "socket '\(name)' has role '\(roleName)': use tap, probe or proxy")
            return nil
        }
        for (key, value) in map where !keysForRole.contains(key) {
            fail(value, "key '\(key)' does not apply to a \(roleName) (socket '\(name)')")
        }
        var buckets = SocketConfig.defaultBuckets
        if let bucketsNode = map["buckets"] {
            buckets = readBuckets(bucketsNode) ?? buckets
        }
        guard let role, errors.count == errorsBefore else { return nil }
        return SocketConfig(name: name, role: role, buckets: buckets)
    }

    /// Prefixes `socket 'NAME': ` to the errors since `start` that do not name the socket yet.
    mutating func nameSocket(_ name: String, inErrorsFrom start: Int) {
        for index in start..<errors.count where !errors[index].message.contains("'\(name)'") {
            errors[index].message = "socket '\(name)': " + errors[index].message
        }
    }

    mutating func readBuckets(_ node: YAMLNode) -> [Double]? {
        guard case .sequence(let sequence) = node.kind, !sequence.isEmpty else {
            fail(node, "buckets must be a non-empty list of seconds")
            return nil
        }
        var values: [Double] = []
        for item in sequence {
            guard let text = item.string, let value = Double(text), value.isFinite, value > 0 else {
                fail(item, "a bucket must be a positive number of seconds")
                return nil
            }
            if let last = values.last, value <= last {
                fail(item, "buckets must increase")
                return nil
            }
            values.append(value)
        }
        return values
    }

    /// `bind`, `connect`, the socket options and `min_peers` of one socket or proxy side.
    mutating func readEndpoints(_ map: [String: YAMLNode], node: YAMLNode, type: SocketType, what: String) -> EndpointConfig {
        var config = EndpointConfig(type: type)
        if let bindNode = map["bind"], let list = stringList(bindNode, what: "bind") {
            let itemNodes: [YAMLNode]
            if case .sequence(let items) = bindNode.kind { itemNodes = items } else { itemNodes = [bindNode] }
            for (index, endpoint) in list.enumerated() {
                let itemNode = index < itemNodes.count ? itemNodes[index] : bindNode
                if let problem = ConfigValues.endpointProblem(endpoint, mode: .bind) {
                    fail(itemNode, "\(what): bind \(problem)")
                } else {
                    binds.append(BindSite(endpoint: endpoint, owner: what, node: itemNode))
                }
            }
            config.bind = list
        }
        if let connectNode = map["connect"], let list = stringList(connectNode, what: "connect") {
            for endpoint in list {
                if let problem = ConfigValues.endpointProblem(endpoint, mode: .connect) { fail(connectNode, "\(what): connect \(problem)") }
            }
            config.connect = list
        }
        if config.bind.isEmpty && config.connect.isEmpty {
            fail(node, "\(what) needs at least one 'bind' or 'connect' endpoint")
        }
        if let n = map["sndhwm"] { config.options.sendHighWaterMark = integer(n, what: "sndhwm", range: 0...Int(Int32.max)).map(Int32.init) }
        if let n = map["rcvhwm"] { config.options.receiveHighWaterMark = integer(n, what: "rcvhwm", range: 0...Int(Int32.max)).map(Int32.init) }
        // The ranges libzmq 4.3 accepts; outside them zmq_setsockopt fails with EINVAL at start.
        let anyMilliseconds = -1...Int(Int32.max)
        let nonNegative = 0...Int(Int32.max)
        if let n = map["linger"] { config.options.linger = milliseconds(n, what: "linger", range: anyMilliseconds) }
        if let n = map["reconnect_ivl"] { config.options.reconnectInterval = milliseconds(n, what: "reconnect_ivl", range: anyMilliseconds) }
        if let n = map["reconnect_ivl_max"] { config.options.reconnectIntervalMax = milliseconds(n, what: "reconnect_ivl_max", range: nonNegative) }
        if let n = map["heartbeat_ivl"] { config.options.heartbeatInterval = milliseconds(n, what: "heartbeat_ivl", range: nonNegative) }
        if let n = map["heartbeat_timeout"] { config.options.heartbeatTimeout = milliseconds(n, what: "heartbeat_timeout", range: nonNegative) }
        if let n = map["heartbeat_ttl"] { config.options.heartbeatTTL = milliseconds(n, what: "heartbeat_ttl", range: 0...6_553_599) }
        if let n = map["min_peers"] { config.minPeers = integer(n, what: "min_peers", range: 0...1_000_000) }
        if let n = map["curve"] { config.curve = readCurve(n, what: what) }
        return config
    }
}
