import Glibc
import Posix
import Synchronization

/// Renders `/metrics`: every family of the catalog in order, each one block of its registered
/// series and its collectors' samples, timing itself into `zmq_exporter_scrape_render_seconds`.
public final class Exposition: Sendable {
    let metrics: Metrics
    let renderSeconds: Gauge
    private let lastSize = Atomic<Int>(4096)
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

    public func render() -> [UInt8] {
        let start = ContinuousClock.now
        let expected = lastSize.load(ordering: .relaxed)
        let (families, collectors) = metrics.snapshot()
        var samples = Samples()
        for collector in collectors { collector.collect(into: &samples) }
        let job = RenderJob(families: families, samples: samples)
        let helped = helper?.begin(job, capacity: expected + 1024) ?? false
        var buffer: [UInt8] = []
        buffer.reserveCapacity(expected + 1024)
        job.work(into: &buffer)
        if helped, let helper {
            // Families come out in whichever order the threads took them, so the smaller of
            // the two halves is the one copied; both have room for the whole exposition.
            var other = helper.finish()
            if other.count > buffer.count { swap(&buffer, &other) }
            buffer.append(contentsOf: other)
        }
        lastSize.store(buffer.count, ordering: .relaxed)
        renderSeconds.set((ContinuousClock.now - start).seconds)
        return buffer
    }
}
