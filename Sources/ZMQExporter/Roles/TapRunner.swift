import Logging
import Posix
import ZeroMQ

/// A tap: receives from the configured socket and accounts for every message, changing nothing.
final class TapRunner: LoopRunner, SocketRunnerStatus, @unchecked Sendable {
    /// The tap's wire settings (socket, subscriptions, decoding) never change; its tunables
    /// live in ``decoder``, rebuilt by an update.
    let tap: TapConfig
    let metrics: Metrics
    let recorders: [MonitorRecorder]
    /// Used on the tap's loop only; replaced there by an update.
    private(set) var decoder: TapDecoder
    /// The decoder's series (label combinations, decode errors, message age) are held by an
    /// owner of their own, so an update can drop those the new labels no longer make.
    private let decoderOwner: Locked<MetricOwner>
    let lastMessage: Gauge
    let info: SocketInfoMetrics
    /// The decoder's message-age histogram, for the landing page (another thread than the
    /// runner's, which may swap the decoder).
    private let ages: Locked<Histogram?>

    init(config: SocketConfig, tap: TapConfig, metrics: Metrics, context: Context, loops: SocketLoops, logger: Logger) {
        let owner = MetricOwner(config.name)
        self.tap = tap
        self.metrics = metrics
        let socketMetrics = SocketMetrics(metrics: metrics, label: config.name, owner: owner)
        recorders = [MonitorRecorder(metrics: socketMetrics)]
        let tapOwner = MetricOwner(config.name + "#tap")
        decoderOwner = Locked(tapOwner)
        decoder = TapDecoder(config: tap, socketLabel: config.name, metrics: metrics, owner: tapOwner, buckets: config.buckets)
        lastMessage = metrics.gauge(MetricCatalog.tapLastMessage, [("socket", config.name)], owner: owner)
        ages = Locked(decoder.messageAge)
        info = SocketInfoMetrics(metrics: metrics, config: config)
        super.init(config: config, owner: owner, context: context, loops: loops, logger: logger)
    }

    var metricOwners: [MetricOwner] { [owner, decoderOwner.withLock { $0 }, info.owner] }

    /// New labels, limits, timestamp or buckets: a new decoder, keeping the counts of the label
    /// combinations that still exist (same label names) and dropping the rest.
    override func apply(update new: SocketConfig, from old: SocketConfig) {
        guard case .tap(let updated) = new.role else { return }
        let fresh = MetricOwner(new.name + "#tap")
        let next = TapDecoder(config: updated, socketLabel: new.name, metrics: metrics, owner: fresh, buckets: new.buckets)
        let oldOwner = decoderOwner.withLock { $0 }
        let sameLabels = decoder.config.labels.map(\.label) == updated.labels.map(\.label)
        metrics.adopt(from: oldOwner, into: fresh) { family, _ in family != MetricCatalog.tapMessages || sameLabels }
        metrics.remove(owner: oldOwner)
        decoder = next
        decoderOwner.withLock { $0 = fresh }
        ages.withLock { $0 = next.messageAge }
        info.update(new)
    }

    var latencyWindow: LatencyWindow? { nil }

    /// `last message 2.1 s ago · mean age 12 ms` (age when the tap reads a timestamp field).
    var summary: String {
        let last = lastMessage.current
        guard last > 0 else { return "no message yet" }
        var text = "last message " + LandingPage.ago(WallClock.now() - last)
        if let ages = ages.withLock({ $0 }), ages.count > 0 {
            text += " · mean age " + LandingPage.duration(ages.sum / Double(ages.count))
        }
        return text
    }

    /// Messages taken per handler call: the budget that keeps a flooded tap from starving the
    /// other sockets and monitors of its loop.
    static let batch = 512

    /// On the loop's thread, once made.
    private var socket: MonitoredSocket?
    private var dataWatch: SocketLoop.Watch?
    private let frame = Message()

    override func open(on loop: SocketLoop) {
        create("tap socket", recorders: recorders, on: loop, { [self] in
            let socket = try MonitoredSocket(context: context, config: tap.socket, recorder: recorders[0], logger: logger) { s throws(ZMQError) in
                if s.type == .sub { for prefix in self.tap.subscribe { try s.subscribe(prefix) } }
            }
            do {
                try socket.watchMonitor(on: loop)
                dataWatch = try loop.watch(socket.socket) { [weak self] _ in self?.receiveBatch() ?? false }
            } catch {
                // No room to watch it (max_user_watches, memory): closed, and tried again later.
                socket.close(within: .zero)
                throw error
            }
            return socket
        }, then: { [self] (socket: MonitoredSocket) in
            self.socket = socket
            info.publish(sides: [socket.endpoints])
            markReady([socket])
            retryFailedBinds([socket], info: info, on: loop)
        })
    }

    override func close(on loop: SocketLoop, then done: @escaping () -> Void) {
        guard let socket else { return done() }
        socket.close(on: loop, data: dataWatch, then: done)
        dataWatch = nil
    }

    /// Takes up to ``batch`` messages; returns true when there may be more.
    private func receiveBatch() -> Bool {
        guard let socket else { return false }
        let metrics = recorders[0].metrics
        // Once per call, not per message: the hot path reads locals. `decode` is a wire
        // setting, so an update never changes whether messages are inspected.
        let decoder = self.decoder
        let inspect = decoder.inspectsMessages
        let frame = self.frame
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
        return messages == Self.batch
    }
}
