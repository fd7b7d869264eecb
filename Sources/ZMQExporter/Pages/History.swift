import Posix
import Synchronization

/// A few minutes of per-socket samples (every ``interval``) for the landing page's rates and
/// sparklines. Sampling reads atomics only; it never touches a ZeroMQ socket.
public final class History: Sendable {
    public struct Sample: Sendable {
        public var time: Double
        public var messagesIn: Int
        public var bytesIn: Int
        public var messagesOut: Int
        public var bytesOut: Int
        public var connections: Int
        public var handshakeFailures = 0
        public var sendFailures = 0
    }

    public static let interval: Double = 5
    public static let keep = 60

    private let series = Locked<[String: [Sample]]>([:])

    public init() {}

    /// Takes one sample of every recorder's socket.
    public func sample(_ recorders: [MonitorRecorder], now: Double = WallClock.now()) {
        let samples = recorders.map { recorder -> (String, Sample) in
            let t = recorder.metrics.totals
            return (recorder.metrics.label, Sample(time: now, messagesIn: t.messagesIn, bytesIn: t.bytesIn,
                                                   messagesOut: t.messagesOut, bytesOut: t.bytesOut,
                                                   connections: recorder.connectionCount,
                                                   handshakeFailures: recorder.metrics.totalHandshakeFailures.load(ordering: .relaxed),
                                                   sendFailures: recorder.metrics.totalSendFailures))
        }
        let live = Set(samples.map(\.0))
        series.withLock { all in
            for (label, sample) in samples {
                all[label, default: []].append(sample)
                if all[label]!.count > Self.keep { all[label]!.removeFirst(all[label]!.count - Self.keep) }
            }
            for label in all.keys where !live.contains(label) { all.removeValue(forKey: label) }
        }
    }

    public func samples(for label: String) -> [Sample] {
        series.withLock { $0[label] ?? [] }
    }

    /// Per-second rates over the last minute (or what history there is): messages in, bytes in,
    /// messages out, bytes out.
    public func rates(for label: String) -> (messagesIn: Double, bytesIn: Double, messagesOut: Double, bytesOut: Double)? {
        let s = samples(for: label)
        guard let last = s.last, s.count >= 2 else { return nil }
        let first = s[max(0, s.count - 1 - Int(60 / Self.interval))]
        let dt = last.time - first.time
        guard dt > 0 else { return nil }
        return (Double(last.messagesIn - first.messagesIn) / dt, Double(last.bytesIn - first.bytesIn) / dt,
                Double(last.messagesOut - first.messagesOut) / dt, Double(last.bytesOut - first.bytesOut) / dt)
    }

    /// Handshake and send failures within the kept history (about 5 minutes): the growth of the
    /// totals from the oldest sample to `now`'s totals.
    public func recentFailures(for recorder: MonitorRecorder) -> (handshake: Int, send: Int) {
        let s = samples(for: recorder.metrics.label)
        let handshakes = recorder.metrics.totalHandshakeFailures.load(ordering: .relaxed)
        let sends = recorder.metrics.totalSendFailures
        guard let first = s.first else { return (handshakes, sends) }
        return (max(0, handshakes - first.handshakeFailures), max(0, sends - first.sendFailures))
    }

    /// Per-interval message rates (in + out), for a sparkline.
    public func messageRateSeries(for label: String) -> [Double] {
        let s = samples(for: label)
        guard s.count >= 2 else { return [] }
        return (1..<s.count).map { i in
            let dt = max(0.001, s[i].time - s[i - 1].time)
            return Double(s[i].messagesIn - s[i - 1].messagesIn + s[i].messagesOut - s[i - 1].messagesOut) / dt
        }
    }
}
