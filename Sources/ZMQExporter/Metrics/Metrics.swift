import Prometheus
import Synchronization

/// The agent's registry, with bookkeeping so a socket's series can be removed when a reload
/// drops the socket. Every metric is made through a ``MetricCatalog`` family.
public final class Metrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let owned = Mutex<[String: [Owned]]>([:])

    private enum Owned: @unchecked Sendable {
        case counter(Counter), gauge(Gauge), histogram(ValueHistogram)
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// A counter (created at 0 if new) with `labels` in the family's order; `owner` groups the
    /// series for ``remove(owner:)``.
    public func counter(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: String? = nil) -> Counter {
        let counter = registry.makeCounter(name: family.name, labels: labels, help: family.help)
        track(owner, .counter(counter))
        return counter
    }

    public func gauge(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: String? = nil) -> Gauge {
        let gauge = registry.makeGauge(name: family.name, labels: labels, help: family.help)
        track(owner, .gauge(gauge))
        return gauge
    }

    /// A histogram in seconds with `buckets` (upper bounds).
    public func histogram(_ family: MetricCatalog.Family, _ labels: [(String, String)], buckets: [Double], owner: String? = nil) -> ValueHistogram {
        let histogram = registry.makeValueHistogram(name: family.name, labels: labels, buckets: buckets, help: family.help)
        track(owner, .histogram(histogram))
        return histogram
    }

    private func track(_ owner: String?, _ metric: Owned) {
        guard let owner else { return }
        owned.withLock { $0[owner, default: []].append(metric) }
    }

    /// Unregisters every series made for `owner`.
    public func remove(owner: String) {
        let metrics = owned.withLock { $0.removeValue(forKey: owner) ?? [] }
        for metric in metrics {
            switch metric {
            case .counter(let c): registry.unregisterCounter(c)
            case .gauge(let g): registry.unregisterGauge(g)
            case .histogram(let h): registry.unregisterValueHistogram(h)
            }
        }
    }
}
