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

/// One configured socket's runtime: its ZeroMQ sockets, its role's logic and its status.
/// ZeroMQ sockets are not thread-safe, so one thread does everything with them: a socket loop
/// (``LoopRunner``: taps and probes) or a thread of the runner's own (``ThreadRunner``:
/// proxies). Other threads read metrics and the status snapshot.
class Runner: @unchecked Sendable {
    let context: Context
    let logger: Logger
    /// Holds the socket's series (``Metrics/remove(owner:)`` when the runner is replaced).
    let owner: MetricOwner
    /// Opened when the runner's sockets are closed (or were never made).
    let finished = Latch()
    private let readyFlag = Atomic<Bool>(false)
    private let endpointsBox = Locked<[[(endpoint: String, mode: String)]]>([])
    private let failuresBox = Locked<[[SetupFailure]]>([])
    /// When the failed binds and connects are tried next, and the wait after that (1 s
    /// doubling to 30 s: a taken port freed by its holder is bound again within 30 s).
    private(set) var nextRetry = ContinuousClock.now
    private var retryDelay = Duration.seconds(1)
    static let maxRetryDelay = Duration.seconds(30)

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

    /// Starts the runner's sockets. Subclasses override.
    func start(name: String) { finished.open() }

    /// Asks the runner to close its sockets, without waiting. Subclasses override.
    func requestStop() {}

    /// Asks the runner to stop and waits up to `timeout` for its sockets to close.
    /// Returns false when they were not closed in time.
    @discardableResult
    func stop(timeout: Duration = .seconds(5)) -> Bool {
        requestStop()
        return finished.wait(timeout: timeout)
    }

    /// The config in effect; after ``update(_:)``, the new one once the runner's thread took it.
    public var config: SocketConfig { configBox.withLock { $0 } }

    /// Hands the runner a config whose ``SocketConfig/wire`` equals the running one's: the
    /// runner's thread applies its tunables at once (a probe between two probe cycles),
    /// closing nothing.
    func update(_ config: SocketConfig) {
        pending.withLock { $0 = config }
        hasPending.store(true, ordering: .releasing)
        updateArrived()
    }

    /// Wakes the runner's thread to apply an update. Subclasses override.
    func updateArrived() {}

    /// On the runner's thread: applies a pending update through ``apply(update:from:)``.
    /// Returns whether there was one. One atomic load when not.
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

    /// Counts and publishes a failure to create the runner's sockets (EMFILE, the socket limit).
    func creationFailed(_ error: any Error, what: String, socket name: String, attempt: Int, recorders: [MonitorRecorder]) {
        let failure = SetupFailure.of(error, action: .create, endpoint: "")
        for recorder in recorders {
            recorder.metrics.setupFailed(failure)
            recorder.metrics.up.set(Int64(0))
        }
        failuresBox.withLock { $0 = recorders.map { _ in [failure] } }
        let level: Logger.Level = attempt == 1 ? .error : .debug
        logger.log(level: level, "cannot create \(what); retrying", metadata: ["socket": "\(name)", "error": "\(error)", "attempt": "\(attempt)"])
    }

    /// The wait before creation attempt `attempt + 1`: 0.5 s, 1 s, ... up to 10 s. A socket that
    /// cannot be created now may be creatable later; a runner that gave up would stay unready
    /// until a reload.
    static func creationDelay(after attempt: Int) -> Duration {
        min(.milliseconds(500) * (1 << min(max(attempt - 1, 0), 5)), .seconds(10))
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
