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
    private var started = false

    /// How often an idle loop looks at the stop flag, in ms: the longest a stop waits for one
    /// socket, and 4 wake-ups a second per idle socket.
    static let stopCheckMilliseconds = 250

    init(owner: MetricOwner, context: Context, logger: Logger) {
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

    /// The role's loop; runs on the runner's thread. Subclasses override.
    func run() {}

    /// Calls `make` until it succeeds or the runner stops (nil then), waiting 0.5 s, 1 s, ... up
    /// to 10 s between tries: a socket that cannot be created now (EMFILE, the socket limit)
    /// may be creatable later, and a runner that gave up would stay unready until a reload.
    func retrying<T>(_ what: String, socket name: String, _ make: () throws -> T) -> T? {
        var delay = Duration.milliseconds(500)
        var attempt = 0
        while !isStopping {
            do {
                return try make()
            } catch {
                attempt += 1
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

    func markReady(_ endpoints: [[(endpoint: String, mode: String)]]) {
        endpointsBox.withLock { $0 = endpoints }
        readyFlag.store(true, ordering: .releasing)
    }

    public var isReady: Bool { readyFlag.load(ordering: .acquiring) }
    public var resolvedEndpoints: [[(endpoint: String, mode: String)]] { endpointsBox.withLock { $0 } }
}
