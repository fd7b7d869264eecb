import Posix
import ZeroMQ

/// Turns one socket's monitor events into metrics and keeps the last few for the landing page.
/// Events may come from any source (the agent's own monitors, events replayed from another
/// process): each comes with the time it happened, so the same events give the same
/// connection lifetimes wherever they are recorded.
public final class MonitorRecorder: Sendable {
    public let metrics: SocketMetrics
    private let state = Locked(State())

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

    /// Applies `event`, seen now.
    public func record(_ event: MonitorEvent) {
        record(event, monotonic: Monotonic.seconds(), wall: WallClock.now())
    }

    /// Applies `event`: counts it, updates the connection gauge, lifetimes and handshake failures.
    /// - Parameters:
    ///   - monotonic: when it happened, in seconds on a monotonic clock (lifetimes are differences).
    ///   - wall: when it happened, in seconds since the Unix epoch (shown on the landing page).
    public func record(_ event: MonitorEvent, monotonic: Double, wall: Double) {
        metrics.eventCounter(event.kind).increment()
        // The gauge is set under the lock, so two recorders' threads cannot leave it at an
        // older count than the tracker's.
        let effect = state.withLock { state in
            let effect = state.tracker.apply(event, now: monotonic)
            state.recent.append(RecordedEvent(time: wall, event: event))
            if state.recent.count > Self.recentLimit { state.recent.removeFirst() }
            metrics.connections.set(state.tracker.count)
            return effect
        }
        if let lifetime = effect.closedLifetime { metrics.observeConnectionLifetime(lifetime) }
        if let reason = effect.handshakeFailure {
            metrics.handshakeFailure(reason).increment()
            metrics.totalHandshakeFailures.add(1, ordering: .relaxed)
        }
    }

    /// The most recent events, oldest first.
    public var recentEvents: [RecordedEvent] { state.withLock { $0.recent } }

    /// Peer connections open now.
    public var connectionCount: Int { state.withLock { $0.tracker.count } }
}
