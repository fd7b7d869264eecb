import Logging
import Posix
import Synchronization
import ZeroMQ

/// A request-reply probe in the Lazy Pirate pattern: every `interval` it sends `request`, waits
/// `timeout` for the reply, and after a timeout closes and re-creates its socket (a REQ socket
/// that missed a reply cannot send again) before retrying, up to `retries` times.
final class ProbeRunner: Runner, SocketRunnerStatus, @unchecked Sendable {
    /// Its tunables (interval, timeout, retries, request, expect) change by an update, on the
    /// runner's thread, between two probe cycles.
    private(set) var probe: ProbeConfig
    let metrics: Metrics
    let recorders: [MonitorRecorder]
    let info: SocketInfoMetrics
    let success: Gauge
    private(set) var duration: Histogram
    let lastSuccess: Gauge
    let attempts: [Result: Counter]
    private let status = Locked<String>("not run yet")
    let latencies = LatencyWindow()

    enum Result: String, CaseIterable { case success, timeout, mismatch, error }

    init(config: SocketConfig, probe: ProbeConfig, metrics: Metrics, context: Context, logger: Logger) {
        let owner = MetricOwner(config.name)
        self.probe = probe
        self.metrics = metrics
        let l = [("socket", config.name)]
        recorders = [MonitorRecorder(metrics: SocketMetrics(metrics: metrics, label: config.name, owner: owner))]
        info = SocketInfoMetrics(metrics: metrics, config: config)
        success = metrics.gauge(MetricCatalog.probeSuccess, l, owner: owner)
        duration = metrics.histogram(MetricCatalog.probeDuration, l, buckets: config.buckets, owner: owner)
        lastSuccess = metrics.gauge(MetricCatalog.probeLastSuccess, l, owner: owner)
        var attempts: [Result: Counter] = [:]
        for result in Result.allCases {
            attempts[result] = metrics.counter(MetricCatalog.probeAttempts, l + [("result", result.rawValue)], owner: owner)
        }
        self.attempts = attempts
        super.init(config: config, owner: owner, context: context, logger: logger)
    }

    /// New timing, request or expected reply take effect from the next cycle; new buckets make a
    /// new, empty duration histogram (`Metrics.histogram` replaces the old one).
    override func apply(update new: SocketConfig, from old: SocketConfig) {
        guard case .probe(let updated) = new.role else { return }
        probe = updated
        if new.buckets != old.buckets {
            duration = metrics.histogram(MetricCatalog.probeDuration, [("socket", new.name)], buckets: new.buckets, owner: owner)
        }
        info.update(new)
    }

    var metricOwners: [MetricOwner] { [owner, info.owner] }

    var latencyWindow: LatencyWindow? { latencies }

    var summary: String { status.withLock { $0 } }

    private func open() -> MonitoredSocket? {
        do {
            return try MonitoredSocket(context: context, config: probe.socket, recorder: recorders[0], logger: logger)
        } catch {
            let failure = SetupFailure.of(error, action: .create, endpoint: "")
            recorders[0].metrics.setupFailed(failure)
            recorders[0].metrics.up.set(Int64(0))
            logger.error("cannot create probe socket", metadata: ["socket": "\(config.name)", "reason": "\(failure.reason)", "error": "\(failure.message)"])
            return nil
        }
    }

    override func run() {
        var socket: MonitoredSocket?
        success.set(Int64(0))
        var nextProbe = ContinuousClock.now
        while !isStopping {
            applyPendingUpdate()
            if ContinuousClock.now >= nextProbe {
                runCycle(&socket)
                nextProbe = max(nextProbe + probe.interval, ContinuousClock.now)
                continue
            }
            wait(socket, until: nextProbe)
        }
        socket?.close()
    }

