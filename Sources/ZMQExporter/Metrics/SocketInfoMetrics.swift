/// `zmq_socket_info`, `zmq_socket_endpoint_info` and `zmq_socket_expected_peers` for one
/// configured socket. They describe the configuration, so a reload that changes the socket
/// removes them (their own owner) while its counters may stay.
final class SocketInfoMetrics: Sendable {
    let metrics: Metrics
    let config: SocketConfig
    let owner: MetricOwner

    init(metrics: Metrics, config: SocketConfig) {
        self.metrics = metrics
        self.config = config
        owner = MetricOwner(config.name + "#info")
    }

    /// The families that describe the configuration rather than count.
    static let families: Set<MetricCatalog.Family> = [MetricCatalog.socketInfo, MetricCatalog.endpointInfo, MetricCatalog.expectedPeers]

    /// Publishes the info series, with each side's endpoints as resolved (port `*` filled in).
    func publish(sides endpoints: [[(endpoint: String, mode: String)]]) {
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
