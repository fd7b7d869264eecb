import Posix
import Synchronization
import ZeroMQ

/// The series of one `socket` label (a tap, a probe, one side of a proxy, or a socket of another
/// process seen through the preload library): monitor events, connections and message flow.
/// Counters with known labels exist at 0 from the start. It needs only the labels, not a
/// ``SocketConfig``.
public final class SocketMetrics: Sendable {
    public let label: String
    let metrics: Metrics
    let owner: MetricOwner
    /// By ``MonitorEvent/Kind/knownIndex``.
    let eventCounters: [Counter]
    public let connections: Gauge
    let connectionDuration: Histogram
    let closedBeforeHandshake: Counter
    public let messagesReceived: Counter
    public let messagesSent: Counter
    public let bytesReceived: Counter
    public let bytesSent: Counter
    public let sendWouldBlock: Counter
    public let sendUnroutable: Counter
    public let sendError: Counter
    /// 1 when every bind and connect of the socket is in place (`zmq_socket_up`).
    public let up: Gauge
    /// Running totals for the landing page (Prometheus counters do not expose their values).
    let totalMessagesIn = Atomic<Int>(0)
    let totalBytesIn = Atomic<Int>(0)
    let totalMessagesOut = Atomic<Int>(0)
    let totalBytesOut = Atomic<Int>(0)
    /// Handshakes that failed so far, every reason (the landing page's recent failures).
    let totalHandshakeFailures = Atomic<Int>(0)

    /// - Parameters:
    ///   - owner: groups the series for removal when the socket goes away.
    public init(metrics: Metrics, label: String, owner: MetricOwner) {
        self.label = label
        self.metrics = metrics
        self.owner = owner
        let l = [("socket", label)]
        eventCounters = MonitorEvent.Kind.known.map { metrics.counter(MetricCatalog.events, l + [("event", $0.name)], owner: owner) }
        connections = metrics.gauge(MetricCatalog.connections, l, owner: owner)
        connectionDuration = metrics.histogram(MetricCatalog.connectionDuration, l, owner: owner)
        closedBeforeHandshake = metrics.counter(MetricCatalog.handshakeFailures, l + [("reason", HandshakeReason.closedBeforeHandshake)], owner: owner)
        messagesReceived = metrics.counter(MetricCatalog.messagesReceived, l, owner: owner)
        messagesSent = metrics.counter(MetricCatalog.messagesSent, l, owner: owner)
        bytesReceived = metrics.counter(MetricCatalog.bytesReceived, l, owner: owner)
        bytesSent = metrics.counter(MetricCatalog.bytesSent, l, owner: owner)
        sendWouldBlock = metrics.counter(MetricCatalog.sendFailures, l + [("reason", "would_block")], owner: owner)
        sendUnroutable = metrics.counter(MetricCatalog.sendFailures, l + [("reason", "unroutable")], owner: owner)
        sendError = metrics.counter(MetricCatalog.sendFailures, l + [("reason", "error")], owner: owner)
        up = metrics.gauge(MetricCatalog.socketUp, l, owner: owner)
    }

    /// Sends that failed or would block so far, every reason.
    public var totalSendFailures: Int {
        Int(sendWouldBlock.current + sendUnroutable.current + sendError.current)
    }

    /// Messages and bytes in and out so far.
    public var totals: (messagesIn: Int, bytesIn: Int, messagesOut: Int, bytesOut: Int) {
        (totalMessagesIn.load(ordering: .relaxed), totalBytesIn.load(ordering: .relaxed),
         totalMessagesOut.load(ordering: .relaxed), totalBytesOut.load(ordering: .relaxed))
    }

    /// Counters made on first use (unknown event kinds, handshake failure reasons), kept so a
    /// reconnect storm does not register the same counter again on every event.
    private let dynamic = Locked<[String: Counter]>([:])

    func eventCounter(_ kind: MonitorEvent.Kind) -> Counter {
        if let index = kind.knownIndex { return eventCounters[index] }
        return dynamicCounter("event:" + kind.name) {
            metrics.counter(MetricCatalog.events, [("socket", label), ("event", kind.name)], owner: owner)
        }
    }

    func handshakeFailure(_ reason: String) -> Counter {
        if reason == HandshakeReason.closedBeforeHandshake { return closedBeforeHandshake }
        return dynamicCounter("reason:" + reason) {
            metrics.counter(MetricCatalog.handshakeFailures, [("socket", label), ("reason", reason)], owner: owner)
        }
    }

    /// Counts a bind, connect or socket creation that failed, by ``SetupFailure/reason``.
    func setupFailed(_ failure: SetupFailure) {
        dynamicCounter("setup:" + failure.reason) {
            metrics.counter(MetricCatalog.setupErrors, [("socket", label), ("reason", failure.reason)], owner: owner)
        }.increment()
    }

    private func dynamicCounter(_ key: String, make: () -> Counter) -> Counter {
        dynamic.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = make()
            cache[key] = counter
            return counter
        }
    }

    func observeConnectionLifetime(_ seconds: Double) {
        connectionDuration.record(seconds)
    }

    /// Adds a batch of received messages.
    @inline(__always)
    public func received(messages: Int, bytes: Int) {
        guard messages > 0 else { return }
        messagesReceived.increment(by: Int64(messages))
        bytesReceived.increment(by: Int64(bytes))
        totalMessagesIn.add(messages, ordering: .relaxed)
        totalBytesIn.add(bytes, ordering: .relaxed)
    }

    /// Adds a batch of sent messages.
    @inline(__always)
    public func sent(messages: Int, bytes: Int) {
        guard messages > 0 else { return }
        messagesSent.increment(by: Int64(messages))
        bytesSent.increment(by: Int64(bytes))
        totalMessagesOut.add(messages, ordering: .relaxed)
        totalBytesOut.add(bytes, ordering: .relaxed)
    }
}

/// Names of `zmq_socket_handshake_failures_total` reasons.
public enum HandshakeReason {
    public static let closedBeforeHandshake = "closed_before_handshake"

    /// The reason for a failed-handshake event, or nil for other kinds.
    public static func of(_ event: MonitorEvent) -> String? {
        switch event.detail {
        case .protocolError(let error) where event.kind == .handshakeFailedProtocol: return error.name
        case .zapStatus(let code): return "zap_\(code)"
        case .errno where event.kind == .handshakeFailedNoDetail: return "no_detail"
        default: return nil
        }
    }
}
