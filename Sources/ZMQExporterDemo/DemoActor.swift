import Logging
import Posix
import Synchronization
import ZMQExporter
import ZeroMQ

/// One part of the demo system (producer, worker, client...) on its own thread, owning its
/// ZeroMQ sockets from creation to close, like a separate program would.
class DemoActor: @unchecked Sendable {
    let name: String
    let context: Context
    let stats: DemoStats
    let schedule: DemoSchedule
    let logger: Logger
    private let stopFlag = Atomic<Bool>(false)
    private let finished = Latch()
    private var started = false

    /// How long an idle loop waits before looking at the stop flag and the schedule, in ms.
    static let tick = 100

    init(name: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.name = name
        self.context = context
        self.stats = stats
        self.schedule = schedule
        self.logger = logger
    }

    func start() {
        started = true
        do {
            try Thread.detach(name: "demo-\(name)") { [self] in
                self.runSessions()
                self.finish()
                self.finished.open()
            }
        } catch {
            logger.error("cannot start a demo part", metadata: ["part": "\(name)", "error": "\(error)"])
            finished.open()
        }
    }

    func requestStop() { stopFlag.store(true, ordering: .releasing) }

    /// Waits for the thread to finish; false when it did not within `timeout`.
    func waitUntilStopped(timeout: Duration) -> Bool {
        guard started else { return true }
        return finished.wait(timeout: timeout)
    }

    var isStopping: Bool { stopFlag.load(ordering: .acquiring) }

    /// Runs ``session()`` until stopped; a session that fails is logged and started again.
    private func runSessions() {
        while !isStopping {
            do {
                try session()
            } catch where error.kind == .terminated {
                return
            } catch {
                logger.warning("demo part failed; restarting it", metadata: ["part": "\(name)", "error": "\(error)"])
                pause(.seconds(1))
            }
        }
    }

    /// The part's work: create sockets, loop until stopped (or a scheduled crash), close them.
    func session() throws(ZMQError) {}

    /// Runs once on the part's thread after its last session, to close what outlives sessions.
    func finish() {}

    /// Sleeps for `duration`, waking early when the demo stops.
    func pause(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !isStopping {
            let left = end - .now
            if left <= .zero { return }
            let step = min(left, .milliseconds(Self.tick))
            Thread.sleep(step)
        }
    }

    /// A socket with LINGER 0: the demo drops unsent messages when it stops or a part crashes.
    func makeSocket(_ type: SocketType, connect endpoint: String? = nil) throws(ZMQError) -> Socket {
        let socket = try context.socket(type)
        do {
            try socket.setLinger(0)
            if let endpoint { try socket.connect(endpoint) }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Waits up to one tick for `socket` to have a message; false on timeout.
    func waitReadable(_ socket: Socket, milliseconds: Int = DemoActor.tick) throws(ZMQError) -> Bool {
        var poller = Poller()
        poller.add(socket)
        try poller.poll(timeoutMilliseconds: milliseconds)
        return poller.isReadable(0)
    }

    /// Publishes a lifecycle event `{"event":…,"id":…,"worker":…,"time":<ms>}` (PUB never blocks).
    func publish(_ bus: Socket, event: String, id: Int? = nil, worker: Int? = nil) throws(ZMQError) {
        var json = "{\"event\":\"\(event)\""
        if let id { json += ",\"id\":\(id)" }
        if let worker { json += ",\"worker\":\(worker)" }
        json += ",\"time\":\(Self.nowMilliseconds())}"
        try bus.send(json)
    }

    static func nowMilliseconds() -> Int64 {
        Int64((WallClock.now() * 1000).rounded())
    }
}
