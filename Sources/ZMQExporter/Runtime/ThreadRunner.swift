import Logging
import Posix
import Synchronization
import ZeroMQ

/// A runner with a thread of its own: the proxies (``ProxyRunner`` says why). Its loop waits in
/// `zmq_poll` with ``wakeup`` among the items, so a stop or an update wakes it at once.
class ThreadRunner: Runner, @unchecked Sendable {
    private let stopFlag = Atomic<Bool>(false)
    /// Signalled by ``requestStop()`` and ``update(_:)``; made by ``start(name:)``.
    private(set) var wakeup: Wakeup?

    override func start(name: String) {
        do {
            let wakeup = try Wakeup()
            self.wakeup = wakeup
            try Thread.detach(name: "zmq-\(name)", stackSize: 1 << 20) { [self] in
                self.run()
                wakeup.close()
                self.finished.open()
            }
        } catch {
            // Nothing to wait for: the socket stays unready, and a reload tries again.
            logger.error("cannot start the socket's thread", metadata: ["socket": "\(name)", "error": "\(error)"])
            wakeup?.close()
            finished.open()
        }
    }

    override func requestStop() {
        stopFlag.store(true, ordering: .releasing)
        wakeup?.signal()
    }

    override func updateArrived() { wakeup?.signal() }

    var isStopping: Bool { stopFlag.load(ordering: .acquiring) }

    /// The role's loop; runs on the runner's thread. Subclasses override.
    func run() {}

    /// Waits up to `duration`, returning early when woken (a stop or an update).
    func pause(_ duration: Duration) {
        guard let wakeup else { return }
        var poller = Poller()
        poller.add(fileDescriptor: wakeup.fd)
        _ = try? poller.poll(timeoutMilliseconds: duration.millisecondsRoundedUp)
        wakeup.drain()
    }

    /// Calls `make` until it succeeds or the runner stops (nil then), waiting 0.5 s, 1 s, ... up
    /// to 10 s between tries (``Runner/creationDelay(after:)``).
    func retrying<T>(_ what: String, socket name: String, recorders: [MonitorRecorder], _ make: () throws -> T) -> T? {
        var attempt = 0
        while !isStopping {
            do {
                return try make()
            } catch {
                attempt += 1
                creationFailed(error, what: what, socket: name, attempt: attempt, recorders: recorders)
            }
            pause(Self.creationDelay(after: attempt))
        }
        return nil
    }
}

/// A runner whose sockets live on one of the agent's ``SocketLoop``s: taps and probes. Every
/// role method runs on that loop's thread; others only hand it commands.
class LoopRunner: Runner, @unchecked Sendable {
    let loops: SocketLoops
    /// Set by ``start(name:)`` before any command reaches the loop.
    private(set) var loop: SocketLoop?
    /// On the loop's thread: set once a stop was asked; role callbacks then do nothing.
    private(set) var stopping = false
    private var creationAttempt = 0
    private var creationTimer: TimerHeap.ID?
    private var bindRetryTimer: TimerHeap.ID?

    init(config: SocketConfig, owner: MetricOwner, context: Context, loops: SocketLoops, logger: Logger) {
        self.loops = loops
        super.init(config: config, owner: owner, context: context, logger: logger)
    }

    override func start(name: String) {
        let loop = loops.leastLoaded()
        loop.memberCount.add(1, ordering: .relaxed)
        self.loop = loop
        loop.perform { [self] in open(on: loop) }
    }

    override func requestStop() {
        guard let loop else {
            finished.open()
            return
        }
        loop.perform { [self] in
            guard !stopping else { return }
            stopping = true
            loop.cancel(creationTimer)
            loop.cancel(bindRetryTimer)
            close(on: loop) { [self] in
                loop.memberCount.subtract(1, ordering: .relaxed)
                finished.open()
            }
        }
    }

    override func updateArrived() {
        loop?.perform { [self] in
            if !stopping { applyPendingUpdate() }
        }
    }

    /// The role's start, on the loop's thread. Subclasses override.
    func open(on loop: SocketLoop) {}

    /// The role's close, on the loop's thread: closes its sockets (asynchronously, see
    /// ``MonitoredSocket/close(on:within:then:)``), then calls `done`. Subclasses override.
    func close(on loop: SocketLoop, then done: @escaping () -> Void) { done() }

    /// Calls `make` now and, while it fails, again after 0.5 s, 1 s, ... up to 10 s
    /// (``Runner/creationDelay(after:)``), without holding up the loop; then `use` with what it
    /// made. Nothing more after a stop.
    func create<T>(_ what: String, recorders: [MonitorRecorder], on loop: SocketLoop, _ make: @escaping () throws -> T, then use: @escaping (T) -> Void) {
        guard !stopping else { return }
        do {
            let made = try make()
            creationAttempt = 0
            use(made)
        } catch {
            creationAttempt += 1
            creationFailed(error, what: what, socket: config.name, attempt: creationAttempt, recorders: recorders)
            creationTimer = loop.after(Self.creationDelay(after: creationAttempt)) { [self] in
                create(what, recorders: recorders, on: loop, make, then: use)
            }
        }
    }

    /// Tries failed binds and connects again when ``Runner/nextRetry`` comes, as long as some
    /// remain (1 s doubling to 30 s), publishing each outcome.
    func retryFailedBinds(_ sockets: [MonitoredSocket], info: SocketInfoMetrics, on loop: SocketLoop) {
        guard !stopping, sockets.contains(where: { !$0.failures.isEmpty }) else { return }
        loop.cancel(bindRetryTimer)
        bindRetryTimer = loop.at(max(nextRetry, .now)) { [self] in
            bindRetryTimer = nil
            retryFailedIfDue(sockets, info: info)
            retryFailedBinds(sockets, info: info, on: loop)
        }
    }
}
