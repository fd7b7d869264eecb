import Glibc
import Prometheus
import Synchronization

/// Renders `/metrics`: the registries, the process metrics and families supplied by the HTTP
/// side, timing itself into `zmq_exporter_scrape_render_seconds`.
public final class Exposition: Sendable {
    let metrics: Metrics
    let renderSeconds: Gauge
    private let lastSize = Atomic<Int>(4096)
    let helper: RenderHelper?

    /// Extra families (e.g. HTTP request counts) appended to each exposition.
    public typealias Extra = @Sendable (inout [UInt8]) -> Void

    /// - Parameter parallel: render the registries after the first on a helper thread (when
    ///   there is more than one CPU to run it).
    public init(metrics: Metrics, parallel: Bool = false) {
        self.metrics = metrics
        renderSeconds = metrics.gauge(MetricCatalog.renderSeconds, [])
        let useful = parallel && metrics.registries.count > 1 && sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
        helper = useful ? try? RenderHelper() : nil
    }

    deinit {
        helper?.stop()
    }

    public func render(extra: Extra? = nil) -> [UInt8] {
        let start = ContinuousClock.now
        let expected = lastSize.load(ordering: .relaxed)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(expected + 1024)
        let job = RenderJob(metrics.registries)
        let helped = helper?.begin(job, capacity: expected / 2 + 1024) ?? false
        // The /proc reads first: the helper takes the first registries while it wakes up.
        ProcessMetrics.emit(into: &buffer)
        extra?(&buffer)
        job.work(into: &buffer)
        if helped, let helper { buffer.append(contentsOf: helper.finish()) }
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
