import Prometheus
import Synchronization

/// The agent's registries, with bookkeeping so a socket's series can be removed when a reload
/// drops the socket. Every metric is made through a ``MetricCatalog`` family.
///
/// Families are spread over `shards` registries, each family wholly in one, so that a scrape can
/// render the registries at once on several cores (client_golang gathers collectors
/// concurrently for the same reason) and the exposition stays one block per family. More
/// shards than threads let the threads even out their work.
public final class Metrics: Sendable {
    public let registries: [PrometheusCollectorRegistry]
    private let owned = Mutex<[String: [Owned]]>([:])
    private let placement: Mutex<Placement>

    private enum Owned: @unchecked Sendable {
        case counter(Counter, PrometheusCollectorRegistry)
        case gauge(Gauge, PrometheusCollectorRegistry)
        case histogram(ValueHistogram, PrometheusCollectorRegistry)
    }

    /// Which registry holds each family, and the rendering weight each registry has so far.
    private struct Placement {
        var shardOfFamily: [String: Int] = [:]
        var weight: [Int]
    }

    public init(shards: Int = 4) {
        precondition(shards >= 1)
        registries = (0..<shards).map { _ in PrometheusCollectorRegistry() }
        placement = Mutex(Placement(weight: Array(repeating: 0, count: shards)))
    }

    /// The registry of `family`: where it already is, else the one with the least weight, so the
    /// first socket's families (every socket has the same ones) balance the shards. A histogram
    /// series costs about its bucket count in lines.
    private func registry(for family: MetricCatalog.Family, weight: Int = 1) -> PrometheusCollectorRegistry {
        placement.withLock { placement in
            let shard: Int
            if let known = placement.shardOfFamily[family.name] {
                shard = known
            } else {
                shard = placement.weight.indices.min { placement.weight[$0] < placement.weight[$1] } ?? 0
                placement.shardOfFamily[family.name] = shard
            }
            placement.weight[shard] += weight
            return registries[shard]
        }
    }

    /// A counter (created at 0 if new) with `labels` in the family's order; `owner` groups the
    /// series for ``remove(owner:)``.
    public func counter(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: String? = nil) -> Counter {
        let registry = registry(for: family)
        let counter = registry.makeCounter(name: family.name, labels: labels, help: family.help)
        track(owner, .counter(counter, registry))
        return counter
    }

    public func gauge(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: String? = nil) -> Gauge {
        let registry = registry(for: family)
        let gauge = registry.makeGauge(name: family.name, labels: labels, help: family.help)
        track(owner, .gauge(gauge, registry))
        return gauge
    }

    /// A histogram in seconds with `buckets` (upper bounds).
    public func histogram(_ family: MetricCatalog.Family, _ labels: [(String, String)], buckets: [Double], owner: String? = nil) -> ValueHistogram {
        let registry = registry(for: family, weight: buckets.count + 3)
        let histogram = registry.makeValueHistogram(name: family.name, labels: labels, buckets: buckets, help: family.help)
        track(owner, .histogram(histogram, registry))
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
            case .counter(let c, let registry): registry.unregisterCounter(c)
            case .gauge(let g, let registry): registry.unregisterGauge(g)
            case .histogram(let h, let registry): registry.unregisterValueHistogram(h)
            }
        }
    }
}
