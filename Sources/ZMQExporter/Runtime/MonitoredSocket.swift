import Logging
import Posix
import ZeroMQ

/// A socket the agent owns, with its monitor attached before any bind or connect, set up from an
/// ``EndpointConfig``. Used by one thread: a socket loop's (``watchMonitor(on:)``,
/// ``close(on:within:then:)``) or a proxy's own (``close(within:)``).
final class MonitoredSocket {
    let socket: Socket
    let monitor: SocketMonitor
    let recorder: MonitorRecorder
    /// The endpoints that were bound or connected, as libzmq resolved them (port `*` filled in).
    private(set) var endpoints: [(endpoint: String, mode: String)] = []

    /// Binds and connects that failed, retried by ``retryFailed()``; empty when the socket is up.
    private(set) var failures: [SetupFailure] = []
    let logger: Logger

    /// Creates the socket, applies options, starts the monitor, then binds and connects. A bind
    /// or connect that fails is logged, counted in `zmq_socket_setup_errors_total` and kept in
    /// ``failures`` for ``retryFailed()`` (BIND_FAILED is counted by the monitor too); only
    /// failures to create the socket or its monitor throw.
    init(context: Context, config: EndpointConfig, recorder: MonitorRecorder, logger: Logger,
         configure: (Socket) throws(ZMQError) -> Void = { _ in }) throws(ZMQError) {
        let socket = try context.socket(config.type)
        do {
            try Self.apply(config.options, to: socket)
            if let curve = config.curve { try Self.apply(curve, to: socket, domain: recorder.metrics.label) }
            try configure(socket)
            monitor = try SocketMonitor(socket: socket)
        } catch {
            socket.close()
            throw error
        }
        self.socket = socket
        self.recorder = recorder
        self.logger = logger
        for endpoint in config.bind {
            attach(endpoint, .bind, firstTry: true)
            drainMonitor()
        }
        for endpoint in config.connect {
            attach(endpoint, .connect, firstTry: true)
        }
        recorder.metrics.up.set(Int64(failures.isEmpty ? 1 : 0))
    }

    /// Binds or connects `endpoint`; a failure is counted and kept. The first failure of an
    /// endpoint is logged as an error, its retries at debug level (one line per retry would
    /// flood the log for a port that stays taken).
    private func attach(_ endpoint: String, _ action: SetupFailure.Action, firstTry: Bool) {
        var failure: SetupFailure?
        do {
            if action == .bind {
                try socket.bind(endpoint)
                endpoints.append(((try? socket.lastEndpoint) ?? endpoint, "bind"))
            } else {
                // libzmq resolves a connect's host later and retries quietly; say it now.
                failure = SetupFailure.unresolvedConnect(endpoint)
                if failure == nil || firstTry {
                    try socket.connect(endpoint)
                    endpoints.append((endpoint, "connect"))
                }
            }
        } catch {
            failure = SetupFailure.of(error, action: action, endpoint: endpoint)
        }
        guard let failure else { return }
        failures.append(failure)
        recorder.metrics.setupFailed(failure)
        logger.log(level: firstTry ? .error : .debug, "\(action.rawValue) failed; retrying", metadata: [
            "socket": "\(recorder.metrics.label)", "endpoint": "\(endpoint)", "reason": "\(failure.reason)", "error": "\(failure.message)",
        ])
    }

    /// Tries the failed binds and connects again; returns whether the socket is up now.
    @discardableResult
    func retryFailed() -> Bool {
        guard !failures.isEmpty else { return true }
        let retry = failures
        failures = []
        for failure in retry {
            if failure.action == .connect, endpoints.contains(where: { $0.endpoint == failure.endpoint && $0.mode == "connect" }) {
                // Connected already (libzmq keeps trying the host); only the name was missing.
                if let still = SetupFailure.unresolvedConnect(failure.endpoint) {
                    failures.append(still)
                    recorder.metrics.setupFailed(still)
                }
                continue
            }
            attach(failure.endpoint, failure.action, firstTry: false)
        }
        drainMonitor()
        if failures.isEmpty {
            logger.info("socket is up: every bind and connect is in place", metadata: ["socket": "\(recorder.metrics.label)"])
        }
        recorder.metrics.up.set(Int64(failures.isEmpty ? 1 : 0))
        return failures.isEmpty
    }

