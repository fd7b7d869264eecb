import Posix
import Synchronization
import ZMQExporter

/// What the demo system did, counted by its parts and read by the summary line.
public final class DemoStats: Sendable {
    public enum Counter: String, CaseIterable, Sendable {
        /// Tasks the producer handed to its PUSH socket.
        case produced
        /// Results the collector received.
        case collected
        /// Requests the REP workers answered (the client's and the probe's).
        case served
        /// Lazy Pirate requests that got their reply.
        case answered
        /// Lazy Pirate attempts that timed out and were sent again on a new socket.
        case retried
        /// Lazy Pirate requests given up after the last retry.
        case abandoned
        /// Pipeline worker crashes.
        case crashes
        /// Connections the misconfigured peer attempted.
        case misconfiguredConnects
        /// Periods in which every REP worker went silent.
        case silences
        /// Reports the allowed CURVE client handed to its socket.
        case reports
        /// Connections the client with an unknown CURVE key attempted.
        case unknownKeyConnects
    }

    // A few updates a second: a lock is plenty.
    private let counts = Locked<[Counter: Int]>([:])

    public init() {}

    func bump(_ counter: Counter) {
        counts.withLock { $0[counter, default: 0] += 1 }
    }

    /// The count so far.
    public func read(_ counter: Counter) -> Int {
        counts.withLock { $0[counter, default: 0] }
    }
}
