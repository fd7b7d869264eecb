import Glibc
import HTTPServer
import Posix
import Synchronization

/// Renders `/metrics`: every family of the catalog in order, each one block of its registered
/// series and its collectors' samples, timing itself into `zmq_exporter_scrape_render_seconds`.
public final class Exposition: Sendable {
    let metrics: Metrics
    let renderSeconds: Gauge
    /// The last scrape's parts, for the next to write over (``RenderJob/init(families:samples:reuse:)``).
    private let reusable = Locked<[[UInt8]]>([])
    let helper: RenderHelper?

    /// - Parameter parallel: render families on a helper thread too (when there is more than
    ///   one CPU to run it).
    public init(metrics: Metrics, parallel: Bool = false) {
        self.metrics = metrics
        renderSeconds = metrics.gauge(MetricCatalog.renderSeconds, [])
        let useful = parallel && sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
        helper = useful ? try? RenderHelper() : nil
    }

    deinit {
        helper?.stop()
    }

    /// The exposition as one array.
    public func render() -> [UInt8] {
        HTTPResponse.join(renderParts())
    }

    /// The exposition as parts to be sent one after the other, in catalog order (see
    /// ``RenderJob``): joining them would copy every byte again (5 MiB for 84,000 series).
    public func renderParts() -> [[UInt8]] {
        let start = ContinuousClock.now
        let (families, collectors) = metrics.snapshot()
        var samples = Samples()
        for collector in collectors { collector.collect(into: &samples) }
        var reuse = reusable.withLock { parts in
            defer { parts = [] }
            return parts
        }
        let job = RenderJob(families: families, samples: samples, reuse: &reuse)
        let helped = helper?.begin(job) ?? false
        job.work()
        if helped, let helper { helper.finish() }
        let parts = job.output()
        let kept = job.reusable()
        reusable.withLock { $0 = kept }
        renderSeconds.set((ContinuousClock.now - start).seconds)
        return parts
    }
}
