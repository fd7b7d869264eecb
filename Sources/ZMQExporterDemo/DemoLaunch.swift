import Posix
import ZMQExporter
/// Starts the agent on the demo's configuration and works out the ports the demo system uses.
///
/// With a port base N the demo endpoints (ports 15550-15556 in the file) move to N, N+1, ... and
/// the agent starts as configured.
/// With base 0 there is no fixed port to give them, so the start has two steps: the sockets that
/// bind a demo endpoint (the proxies and the `reports` tap) bind port `*` first, then the
/// placeholders get the ports libzmq picked and the rest of the config (the tap and the probe
/// that connect) starts; the first sockets' configs stay the same, so the agent keeps them
/// running. No port is picked and released, so no race.
///
/// Relative key paths in the file are read from `keyDirectory`, where the demo wrote its keys
/// (``DemoKeys``), not from the file's directory.
public enum DemoLaunch {
    /// A reason the demo cannot start, already phrased for the user.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `agent` on `file` and returns the ports; throws ``Failure`` when the file does not
    /// load or a socket cannot bind (e.g. the port is in use). Waits up to `timeout` for the
    /// sockets that bind.
    public static func start(_ agent: Agent, file: DemoConfigFile, portBase: Int, keyDirectory: String? = nil,
                             timeout: Duration = .seconds(5)) throws(Failure) -> DemoEndpoints {
        if let unknown = file.unknownPlaceholders.first {
            let known = DemoEndpoints.Placeholder.allCases.map(\.token).joined(separator: ", ")
            throw Failure(description: "\(file.source): \(unknown) is not filled in: write the demo's endpoints at their default ports (\(known))")
        }
        // Stand-in ports, one per placeholder, to find which socket side binds each one.
        let markers = DemoEndpoints(ports: Dictionary(uniqueKeysWithValues: DemoEndpoints.Placeholder.allCases.map { ($0, 60001 + $0.rawValue) }), collectorBind: "")
        let marked = try parse(markers.render(file.text), source: file.source, keyDirectory: keyDirectory)
        let (binders, bindings) = wildcardBinds(marked, markers: markers)
        let unbound = DemoEndpoints.Placeholder.allCases.filter { p in !bindings.contains { $0.placeholder == p } }
        if let missing = unbound.first {
            throw Failure(description: "\(file.source): \(missing.token) must appear in a socket's bind: the demo connects there")
        }
        if portBase > 0 {
            let endpoints = DemoEndpoints(base: portBase)
            let config = try parse(endpoints.render(file.text), source: file.source, keyDirectory: keyDirectory)
            agent.start(config)
            try waitForBinds(agent, config: config, timeout: timeout)
            return endpoints
        }
        agent.start(binders)
        try waitForBinds(agent, config: binders, timeout: timeout)
        var ports: [DemoEndpoints.Placeholder: Int] = [:]
        let running = Dictionary(agent.sockets.map { ($0.config.name, $0) }, uniquingKeysWith: { a, _ in a })
        for binding in bindings {
            let resolved = running[binding.socket]?.resolvedEndpoints
            guard let resolved, binding.side < resolved.count, binding.index < resolved[binding.side].count,
                  let port = port(of: resolved[binding.side][binding.index].endpoint) else {
                throw Failure(description: "socket '\(binding.socket)' did not report the port it bound")
            }
            ports[binding.placeholder] = port
        }
        let endpoints = DemoEndpoints(ports: ports, collectorBind: "tcp://127.0.0.1:*")
        var full = try parse(endpoints.render(file.text), source: file.source, keyDirectory: keyDirectory)
        // Keep the first sockets exactly as started (port `*`), so applying the full config leaves them be.
        let started = Dictionary(uniqueKeysWithValues: binders.sockets.map { ($0.name, $0) })
        full.sockets = full.sockets.map { started[$0.name] ?? $0 }
        agent.apply(full)
        return endpoints
    }

    static func parse(_ text: String, source: String, keyDirectory: String?) throws(Failure) -> ExporterConfig {
        do {
            return try ConfigLoader.parse(text, file: source, baseDirectory: keyDirectory)
        } catch {
            throw Failure(description: "invalid demo config (placeholders filled in):\n\(error)")
        }
    }

    struct Binding {
        var socket: String
        var side: Int
        var index: Int
        var placeholder: DemoEndpoints.Placeholder
    }

    /// The sockets of `config` that bind a marker port, with each such bind changed to port `*`,
    /// and where each marker was.
    static func wildcardBinds(_ config: ExporterConfig, markers: DemoEndpoints) -> (ExporterConfig, [Binding]) {
        let byPort = Dictionary(uniqueKeysWithValues: markers.ports.map { ($1, $0) })
        var bindings: [Binding] = []
        var binders: [SocketConfig] = []
        for var socket in config.sockets {
            var sides = socket.sides.map(\.endpoints)
            let before = bindings.count
            for sideIndex in sides.indices {
                for (index, endpoint) in sides[sideIndex].bind.enumerated() {
                    guard let port = port(of: endpoint), let placeholder = byPort[port] else { continue }
                    sides[sideIndex].bind[index] = String(endpoint.dropLast(String(port).count)) + "*"
                    bindings.append(Binding(socket: socket.name, side: sideIndex, index: index, placeholder: placeholder))
                }
            }
            guard bindings.count > before else { continue }
            switch socket.role {
            case .tap(var tap):
                tap.socket = sides[0]
                socket.role = .tap(tap)
            case .probe(var probe):
                probe.socket = sides[0]
                socket.role = .probe(probe)
            case .proxy(var proxy):
                proxy.frontend = sides[0]
                proxy.backend = sides[1]
                socket.role = .proxy(proxy)
            }
            binders.append(socket)
        }
        return (ExporterConfig(sockets: binders), bindings)
    }

    /// The port of `tcp://host:port`, or nil.
    static func port(of endpoint: String) -> Int? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return nil }
        return Int(endpoint[endpoint.index(after: colon)...])
    }

    /// Waits until every socket of `config` that binds is set up and bound everything it was asked to.
    static func waitForBinds(_ agent: Agent, config: ExporterConfig, timeout: Duration) throws(Failure) {
        let deadline = ContinuousClock.now + timeout
        for socket in config.sockets where socket.sides.contains(where: { !$0.endpoints.bind.isEmpty }) {
            while true {
                let runner = agent.sockets.first { $0.config.name == socket.name }
                if let runner, runner.isReady {
                    for (index, side) in socket.sides.enumerated() {
                        let bound = index < runner.resolvedEndpoints.count ? runner.resolvedEndpoints[index].filter { $0.mode == "bind" }.count : 0
                        if bound < side.endpoints.bind.count {
                            throw Failure(description: "socket '\(side.label)' could not bind \(side.endpoints.bind.joined(separator: ", ")) (in use? try another --demo.port-base)")
                        }
                    }
                    break
                }
                if ContinuousClock.now >= deadline {
                    throw Failure(description: "socket '\(socket.name)' did not start within \(timeout) (see the log)")
                }
                Thread.sleep(.milliseconds(20))
            }
        }
    }
}
