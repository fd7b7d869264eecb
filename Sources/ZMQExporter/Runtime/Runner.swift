import Logging
import Posix
import Synchronization
import ZeroMQ

/// What the landing page and readiness need from a running socket.
public protocol SocketRunnerStatus: AnyObject, Sendable {
    var config: SocketConfig { get }
    /// One recorder per `socket` label, in the order of ``SocketConfig/sides``.
    var recorders: [MonitorRecorder] { get }
    /// The resolved endpoints per side, once set up.
    var resolvedEndpoints: [[(endpoint: String, mode: String)]] { get }
    var isReady: Bool { get }
    /// A short role-specific status line (probe state, in-flight requests...).
    var summary: String { get }
    /// Recent round trips (probes) or request durations (ROUTER/DEALER proxies).
    var latencyWindow: LatencyWindow? { get }
    /// The owners of the socket's series: its own and its info's.
    var metricOwners: [MetricOwner] { get }
    /// Per side, the binds, connects or socket creation that failed and are being retried;
    /// all empty when the socket is up.
    var setupFailures: [[SetupFailure]] { get }
}

extension SocketRunnerStatus {
    /// Whether the socket is set up with every bind and connect in place (`zmq_socket_up` 1).
    public var isUp: Bool { isReady && setupFailures.allSatisfy(\.isEmpty) }
}

/// A thread that owns one configured socket's ZeroMQ sockets for their whole life: it creates
/// them, runs the role's loop, and closes them. ZeroMQ sockets are not thread-safe, so nothing
/// else touches them; other threads read metrics and the status snapshot.
class Runner: @unchecked Sendable {
    let context: Context
    let logger: Logger
    /// Holds the socket's series (``Metrics/remove(owner:)`` when the runner is replaced).
    let owner: MetricOwner
    let stopFlag = Atomic<Bool>(false)
    private let finished = Latch()
    private let readyFlag = Atomic<Bool>(false)
    private let endpointsBox = Locked<[[(endpoint: String, mode: String)]]>([])
    private let failuresBox = Locked<[[SetupFailure]]>([])
    /// When the failed binds and connects are tried next, and the wait after that (1 s
    /// doubling to 30 s: a taken port freed by its holder is bound again within 30 s).
    private var nextRetry = ContinuousClock.now
    private var retryDelay = Duration.seconds(1)
    static let maxRetryDelay = Duration.seconds(30)
    private var started = false

    /// How often an idle loop looks at the stop flag, in ms: the longest a stop waits for one
    /// socket, and 4 wake-ups a second per idle socket.
    static let stopCheckMilliseconds = 250

    private let configBox: Locked<SocketConfig>
    /// A config handed over by ``update(_:)``, applied by the runner's thread on its next turn.
    private let pending = Locked<SocketConfig?>(nil)
    private let hasPending = Atomic<Bool>(false)

    init(config: SocketConfig, owner: MetricOwner, context: Context, logger: Logger) {
        configBox = Locked(config)
        self.owner = owner
        self.context = context
        self.logger = logger
    }

    func start(name: String) {
        started = true
        do {
            try Thread.detach(name: "zmq-\(name)", stackSize: 1 << 20) { [self] in
                self.run()
                self.finished.open()
            }
        } catch {
            // Nothing to wait for: the socket stays unready, and a reload tries again.
            logger.error("cannot start the socket's thread", metadata: ["socket": "\(name)", "error": "\(error)"])
            finished.open()
        }
    }

    /// Asks the loop to stop and waits up to `timeout` for its sockets to close.
    /// Returns false when the thread did not finish in time.
    @discardableResult
    func stop(timeout: Duration = .seconds(5)) -> Bool {
        stopFlag.store(true, ordering: .releasing)
        guard started else { return true }
        return finished.wait(timeout: timeout)
    }

    var isStopping: Bool { stopFlag.load(ordering: .acquiring) }

    /// The config in effect; after ``update(_:)``, the new one once the runner's thread took it.
    public var config: SocketConfig { configBox.withLock { $0 } }

