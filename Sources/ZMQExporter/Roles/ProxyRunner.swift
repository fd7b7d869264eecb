import Logging
import Synchronization
import ZeroMQ

/// Forwards between a frontend and a backend like `zmq_proxy`, counting everything that passes.
/// Messages keep their order and stay whole: all frames of a message are received, then sent.
/// The loop never blocks in a send (a full peer would stall the monitor drain and, through
/// libzmq's blocking monitor, the I/O thread): it waits for POLLOUT while draining monitors.
///
/// Unlike taps and probes, a proxy keeps a thread of its own instead of sharing a socket loop:
/// at full speed it moves a message per microsecond or so and waits for writability in the
/// middle of a message (the rest of a multipart message must follow its first frame), which on
/// a shared loop would either stall the loop's other sockets or need every partial message
/// parked and resumed. Its own thread keeps the proxy rows of `make bench` at their speed.
final class ProxyRunner: ThreadRunner, SocketRunnerStatus, @unchecked Sendable {
    /// Its tunables (request_timeout, max_in_flight) change by an update, on the runner's thread.
    private(set) var proxy: ProxyConfig
    /// From the socket types (wire settings): read by other threads while an update may be
    /// writing ``proxy`` on the runner's.
    let kind: ProxyConfig.Kind
    let metrics: Metrics
    let recorders: [MonitorRecorder]
    let info: SocketInfoMetrics
    private(set) var requestDuration: Histogram?
    let inFlight: Gauge?
    let unanswered: Counter?
    let subscriptions: Gauge?
    /// Requests in flight, for the landing page's status line (brokers only).
    let inFlightCount = Atomic<Int>(0)
    let latencies = LatencyWindow()

    init(config: SocketConfig, proxy: ProxyConfig, metrics: Metrics, context: Context, logger: Logger) {
        let owner = MetricOwner(config.name)
        self.proxy = proxy
        kind = proxy.kind
        self.metrics = metrics
        recorders = config.sides.map { MonitorRecorder(metrics: SocketMetrics(metrics: metrics, label: $0.label, owner: owner)) }
        info = SocketInfoMetrics(metrics: metrics, config: config)
        let l = [("socket", config.name)]
        if proxy.kind == .broker {
            requestDuration = metrics.histogram(MetricCatalog.proxyRequestDuration, l, buckets: config.buckets, owner: owner)
            inFlight = metrics.gauge(MetricCatalog.proxyInFlight, l, owner: owner)
            unanswered = metrics.counter(MetricCatalog.proxyUnanswered, l, owner: owner)
        } else {
            requestDuration = nil
            inFlight = nil
            unanswered = nil
        }
        subscriptions = proxy.kind == .bus ? metrics.gauge(MetricCatalog.proxySubscriptions, l, owner: owner) : nil
        super.init(config: config, owner: owner, context: context, logger: logger)
    }

    /// New request_timeout and max_in_flight reach the loop's tracker (see ``ProxyLoop``); new
    /// buckets make a new, empty request-duration histogram.
    override func apply(update new: SocketConfig, from old: SocketConfig) {
        guard case .proxy(let updated) = new.role else { return }
        proxy = updated
        if new.buckets != old.buckets, requestDuration != nil {
            requestDuration = metrics.histogram(MetricCatalog.proxyRequestDuration, [("socket", new.name)], buckets: new.buckets, owner: owner)
        }
        info.update(new)
    }

    var metricOwners: [MetricOwner] { [owner, info.owner] }

    var latencyWindow: LatencyWindow? { kind == .broker ? latencies : nil }

    var summary: String { kind == .broker ? "\(inFlightCount.load(ordering: .relaxed)) in flight" : "" }

    /// Messages moved per wake-up before monitors and the stop flag are looked at again.
    static let batch = 1024

    override func run() {
        // Both sides or neither: a half-made proxy would forward nothing and hold a port.
        let made = retrying("proxy sockets", socket: config.name, recorders: recorders) { () throws -> (MonitoredSocket, MonitoredSocket) in
            let front = try MonitoredSocket(context: context, config: proxy.frontend, recorder: recorders[0], logger: logger) { s throws(ZMQError) in
                // Count replies to vanished clients instead of dropping them silently.
                if s.type == .router { try s.setRouterMandatory(true) }
            }
            do {
                return (front, try MonitoredSocket(context: context, config: proxy.backend, recorder: recorders[1], logger: logger))
            } catch {
                front.close()
                throw error
            }
        }
        guard let (front, back) = made else { return }
        info.publish(sides: [front.endpoints, back.endpoints])
        markReady([front, back])
        var loop = ProxyLoop(runner: self, front: front, back: back)
        loop.run()
        front.close()
        back.close()
    }
}
