import Logging
import Posix
import Synchronization
import ZeroMQ

/// A request-reply probe in the Lazy Pirate pattern: every `interval` it sends `request`, waits
/// `timeout` for the reply, and after a timeout closes and re-creates its socket (a REQ socket
/// that missed a reply cannot send again) before retrying, up to `retries` times.
final class ProbeRunner: LoopRunner, SocketRunnerStatus, @unchecked Sendable {
    /// Its tunables (interval, timeout, retries, request, expect) change by an update, on the
    /// probe's loop, between two probe cycles.
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

    init(config: SocketConfig, probe: ProbeConfig, metrics: Metrics, context: Context, loops: SocketLoops, logger: Logger) {
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
        super.init(config: config, owner: owner, context: context, loops: loops, logger: logger)
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

    // MARK: The probe cycle, a state machine on the probe's loop

    /// The socket, made at the first attempt and again after each failed one.
    private var socket: MonitoredSocket?
    private var dataWatch: SocketLoop.Watch?
    /// The scheduled start of the current or next cycle.
    private var nextProbe = ContinuousClock.now
    private var cycleTimer: TimerHeap.ID?
    private var timeoutTimer: TimerHeap.ID?
    /// The attempt in progress: its number in the cycle, its start, its request once sent.
    private var attempt = 0
    private var attemptStart = ContinuousClock.now
    private var request: [Message] = []
    private var sent = false
    private var inAttempt = false
    private var creationAttempts = 0
    /// A failed attempt's socket is closing (asynchronously); a stop meanwhile waits for it, so
    /// that a restarted probe finds its port free.
    private var oldSocketClosing = false
    private var whenOldSocketClosed: (() -> Void)?

    override func open(on loop: SocketLoop) {
        success.set(Int64(0))
        nextProbe = .now
        startCycle(on: loop)
    }

    override func close(on loop: SocketLoop, then done: @escaping () -> Void) {
        // A stop (shutdown or reload) cuts an attempt short: it says nothing about the service.
        loop.cancel(cycleTimer)
        loop.cancel(timeoutTimer)
        inAttempt = false
        guard let socket else {
            if oldSocketClosing { whenOldSocketClosed = done } else { done() }
            return
        }
        self.socket = nil
        socket.close(on: loop, data: dataWatch, then: done)
        dataWatch = nil
    }

    private func startCycle(on loop: SocketLoop) {
        cycleTimer = nil
        guard !stopping else { return }
        attempt = 0
        beginAttempt(on: loop)
    }

    /// Makes the socket when it has none (the first one makes the probe ready), then sends the
    /// request as soon as the socket takes it. A socket that cannot be made (the socket limit,
    /// a bad endpoint) is a failed attempt that ends the cycle.
    private func beginAttempt(on loop: SocketLoop) {
        guard !stopping else { return }
        if socket == nil {
            guard let made = makeSocket(on: loop) else {
                attempts[.error]?.increment()
                finishCycle(.error, on: loop)
                return
            }
            if !isReady { info.publish(sides: [made.endpoints]) }
            markReady([made])
            socket = made
        }
        guard let socket, let dataWatch else { return }
        request = [Message(probe.request)]
        if socket.socket.type == .dealer { request.insert(Message(), at: 0) }
        sent = false
        inAttempt = true
        attemptStart = .now
        timeoutTimer = loop.at(attemptStart + probe.timeout) { [self] in
            timeoutTimer = nil
            endAttempt(.timeout, seconds: 0, on: loop)
        }
        loop.setEvents(.writable, of: dataWatch)
    }

    private func makeSocket(on loop: SocketLoop) -> MonitoredSocket? {
        do throws(any Error) {
            let made = try MonitoredSocket(context: context, config: probe.socket, recorder: recorders[0], logger: logger)
            do throws(SystemError) {
                try made.watchMonitor(on: loop)
                dataWatch = try loop.watch(made.socket, events: []) { [weak self] ready in
                    self?.socketReady(ready, on: loop) ?? false
                }
            } catch {
                made.close(within: .zero)
                throw error
            }
            creationAttempts = 0
            return made
        } catch {
            creationAttempts += 1
            creationFailed(error, what: "probe socket", socket: config.name, attempt: creationAttempts, recorders: recorders)
            return nil
        }
    }

    /// The socket's handler: sends the request once it is writable, then takes the reply.
    private func socketReady(_ ready: PollEvents, on loop: SocketLoop) -> Bool {
        guard inAttempt, let socket, let dataWatch else { return false }
        if !sent && ready.contains(.writable) {
            do {
                let size = request.reduce(0) { $0 + $1.count }
                try socket.socket.send(multipart: request, flags: .dontWait)
                socket.recorder.metrics.sent(messages: 1, bytes: size)
                sent = true
                loop.setEvents(.readable, of: dataWatch)
            } catch where error.kind == .wouldBlock {
                return false
            } catch {
                endAttempt(.error, seconds: 0, on: loop)
            }
        } else if sent && ready.contains(.readable) {
            guard let reply = try? socket.socket.receiveMultipart(flags: .dontWait), let body = reply.last else { return false }
            socket.recorder.metrics.received(messages: 1, bytes: reply.reduce(0) { $0 + $1.count })
            let seconds = (ContinuousClock.now - attemptStart).seconds
            if let expect = probe.expect, body.bytes != expect {
                endAttempt(.mismatch, seconds: seconds, on: loop)
            } else {
                endAttempt(.success, seconds: seconds, on: loop)
            }
        }
        return false
    }

    /// Counts the attempt; a timeout or error closes the socket (Lazy Pirate: a REQ socket that
    /// lost its reply is stuck) and tries again while retries are left, after the old socket
    /// is closed (a probe that binds gets its port back first).
    private func endAttempt(_ result: Result, seconds: Double, on loop: SocketLoop) {
        guard inAttempt, !stopping else { return }
        inAttempt = false
        loop.cancel(timeoutTimer)
        timeoutTimer = nil
        if let dataWatch { loop.setEvents([], of: dataWatch) }
        attempts[result]?.increment()
        if result == .success {
            duration.record(seconds)
            latencies.record(seconds)
            lastSuccess.set(WallClock.now())
        }
        if result == .success || result == .mismatch {
            finishCycle(result, on: loop)
            return
        }
        logger.debug("probe attempt failed", metadata: ["socket": "\(config.name)", "attempt": "\(attempt + 1)", "result": "\(result.rawValue)"])
        guard let socket else { return finishCycle(result, on: loop) }
        self.socket = nil
        let retry = attempt < probe.retries
        oldSocketClosing = true
        socket.close(on: loop, data: dataWatch) { [self] in
            oldSocketClosing = false
            if let stopped = whenOldSocketClosed {
                whenOldSocketClosed = nil
                return stopped()
            }
            guard !stopping else { return }
            if retry {
                attempt += 1
                beginAttempt(on: loop)
            } else {
                finishCycle(result, on: loop)
            }
        }
        dataWatch = nil
    }

    private func finishCycle(_ last: Result, on loop: SocketLoop) {
        guard !stopping else { return }
        success.set(Int64(last == .success ? 1 : 0))
        let text = last == .success ? "ok" : "failing (\(last.rawValue))"
        status.withLock { $0 = text }
        nextProbe = max(nextProbe + probe.interval, .now)
        cycleTimer = loop.at(nextProbe) { [self] in startCycle(on: loop) }
    }
}