    /// Hands the runner a config whose ``SocketConfig/wire`` equals the running one's: the
    /// runner's thread applies its tunables on its next turn (within about
    /// ``stopCheckMilliseconds`` when idle; a probe between two probe cycles), closing nothing.
    func update(_ config: SocketConfig) {
        pending.withLock { $0 = config }
        hasPending.store(true, ordering: .releasing)
    }

    /// Whether an update is waiting or being applied (tests wait for it to be false).
    var updatePending: Bool { hasPending.load(ordering: .acquiring) }

    /// Called by the role's loop on each turn, on the runner's thread: applies a pending update
    /// through ``apply(update:from:)``. Returns whether there was one. One atomic load when not.
    @discardableResult
    func applyPendingUpdate() -> Bool {
        guard hasPending.load(ordering: .acquiring) else { return false }
        guard let next = pending.withLock({ slot -> SocketConfig? in
            defer { slot = nil }
            return slot
        }) else { return false }
        let old = config
        apply(update: next, from: old)
        configBox.withLock { $0 = next }
        // A newer update may have come in meanwhile: the flag stays up for the next turn.
        pending.withLock { if $0 == nil { hasPending.store(false, ordering: .releasing) } }
        return true
    }

    /// The role's part of an update, on the runner's thread. Subclasses override.
    func apply(update new: SocketConfig, from old: SocketConfig) {}

    /// The role's loop; runs on the runner's thread. Subclasses override.
    func run() {}

    /// Calls `make` until it succeeds or the runner stops (nil then), waiting 0.5 s, 1 s, ... up
    /// to 10 s between tries: a socket that cannot be created now (EMFILE, the socket limit)
    /// may be creatable later, and a runner that gave up would stay unready until a reload.
    func retrying<T>(_ what: String, socket name: String, recorders: [MonitorRecorder], _ make: () throws -> T) -> T? {
        var delay = Duration.milliseconds(500)
        var attempt = 0
        while !isStopping {
            do {
                return try make()
            } catch {
                attempt += 1
                let failure = SetupFailure.of(error, action: .create, endpoint: "")
                for recorder in recorders {
                    recorder.metrics.setupFailed(failure)
                    recorder.metrics.up.set(Int64(0))
                }
                failuresBox.withLock { $0 = recorders.map { _ in [failure] } }
                let level: Logger.Level = attempt == 1 ? .error : .debug
                logger.log(level: level, "cannot create \(what); retrying", metadata: ["socket": "\(name)", "error": "\(error)", "attempt": "\(attempt)"])
            }
            let deadline = ContinuousClock.now + delay
            while !isStopping && ContinuousClock.now < deadline {
                Thread.sleep(.milliseconds(Self.stopCheckMilliseconds))
            }
            delay = min(delay * 2, .seconds(10))
        }
        return nil
    }

    /// Publishes the sockets' endpoints and failures, and makes the runner ready (set up).
    func markReady(_ sockets: [MonitoredSocket]) {
        endpointsBox.withLock { $0 = sockets.map(\.endpoints) }
        failuresBox.withLock { $0 = sockets.map(\.failures) }
        readyFlag.store(true, ordering: .releasing)
    }

    /// Called by the loop on each turn: tries failed binds and connects again when due, and
    /// publishes the outcome. Cheap when nothing failed.
    func retryFailedIfDue(_ sockets: [MonitoredSocket], info: SocketInfoMetrics) {
        guard sockets.contains(where: { !$0.failures.isEmpty }) else { return }
        let now = ContinuousClock.now
        guard now >= nextRetry else { return }
        let before = sockets.map(\.endpoints.count)
        for socket in sockets { socket.retryFailed() }
        if sockets.map(\.endpoints.count) != before { info.publish(sides: sockets.map(\.endpoints)) }
        markReady(sockets)
        nextRetry = now + retryDelay
        retryDelay = min(retryDelay * 2, Self.maxRetryDelay)
    }

    public var setupFailures: [[SetupFailure]] { failuresBox.withLock { $0 } }

    public var isReady: Bool { readyFlag.load(ordering: .acquiring) }
    public var resolvedEndpoints: [[(endpoint: String, mode: String)]] { endpointsBox.withLock { $0 } }
}
