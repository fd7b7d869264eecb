import Synchronization
import ZeroMQ

/// Turns one socket's monitor events into metrics and keeps the last few for the landing page.
/// Events may come from any source; the recorder is fed in order by one thread at a time.
public final class MonitorRecorder: Sendable {
    public let metrics: SocketMetrics
    private let state = Mutex(State())

    struct State {
        var tracker = ConnectionTracker()
        var recent: [RecordedEvent] = []
    }

    /// An event with the wall-clock time it was recorded.
    public struct RecordedEvent: Sendable {
        /// Seconds since the Unix epoch.
        public let time: Double
        public let event: MonitorEvent
    }

    /// How many recent events the landing page can show per socket.
    public static let recentLimit = 8

    public init(metrics: SocketMetrics) {
        self.metrics = metrics
    }

    /// Applies `event`: counts it, updates the connection gauge, lifetimes and handshake failures.
    public func record(_ event: MonitorEvent) {
        metrics.eventCounter(event.kind).increment()
        let now = ContinuousClock.now
        let seconds = Double(now.timeIntervalSinceReference)
        let (effect, count) = state.withLock { state in
            let effect = state.tracker.apply(event, now: seconds)
            state.recent.append(RecordedEvent(time: WallClock.now(), event: event))
            if state.recent.count > Self.recentLimit { state.recent.removeFirst() }
            return (effect, state.tracker.count)
        }
        metrics.connections.set(Int64(count))
        if let lifetime = effect.closedLifetime { metrics.observeConnectionLifetime(lifetime) }
        if let reason = effect.handshakeFailure { metrics.handshakeFailure(reason).increment() }
    }

    /// The most recent events, oldest first.
    public var recentEvents: [RecordedEvent] { state.withLock { $0.recent } }

    /// Peer connections open now.
    public var connectionCount: Int { state.withLock { $0.tracker.count } }
}

extension ContinuousClock.Instant {
    /// Seconds since an arbitrary fixed point, for differences only.
    var timeIntervalSinceReference: Double {
        let d = self - ContinuousClock.Instant.reference
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static let reference = ContinuousClock.now
}
