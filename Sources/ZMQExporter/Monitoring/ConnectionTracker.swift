import ZeroMQ

/// The live connections of one socket, rebuilt from its monitor events alone. A pure state machine:
/// it knows nothing of who owns the socket or how the events arrived, so the agent's own sockets,
/// a preloaded shim or a library can all feed it (docs/libzmq-monitor.md, "Counting connections").
public struct ConnectionTracker: Sendable {
    enum Handshake: Sendable { case pending, succeeded, failed }

    struct Connection: Sendable {
        var openedAt: Double
        var handshake: Handshake
    }

    /// What one event changed.
    public struct Effect: Sendable, Equatable {
        /// The lifetime of a connection that closed, in seconds.
        public var closedLifetime: Double?
        /// A handshake failure to count, by reason.
        public var handshakeFailure: String?
    }

    private var open: [Int32: Connection] = [:]
    /// Connections awaiting a handshake event, oldest first. HANDSHAKE_* events carry no fd, and a
    /// socket's events are serialized, so the oldest pending connection is the one that finished.
    private var pending: [Int32] = []

    public init() {}

    /// Peer connections open now.
    public var count: Int { open.count }

    /// Applies `event`, seen at `now` (seconds on any monotonic clock).
    public mutating func apply(_ event: MonitorEvent, now: Double) -> Effect {
        var effect = Effect()
        switch event.kind {
        case .accepted, .connected:
            guard let fd = event.fileDescriptor else { break }
            if open[fd] != nil { pending.removeAll { $0 == fd } }
            open[fd] = Connection(openedAt: now, handshake: .pending)
            pending.append(fd)
        case .handshakeSucceeded:
            settleOldestPending(as: .succeeded)
        case .handshakeFailedProtocol, .handshakeFailedAuth, .handshakeFailedNoDetail:
            settleOldestPending(as: .failed)
            effect.handshakeFailure = HandshakeReason.of(event)
        case .disconnected, .closed:
            // CLOSED names a listener or a failed attempt, except when racing a shutdown.
            guard let fd = event.fileDescriptor, let connection = open.removeValue(forKey: fd) else { break }
            pending.removeAll { $0 == fd }
            effect.closedLifetime = max(0, now - connection.openedAt)
            if connection.handshake == .pending {
                effect.handshakeFailure = HandshakeReason.closedBeforeHandshake
            }
        case .monitorStopped:
            // The socket closed or the monitor stopped: local closes send no DISCONNECTED.
            open.removeAll()
            pending.removeAll()
        default:
            break
        }
        return effect
    }

    private mutating func settleOldestPending(as state: Handshake) {
        while !pending.isEmpty {
            let fd = pending.removeFirst()
            if open[fd]?.handshake == .pending {
                open[fd]?.handshake = state
                return
            }
        }
    }
}