    static func apply(_ options: SocketOptions, to socket: Socket) throws(ZMQError) {
        // A stopped agent should not hang on unsent messages unless the config asks it to.
        try socket.setLinger(options.linger ?? 0)
        if let v = options.sendHighWaterMark { try socket.setSendHighWaterMark(v) }
        if let v = options.receiveHighWaterMark { try socket.setReceiveHighWaterMark(v) }
        if let v = options.reconnectInterval { try socket.setReconnectInterval(v) }
        if let v = options.reconnectIntervalMax { try socket.setReconnectIntervalMax(v) }
        if let v = options.heartbeatInterval { try socket.setHeartbeatInterval(v) }
        if let v = options.heartbeatTimeout { try socket.setHeartbeatTimeout(v) }
        if let v = options.heartbeatTTL { try socket.setHeartbeatTTL(v) }
    }

    /// Records every queued monitor event. Call whenever the monitor's PAIR is readable, and
    /// often: libzmq blocks its I/O thread when the monitor pipe is full.
    func drainMonitor() {
        while let event = try? monitor.receive(flags: .dontWait) {
            record(event)
        }
    }

    /// Listener descriptors from LISTENING events, until their CLOSED event.
    private var listeners: Set<Int32> = []

    /// On a socket loop: the monitor's watch, and the close in progress.
    private var monitorWatch: SocketLoop.Watch?
    private var closing: (loop: SocketLoop, deadline: TimerHeap.ID, done: () -> Void)?

    private func record(_ event: MonitorEvent) {
        if event.kind == .listening, let fd = event.fileDescriptor { listeners.insert(fd) }
        if event.kind == .closed, let fd = event.fileDescriptor { listeners.remove(fd) }
        recorder.record(event)
    }

    /// Stops the monitor (recording what was still queued, MONITOR_STOPPED included) and closes
    /// the socket. Bound endpoints are released first, waiting up to `within` for their
    /// listeners to close.
    func close(within: Duration = .seconds(1)) {
        releaseListeners(within: within)
        stopAndClose()
    }

    /// Stops the monitor, recording what was still queued, and closes the socket.
    fileprivate func stopAndClose() {
        for event in monitor.stop() { recorder.record(event) }
        socket.close()
        // MONITOR_STOPPED can be lost when the socket closes first; the live state must reset anyway.
        if recorder.connectionCount != 0 {
            recorder.record(MonitorEvent(kind: .monitorStopped, value: 0, endpoint: ""))
        }
    }

    /// Unbinds every bound endpoint: libzmq then closes their listeners (CLOSED events follow).
    fileprivate func unbindAll() {
        for endpoint in endpoints where endpoint.mode == "bind" {
            try? socket.unbind(endpoint.endpoint)
        }
    }

    /// zmq_close returns before the I/O thread closes the listeners, so a socket restarted by a
    /// reload on the same port could fail to bind (EADDRINUSE). Unbinding and waiting for each
    /// listener's CLOSED event makes the port free when close() returns.
    private func releaseListeners(within: Duration) {
        drainMonitor()
        guard !listeners.isEmpty else { return }
        unbindAll()
        let deadline = ContinuousClock.now + within
        var poller = Poller()
        poller.add(monitor.pairSocket)
        while !listeners.isEmpty, ContinuousClock.now < deadline {
            _ = try? poller.poll(timeoutMilliseconds: 20)
            drainMonitor()
        }
    }
}

// MARK: On a socket loop

extension MonitoredSocket {
    /// Drains the monitor on `loop` whenever events are queued.
    func watchMonitor(on loop: SocketLoop) throws(SystemError) {
        monitorWatch = try loop.watch(monitor.pairSocket) { [weak self] _ in
            guard let self else { return false }
            drainMonitor()
            if let closing, listeners.isEmpty { finishClosing(closing) }
            return false
        }
    }

    /// Closes the socket without holding up `loop`: stops watching `data`, unbinds, and closes
    /// once every listener has reported CLOSED (its port is free for a restarted socket) or
    /// `within` has passed; then calls `done`. Other sockets on the loop are served meanwhile.
    func close(on loop: SocketLoop, data: SocketLoop.Watch?, within: Duration = .seconds(1), then done: @escaping () -> Void) {
        if let data { loop.unwatch(data) }
        guard closing == nil else { return }
        drainMonitor()
        let deadline = loop.after(within) { [weak self] in
            guard let self, let closing else { return }
            finishClosing(closing)
        }
        closing = (loop, deadline, done)
        guard !listeners.isEmpty, monitorWatch != nil else {
            finishClosing(closing!)
            return
        }
        unbindAll()
        // The CLOSED events come through the monitor's watch, which finishes the close.
        if let monitorWatch { loop.check(monitorWatch) }
    }

    private func finishClosing(_ closing: (loop: SocketLoop, deadline: TimerHeap.ID, done: () -> Void)) {
        self.closing = nil
        closing.loop.cancel(closing.deadline)
        if let monitorWatch { closing.loop.unwatch(monitorWatch) }
        monitorWatch = nil
        stopAndClose()
        closing.done()
    }
}
