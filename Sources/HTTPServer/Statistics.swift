import Posix
import Synchronization

/// A snapshot of the server's counters, for the exporter's own metrics.
public struct Statistics: Sendable, Equatable {
    /// Responses sent since start, by status code (server-made errors such as 408 and 503 included).
    public var requestsByStatus: [Int: Int]
    /// Handler calls running or queued on the worker threads right now.
    public var handlersInFlight: Int
    /// Client connections open right now.
    public var openConnections: Int
}

/// The thread-safe counters behind ``Statistics``.
final class StatisticsRecorder: Sendable {
    private let counts = Locked<[Int: Int]>([:])
    let handlersInFlight = Atomic<Int>(0)
    let openConnections = Atomic<Int>(0)

    func record(status: Int) {
        counts.withLock { $0[status, default: 0] += 1 }
    }

    var snapshot: Statistics {
        Statistics(
            requestsByStatus: counts.withLock { $0 },
            handlersInFlight: handlersInFlight.load(ordering: .relaxed),
            openConnections: openConnections.load(ordering: .relaxed)
        )
    }
}
