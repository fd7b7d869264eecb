import Prometheus
import Synchronization

/// Renders `/metrics`: the registry, the process metrics and families supplied by the HTTP
/// side, timing itself into `zmq_exporter_scrape_render_seconds`.
public final class Exposition: Sendable {
    let metrics: Metrics
    let renderSeconds: Gauge
    private let lastSize = Atomic<Int>(4096)

    /// Extra families (e.g. HTTP request counts) appended to each exposition.
    public typealias Extra = @Sendable (inout [UInt8]) -> Void

    public init(metrics: Metrics) {
        self.metrics = metrics
        renderSeconds = metrics.gauge(MetricCatalog.renderSeconds, [])
    }

    public func render(extra: Extra? = nil) -> [UInt8] {
        let start = ContinuousClock.now
        var buffer: [UInt8] = []
        buffer.reserveCapacity(lastSize.load(ordering: .relaxed) + 1024)
        metrics.registry.emit(into: &buffer)
        ProcessMetrics.emit(into: &buffer)
        extra?(&buffer)
        lastSize.store(buffer.count, ordering: .relaxed)
        let elapsed = ContinuousClock.now - start
        renderSeconds.set(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        return buffer
    }

    /// Appends a counter family with one label from `values`, sorted by label value.
    public static func emitCounter(_ family: MetricCatalog.Family, label: String, values: [(String, Int)], into out: inout [UInt8]) {
        out.append(contentsOf: "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n".utf8)
        for (value, count) in values.sorted(by: { $0.0 < $1.0 }) {
            out.append(contentsOf: "\(family.name){\(label)=\"\(value)\"} \(count)\n".utf8)
        }
    }

    /// Appends an unlabelled gauge family.
    public static func emitGauge(_ family: MetricCatalog.Family, value: Int, into out: inout [UInt8]) {
        out.append(contentsOf: "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n\(family.name) \(value)\n".utf8)
    }
}
