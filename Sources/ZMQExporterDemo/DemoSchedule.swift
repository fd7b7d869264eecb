import ZMQExporter
/// When the demo's faults happen: the same pattern repeats every ``cycle``, and one whole pattern
/// fits in the first 20 s so a fresh demo shows every kind of trouble quickly.
///
/// Offsets into each cycle (defaults):
/// - 1 s to 16 s: the misconfigured peer connects every 1.5 s (wrong socket type, then wrong
///   security mechanism, alternately);
/// - 4 s to 9 s: pipeline worker ``crashingWorker`` is down (sockets closed, then re-created);
/// - 8 s to 15 s: every REP worker is silent, longer than the probe's timeout and the service
///   proxy's `request_timeout` in examples/demo.yml.
///
/// Outside the cycle, all the time: a client with an unknown CURVE key tries the `reports` tap
/// every ``unknownClientEvery`` (from the start).
public struct DemoSchedule: Sendable {
    public var cycle: Duration = .seconds(36)
    public var misconfigured: Range<Duration> = .seconds(1) ..< .seconds(16)
    public var misconfiguredEvery: Duration = .milliseconds(1500)
    public var crash: Range<Duration> = .seconds(4) ..< .seconds(9)
    public var crashingWorker = 1
    public var silence: Range<Duration> = .seconds(8) ..< .seconds(15)
    public var unknownClientEvery: Duration = .seconds(5)
    /// The time the cycle counts from.
    public var origin: ContinuousClock.Instant

    public init(origin: ContinuousClock.Instant = .now) {
        self.origin = origin
    }

    /// Where `instant` falls in the current cycle.
    public func offset(at instant: ContinuousClock.Instant = .now) -> Duration {
        let elapsed = instant - origin
        guard elapsed > .zero else { return .zero }
        let cycleNs = cycle.components.seconds * 1_000_000_000 + cycle.components.attoseconds / 1_000_000_000
        let elapsedNs = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        return .nanoseconds(elapsedNs % cycleNs)
    }

    /// Which cycle `instant` is in, counting from 0.
    public func cycleNumber(at instant: ContinuousClock.Instant = .now) -> Int {
        let elapsed = instant - origin
        guard elapsed > .zero else { return 0 }
        return Int((elapsed / cycle).rounded(.down))
    }

    public func isWorkerDown(_ index: Int, at instant: ContinuousClock.Instant = .now) -> Bool {
        index == crashingWorker && crash.contains(offset(at: instant))
    }

    public func isServiceSilent(at instant: ContinuousClock.Instant = .now) -> Bool {
        silence.contains(offset(at: instant))
    }

    public func isMisconfiguredPeerActive(at instant: ContinuousClock.Instant = .now) -> Bool {
        misconfigured.contains(offset(at: instant))
    }
}
