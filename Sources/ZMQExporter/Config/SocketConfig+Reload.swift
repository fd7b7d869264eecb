/// What a reload may change on a running socket without closing it, and what it may not.
///
/// ``SocketConfig/tunables`` gathers the settings a runner takes in place (thresholds, labels,
/// buckets, probe timing, proxy bookkeeping); ``SocketConfig/wire`` is the config with those
/// set to fixed values, so its synthesized `==` compares everything else: endpoints, socket
/// types and the options applied at bind/connect. A field added to a config type later counts as
/// wire (the socket restarts) until it is moved into ``SocketConfig/Tunables`` on purpose.
extension SocketConfig {
    public struct Tunables: Sendable, Equatable {
        public var buckets: [Double]
        /// `min_peers` of each side, in the order of ``SocketConfig/sides``.
        public var minPeers: [Int?]
        public var role: Role

        public enum Role: Sendable, Equatable {
            case tap(labels: [TapLabel], maxLabelValues: Int, maxSeries: Int, timestamp: TimestampField?)
            case probe(interval: Duration, timeout: Duration, retries: Int, request: [UInt8], expect: [UInt8]?)
            case proxy(requestTimeout: Duration, maxInFlight: Int)
        }
    }

    public var tunables: Tunables {
        get {
            let role: Tunables.Role
            switch self.role {
            case .tap(let t): role = .tap(labels: t.labels, maxLabelValues: t.maxLabelValues, maxSeries: t.maxSeries, timestamp: t.timestamp)
            case .probe(let p): role = .probe(interval: p.interval, timeout: p.timeout, retries: p.retries, request: p.request, expect: p.expect)
            case .proxy(let p): role = .proxy(requestTimeout: p.requestTimeout, maxInFlight: p.maxInFlight)
            }
            return Tunables(buckets: buckets, minPeers: sides.map(\.endpoints.minPeers), role: role)
        }
        set {
            buckets = newValue.buckets
            switch (self.role, newValue.role) {
            case (.tap(var t), .tap(let labels, let maxLabelValues, let maxSeries, let timestamp)):
                t.labels = labels
                t.maxLabelValues = maxLabelValues
                t.maxSeries = maxSeries
                t.timestamp = timestamp
                t.socket.minPeers = newValue.minPeers.first ?? nil
                self.role = .tap(t)
            case (.probe(var p), .probe(let interval, let timeout, let retries, let request, let expect)):
                p.interval = interval
                p.timeout = timeout
                p.retries = retries
                p.request = request
                p.expect = expect
                p.socket.minPeers = newValue.minPeers.first ?? nil
                self.role = .probe(p)
            case (.proxy(var p), .proxy(let requestTimeout, let maxInFlight)):
                p.requestTimeout = requestTimeout
                p.maxInFlight = maxInFlight
                p.frontend.minPeers = newValue.minPeers.first ?? nil
                p.backend.minPeers = newValue.minPeers.dropFirst().first ?? nil
                self.role = .proxy(p)
            default:
                preconditionFailure("tunables of a \(newValue.role) set on a \(self.role.name)")
            }
        }
    }

    /// The config with every tunable at a fixed value: two configs with equal wires run the
    /// same sockets, so a reload between them changes the running socket in place.
    public var wire: SocketConfig {
        var copy = self
        let role: Tunables.Role
        switch self.role {
        case .tap: role = .tap(labels: [], maxLabelValues: 0, maxSeries: 0, timestamp: nil)
        case .probe: role = .probe(interval: .zero, timeout: .zero, retries: 0, request: [], expect: nil)
        case .proxy: role = .proxy(requestTimeout: .zero, maxInFlight: 0)
        }
        copy.tunables = Tunables(buckets: [], minPeers: sides.map { _ in nil }, role: role)
        return copy
    }

    /// The settings that differ between `self` and `other`, as paths of the config's fields
    /// (`role.tap.socket.bind`, `buckets`), for the reload's log line.
    public func changedFields(from other: SocketConfig) -> [String] {
        var changed: [String] = []
        Self.diff(other, self, path: "", into: &changed)
        return changed
    }

    /// Walks structs and enum payloads field by field; anything else (numbers, strings, lists,
    /// an enum whose case changed) is compared whole by its description.
    private static func diff(_ old: Any, _ new: Any, path: String, into changed: inout [String]) {
        let oldMirror = Mirror(reflecting: old)
        let newMirror = Mirror(reflecting: new)
        let oldChildren = Array(oldMirror.children)
        let newChildren = Array(newMirror.children)
        let walkable = (oldMirror.displayStyle == .struct || oldMirror.displayStyle == .enum)
            && oldMirror.displayStyle == newMirror.displayStyle && !oldChildren.isEmpty
            && oldChildren.count == newChildren.count
            && zip(oldChildren, newChildren).allSatisfy { $0.label == $1.label }
        guard walkable else {
            if String(describing: old) != String(describing: new) { changed.append(path.isEmpty ? "(all)" : path) }
            return
        }
        for (o, n) in zip(oldChildren, newChildren) {
            let name = o.label ?? "?"
            diff(o.value, n.value, path: path.isEmpty ? name : path + "." + name, into: &changed)
        }
    }
}
