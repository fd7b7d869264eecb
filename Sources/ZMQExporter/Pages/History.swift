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

    /// A sample without its time.
    struct Counts: Equatable {
        var messagesIn, bytesIn, messagesOut, bytesOut, connections, handshakeFailures, sendFailures: Int
    }

    /// One socket's samples as runs of equal counts, oldest first, taken at the last `length`
    /// instants of ``State/times``: an idle socket keeps one run, not `keep` samples (about
    /// 4 KiB a socket less once the history is full).
    struct Runs {
        var runs: [(counts: Counts, length: Int)] = []
        var length = 0

        mutating func append(_ counts: Counts) {
            if let last = runs.last, last.counts == counts {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((counts, 1))
            }
            length += 1
        }

        mutating func dropOldest() {
            runs[0].length -= 1
            if runs[0].length == 0 { runs.removeFirst() }
            length -= 1
        }
    }

    struct State {
        /// The instants of the last `keep` samples, oldest first (every socket is sampled at once).
        var times: [Double] = []
        var sockets: [String: Runs] = [:]
    }

    private let state = Locked(State())

    public init() {}

    /// Takes one sample of every recorder's socket.
    public func sample(_ recorders: [MonitorRecorder], now: Double = WallClock.now()) {
        let samples = recorders.map { recorder -> (String, Counts) in
            let t = recorder.metrics.totals
            return (recorder.metrics.label, Counts(messagesIn: t.messagesIn, bytesIn: t.bytesIn, messagesOut: t.messagesOut, bytesOut: t.bytesOut,
                                                   connections: recorder.connectionCount,
                                                   handshakeFailures: recorder.metrics.totalHandshakeFailures.load(ordering: .relaxed),
                                                   sendFailures: recorder.metrics.totalSendFailures))
        }
        state.withLock { state in
            state.times.append(now)
            if state.times.count > Self.keep { state.times.removeFirst(state.times.count - Self.keep) }
            var live = Set<String>()
            for (label, counts) in samples where live.insert(label).inserted {
                // Once per label and instant (socket names are unique), or its runs would no
                // longer line up with the times.
                state.sockets[label, default: Runs()].append(counts)
                while state.sockets[label]!.length > state.times.count { state.sockets[label]!.dropOldest() }
            }
            for label in state.sockets.keys where !live.contains(label) { state.sockets.removeValue(forKey: label) }
        }
    }

    public func samples(for label: String) -> [Sample] {
        state.withLock { state in
            guard let socket = state.sockets[label] else { return [] }
            var samples: [Sample] = []
            samples.reserveCapacity(socket.length)
            var at = state.times.count - socket.length
            for run in socket.runs {
                let c = run.counts
                for _ in 0..<run.length {
                    samples.append(Sample(time: state.times[at], messagesIn: c.messagesIn, bytesIn: c.bytesIn, messagesOut: c.messagesOut,
                                          bytesOut: c.bytesOut, connections: c.connections, handshakeFailures: c.handshakeFailures,
                                          sendFailures: c.sendFailures))
                    at += 1
                }
            }
            return samples
        }
    }

    /// How many runs of equal samples a socket's history holds (for tests).
    func runCount(for label: String) -> Int {
        state.withLock { $0.sockets[label]?.runs.count ?? 0 }
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
