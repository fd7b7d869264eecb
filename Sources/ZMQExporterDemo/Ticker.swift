import HTTPServer
import Posix
import Synchronization
import ZMQExporter

/// Calls an action every `interval` on a thread of its own until ``stop()`` (the demo's summary line).
public final class Ticker: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let finished = Latch()

    /// How long the thread sleeps at most before looking at the stop flag.
    static let tick = Duration.milliseconds(100)

    /// Starts the thread; the first call is one `interval` from now.
    public init(name: String, every interval: Duration, _ action: @escaping @Sendable () -> Void) throws(SystemError) {
        let start = ContinuousClock.now
        try Thread.detach(name: name) { [self] in
            var next = start + interval
            while !stopFlag.load(ordering: .acquiring) {
                let left = next - .now
                if left <= .zero {
                    action()
                    next += interval
                } else {
                    Thread.sleep(min(left, Self.tick))
                }
            }
            finished.open()
        }
    }

    /// Stops the calls and waits (briefly) for one in progress, so nothing prints after it.
    public func stop() {
        stopFlag.store(true, ordering: .releasing)
        _ = finished.wait(timeout: .seconds(1))
    }
}
