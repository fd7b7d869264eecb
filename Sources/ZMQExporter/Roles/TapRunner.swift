import Logging
import Posix
import ZeroMQ

/// A tap: receives from the configured socket and accounts for every message, changing nothing.
final class TapRunner: Runner, SocketRunnerStatus, @unchecked Sendable {
    let config: SocketConfig
    let tap: TapConfig
    let recorders: [MonitorRecorder]
    let decoder: TapDecoder
    let lastMessage: Gauge
    let info: SocketInfoMetrics

    init(config: SocketConfig, tap: TapConfig, metrics: Metrics, context: Context, logger: Logger) {
        let owner = MetricOwner(config.name)
        self.config = config
        self.tap = tap
        let socketMetrics = SocketMetrics(metrics: metrics, label: config.name, owner: owner)
        recorders = [MonitorRecorder(metrics: socketMetrics)]
        decoder = TapDecoder(config: tap, socketLabel: config.name, metrics: metrics, owner: owner, buckets: config.buckets)
        lastMessage = metrics.gauge(MetricCatalog.tapLastMessage, [("socket", config.name)], owner: owner)
        info = SocketInfoMetrics(metrics: metrics, config: config)
        super.init(owner: owner, context: context, logger: logger)
    }

    var metricOwners: [MetricOwner] { [owner, info.owner] }

    var latencyWindow: LatencyWindow? { nil }

    var summary: String { "" }

    /// Messages taken per wake-up before the monitor and stop flag are looked at again.
    static let batch = 512

    override func run() {
        let made = retrying("tap socket", socket: config.name, recorders: recorders) {
            try MonitoredSocket(context: context, config: tap.socket, recorder: recorders[0], logger: logger) { s throws(ZMQError) in
                if s.type == .sub { for prefix in self.tap.subscribe { try s.subscribe(prefix) } }
            }
        }
        guard let socket = made else { return }
        info.publish(sides: [socket.endpoints])
        markReady([socket])
        let metrics = recorders[0].metrics
        var poller = Poller()
        let dataIndex = poller.add(socket.socket)
        let monitorIndex = poller.add(socket.monitor.pairSocket)
        let frame = Message()
        let inspect = decoder.inspectsMessages
        while !isStopping {
            do {
                try poller.poll(timeoutMilliseconds: Self.stopCheckMilliseconds)
            } catch {
                break
            }
            if poller.isReadable(monitorIndex) { socket.drainMonitor() }
            retryFailedIfDue([socket], info: info)
            guard poller.isReadable(dataIndex) else { continue }
            var messages = 0
            var bytes = 0
            let now = WallClock.now()
            receiving: while messages < Self.batch {
                // Receive the frames of one message; the last one is the body.
                var size = 0
                repeat {
                    do {
                        size += try socket.socket.receive(into: frame, flags: .dontWait)
                    } catch {
                        break receiving
                    }
                } while frame.hasMore
                messages += 1
                bytes += size
                if inspect { frame.withUnsafeBytes { decoder.observe(body: $0, now: now) } }
            }
            if !inspect { decoder.observe(count: messages) }
            metrics.received(messages: messages, bytes: bytes)
            if messages > 0 { lastMessage.set(now) }
            socket.drainMonitor()
        }
        socket.close()
    }
}
