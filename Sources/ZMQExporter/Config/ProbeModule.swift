import ZeroMQ

/// A probe module for `/probe?module=NAME&target=ENDPOINT`, as blackbox_exporter's modules: how
/// to probe, while the target comes with each request. Declared under `modules:` in the config.
public struct ProbeModule: Sendable, Equatable {
    /// `[a-zA-Z_][a-zA-Z0-9_-]*`; the `socket` label of the probe's series.
    public var name: String
    /// REQ or DEALER (a DEALER sends the empty delimiter a REP peer needs).
    public var type: SocketType = .req
    public var request: [UInt8] = Array("ping".utf8)
    /// The reply that counts as success; any reply when nil.
    public var expect: [UInt8]?
    /// The longest a probe waits; cut to Prometheus's scrape timeout minus 0.5 s when shorter.
    public var timeout: Duration = .milliseconds(2500)

    public init(name: String) {
        self.name = name
    }
}

extension NodeReader {
    static let moduleKeys: Set<String> = ["type", "request", "expect", "timeout"]

    /// `modules:`: a mapping of module name to its settings.
    mutating func readModules(_ node: YAMLNode) -> [ProbeModule] {
        guard case .mapping(let entries) = node.kind else {
            fail(node, "'modules' must map a module name to its settings, e.g. {echo: {type: REQ, expect: pong}}")
            return []
        }
        var modules: [ProbeModule] = []
        for (keyNode, value) in entries {
            guard let name = string(keyNode, what: "a module name") else { continue }
            guard ConfigValues.isValidSocketName(name) else {
                fail(keyNode, "module name '\(name)' must match [a-zA-Z_][a-zA-Z0-9_-]*")
                continue
            }
            if modules.contains(where: { $0.name == name }) {
                fail(keyNode, "module '\(name)' appears twice")
                continue
            }
            let errorsBefore = errors.count
            var module = ProbeModule(name: name)
            if let map = mapping(value, what: "module '\(name)'", allowed: Self.moduleKeys) {
                if let n = map["type"], let type = socketType(n, what: "module '\(name)': type", allowed: Self.probeTypes) { module.type = type }
                if let n = map["request"], let text = string(n, what: "module '\(name)': request") { module.request = Array(text.utf8) }
                if let n = map["expect"], let text = string(n, what: "module '\(name)': expect") { module.expect = Array(text.utf8) }
                if let n = map["timeout"], let value = duration(n, what: "module '\(name)': timeout") {
                    if value < .milliseconds(1) { fail(n, "module '\(name)': timeout must be at least 1ms") } else { module.timeout = value }
                }
            }
            if errors.count == errorsBefore { modules.append(module) }
        }
        return modules.sorted { $0.name < $1.name }
    }
}
