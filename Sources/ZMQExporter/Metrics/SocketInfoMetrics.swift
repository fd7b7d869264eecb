import Posix

/// `zmq_socket_info`, `zmq_socket_endpoint_info` and `zmq_socket_expected_peers` for one
/// configured socket. They describe the configuration, so a reload that changes the socket
/// removes them (their own owner) while its counters may stay.
final class SocketInfoMetrics: Sendable {
    let metrics: Metrics
    private struct State {
        var config: SocketConfig
        var owner: MetricOwner
        var endpoints: [[(endpoint: String, mode: String)]] = []
    }
    private let state: Locked<State>

    init(metrics: Metrics, config: SocketConfig) {
        self.metrics = metrics
        state = Locked(State(config: config, owner: MetricOwner(config.name + "#info")))
    }

    /// Holds the info series; replaced by ``update(_:)``.
    var owner: MetricOwner { state.withLock { $0.owner } }

    /// The families that describe the configuration rather than count.
    static let families: Set<MetricCatalog.Family> = [MetricCatalog.socketInfo, MetricCatalog.endpointInfo, MetricCatalog.expectedPeers]

    /// Publishes the info series, with each side's endpoints as resolved (port `*` filled in).
    func publish(sides endpoints: [[(endpoint: String, mode: String)]]) {
        let (config, owner) = state.withLock { state in
            state.endpoints = endpoints
            return (state.config, state.owner)
        }
        publish(config, endpoints, owner: owner)
    }

    /// Publishes the series of a config updated in place under a new owner, then lets go of the
    /// old owner's: the series both describe stay, one no longer described (`min_peers` removed)
    /// goes away.
    func update(_ config: SocketConfig) {
        let fresh = MetricOwner(config.name + "#info")
        let (old, endpoints) = state.withLock { state in
            defer {
                state.owner = fresh
                state.config = config
            }
            return (state.owner, state.endpoints)
        }
        publish(config, endpoints, owner: fresh)
        metrics.remove(owner: old)
    }

    private func publish(_ config: SocketConfig, _ endpoints: [[(endpoint: String, mode: String)]], owner: MetricOwner) {
        for (index, side) in config.sides.enumerated() {
            let label = side.label
            metrics.gauge(MetricCatalog.socketInfo, [("socket", label), ("role", config.role.name), ("type", side.endpoints.type.rawValue)], owner: owner).set(Int64(1))
            if let minPeers = side.endpoints.minPeers {
                metrics.gauge(MetricCatalog.expectedPeers, [("socket", label)], owner: owner).set(Int64(minPeers))
            }
            guard index < endpoints.count else { continue }
            for endpoint in endpoints[index] {
                metrics.gauge(MetricCatalog.endpointInfo, [("socket", label), ("endpoint", endpoint.endpoint), ("mode", endpoint.mode)], owner: owner).set(Int64(1))
            }
        }
    }
}
