import Posix
import Synchronization

/// The most recent latency observations, for percentiles on the landing page. The exported
/// histogram is what alerts and dashboards use; this only serves a human glance.
public final class LatencyWindow: Sendable {
    private let samples = Locked<(values: [Double], next: Int)>(([], 0))
    public let capacity: Int

    public init(capacity: Int = 512) {
        self.capacity = capacity
    }

    public func record(_ seconds: Double) {
        samples.withLock { state in
            if state.values.count < capacity {
                state.values.append(seconds)
            } else {
                state.values[state.next] = seconds
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// The `q` quantiles (0...1) of the window, or nil when it is empty.
    public func quantiles(_ qs: [Double]) -> [Double]? {
        let sorted = samples.withLock { $0.values }.sorted()
        guard !sorted.isEmpty else { return nil }
        return qs.map { q in
            let rank = max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)
            return sorted[min(sorted.count - 1, rank)]
        }
    }
}