    /// Drains the monitor while waiting, returning early on stop.
    private func wait(_ socket: MonitoredSocket?, until deadline: ContinuousClock.Instant) {
        guard let socket else {
            let remaining = min(deadline - .now, .milliseconds(Self.stopCheckMilliseconds))
            Thread.sleep(remaining)
            return
        }
        var poller = Poller()
        poller.add(socket.monitor.pairSocket)
        _ = try? poller.poll(timeoutMilliseconds: Self.milliseconds(until: deadline))
        socket.drainMonitor()
    }

    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int {
        let remaining = deadline - .now
        let ms = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
        return Int(max(0, min(Int64(stopCheckMilliseconds), ms + 1)))
    }

    /// Opens the probe's socket when it has none; the first socket it makes makes the probe ready.
    /// A socket that cannot be made (the socket limit, a bad endpoint) is a failed attempt,
    /// tried again at the next one.
    private func reopen(_ socket: inout MonitoredSocket?) -> MonitoredSocket? {
        if socket == nil {
            socket = open()
            if let made = socket {
                if !isReady { info.publish(sides: [made.endpoints]) }
                markReady([made])
            }
        }
        return socket
    }

    private func runCycle(_ socket: inout MonitoredSocket?) {
        var last = Result.error
        for attempt in 0...probe.retries where !isStopping {
            guard let current = reopen(&socket) else {
                attempts[.error]?.increment()
                last = .error
                break
            }
            let (result, elapsed) = attemptOnce(current)
            // A stop (shutdown or reload) cut the attempt short: it says nothing about the service.
            if isStopping { return }
            attempts[result]?.increment()
            last = result
            if result == .success {
                duration.record(elapsed)
                latencies.record(elapsed)
                lastSuccess.set(WallClock.now())
                break
            }
            if result == .mismatch { break }
            logger.debug("probe attempt failed", metadata: ["socket": "\(config.name)", "attempt": "\(attempt + 1)", "result": "\(result.rawValue)"])
            // Lazy Pirate: a REQ socket that lost its reply is stuck; start over with a new one.
            current.close()
            socket = nil
        }
        success.set(Int64(last == .success ? 1 : 0))
        let text = last == .success ? "ok" : "failing (\(last.rawValue))"
        status.withLock { $0 = text }
    }

    /// One request and the wait for its reply. Returns the result and the round trip in seconds.
    private func attemptOnce(_ socket: MonitoredSocket) -> (Result, Double) {
        let start = ContinuousClock.now
        let deadline = start + probe.timeout
        var request = [Message(probe.request)]
        if socket.socket.type == .dealer { request.insert(Message(), at: 0) }
        var poller = Poller()
        let data = poller.add(socket.socket, events: [.readable, .writable])
        let monitor = poller.add(socket.monitor.pairSocket)
        var sent = false
        while !isStopping {
            let now = ContinuousClock.now
            if now >= deadline { return (.timeout, 0) }
            do {
                try poller.poll(timeoutMilliseconds: Self.milliseconds(until: deadline))
            } catch {
                return (.error, 0)
            }
            if poller.isReadable(monitor) { socket.drainMonitor() }
            let ready = poller.events(at: data)
            if !sent && ready.contains(.writable) {
                do {
                    let size = request.reduce(0) { $0 + $1.count }
                    try socket.socket.send(multipart: request, flags: .dontWait)
                    socket.recorder.metrics.sent(messages: 1, bytes: size)
                    sent = true
                    poller.setEvents(.readable, at: data)
                } catch where error.kind == .wouldBlock {
                    continue
                } catch {
                    return (.error, 0)
                }
            } else if sent && ready.contains(.readable) {
                guard let reply = try? socket.socket.receiveMultipart(flags: .dontWait), let body = reply.last else { continue }
                socket.recorder.metrics.received(messages: 1, bytes: reply.reduce(0) { $0 + $1.count })
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                if let expect = probe.expect, body.bytes != expect { return (.mismatch, seconds) }
                return (.success, seconds)
            }
        }
        return (.error, 0)
    }
}
