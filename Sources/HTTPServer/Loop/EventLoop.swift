import Glibc
import Logging
import Posix
import Synchronization

/// The epoll loop: accepts, reads, parses, hands requests to the workers, writes responses.
///
/// Confined to its own thread: only ``complete(_:with:)`` and ``requestStop(gracePeriod:)`` are
/// called from other threads, and they touch nothing but `completions`, `stopRequest` and the
/// eventfd. Everything else is loop state, hence `@unchecked Sendable`.
final class EventLoop: @unchecked Sendable {
    struct Completion {
        let connectionID: UInt64
        let response: PreparedResponse?
        /// A request whose password check passed off the loop: route it now.
        var authenticated: HTTPRequest? = nil
    }

    let limits: Limits
    let maxConcurrentHandlers: Int
    let gzipMinimumBytes: Int
    let logger: Logger
    let router: Router
    let recorder: StatisticsRecorder
    let epoll: Epoll
    let wakeup: Wakeup
    let pool: WorkerPool
    /// The web config's TLS, auth and rate limit; nil without one. Set before ``run()``.
    var security: SecurityRuntime?
    private let completions = Locked<[Completion]>([])
    private let stopRequest = Locked<Duration?>(nil)

    var listeners: [UInt64: Socket] = [:]
    var pausedListeners: [UInt64: Socket] = [:]
    var acceptResumeAt: UInt64?
    var nextAcceptWarning: UInt64 = 0
    var connections: [UInt64: Connection] = [:]
    /// Connections that still have input but used up their read budget; driven again next turn.
    var ready: [Connection] = []
    /// Reads one connection may do per turn, so a client streaming fast cannot starve the others.
    static let readBudget = 16
    var activeCount = 0
    var lingeringCount = 0
    var nextConnectionID: UInt64 = 1 << 32
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    var head = ResponseHead()
    var now: UInt64
    var stopDeadline: UInt64?
    let sweepInterval: UInt64
    var nextSweep: UInt64

    static let wakeupID: UInt64 = 0
    /// Connections kept open only to linger after a final response; beyond this they are closed at once.
    static let maxLingering = 256
    static let lingerTime: UInt64 = 2_000_000_000
    static let maxLingerDiscard = 1 << 20

    init(
        listeners sockets: [Socket], limits: Limits, maxConcurrentHandlers: Int, gzipMinimumBytes: Int,
        router: Router, recorder: StatisticsRecorder, logger: Logger
    ) throws(SystemError) {
        self.limits = limits
        self.maxConcurrentHandlers = maxConcurrentHandlers
        self.gzipMinimumBytes = gzipMinimumBytes
        self.router = router
        self.recorder = recorder
        self.logger = logger
        (epoll, wakeup) = try Epoll.withWakeup(id: Self.wakeupID)
        do {
            pool = try WorkerPool(maxThreads: maxConcurrentHandlers > 0 ? maxConcurrentHandlers : 64)
        } catch {
            wakeup.close()
            epoll.close()
            throw error
        }
        do {
            for (index, socket) in sockets.enumerated() {
                let id = UInt64(index + 1)
                try epoll.add(socket.fd, events: Epoll.readable, id: id)
                listeners[id] = socket
            }
        } catch {
            pool.shutdown()
            wakeup.close()
            epoll.close()
            throw error
        }
        let shortest = [limits.headerReadTimeout, limits.bodyReadTimeout, limits.idleTimeout, limits.writeTimeout]
            .map(\.nanoseconds).min() ?? 1_000_000_000
        sweepInterval = min(250_000_000, max(5_000_000, shortest / 8))
        now = Monotonic.nanoseconds()
        nextSweep = now + sweepInterval
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Called from other threads

    /// Hands a finished response back to the loop (worker threads).
    func complete(_ connectionID: UInt64, with response: PreparedResponse) {
        let wasEmpty = completions.withLock { queue in
            queue.append(Completion(connectionID: connectionID, response: response))
            return queue.count == 1
        }
        // A non-empty queue means a wake-up is already pending and the loop drains it all.
        if wasEmpty { wakeup.signal() }
    }

    /// Hands back a request whose credentials were checked on an auth thread, to be routed.
    func resume(_ connectionID: UInt64, request: HTTPRequest) {
        let wasEmpty = completions.withLock { queue in
            queue.append(Completion(connectionID: connectionID, response: nil, authenticated: request))
            return queue.count == 1
        }
        if wasEmpty { wakeup.signal() }
    }

    func requestStop(gracePeriod: Duration) {
        stopRequest.withLock { $0 = gracePeriod }
        wakeup.signal()
    }

    // MARK: The loop thread

    func run() {
        while stopDeadline == nil || (!connections.isEmpty && now < stopDeadline!) {
            do {
                try epoll.wait(timeoutMilliseconds: waitTimeout()) { id, events in
                    handleEvent(id: id, events: events)
                }
            } catch {
                logger.critical("HTTP server event loop failed; stopping it", metadata: ["error": "\(error)"])
                break
            }
            now = Monotonic.nanoseconds()
            if !ready.isEmpty { driveReady() }
            if now >= nextSweep {
                sweep()
                nextSweep = now + sweepInterval
            }
            if let resume = acceptResumeAt, now >= resume { resumeAccepting() }
        }
        teardown()
    }

    private func driveReady() {
        let batch = ready
        ready.removeAll(keepingCapacity: true)
        for connection in batch where connection.queued {
            connection.queued = false
            if connections[connection.id] === connection { drive(connection) }
        }
    }

    private func waitTimeout() -> Int32 {
        if !ready.isEmpty { return 0 }
        var deadline: UInt64?
        if !connections.isEmpty { deadline = nextSweep }
        if let resume = acceptResumeAt { deadline = min(deadline ?? resume, resume) }
        if let stop = stopDeadline { deadline = min(deadline ?? stop, stop) }
        guard let deadline else { return -1 }
        let current = Monotonic.nanoseconds()
        if deadline <= current { return 0 }
        return Int32(min((deadline - current + 999_999) / 1_000_000, 60_000))
    }

    private func handleEvent(id: UInt64, events: UInt32) {
        if id == Self.wakeupID {
            wakeup.drain()
            now = Monotonic.nanoseconds()
            checkStopRequest()
            drainCompletions()
        } else if let listener = listeners[id] {
            now = Monotonic.nanoseconds()
            acceptConnections(listenerID: id, listener: listener)
        } else if let connection = connections[id] {
            if events & (Epoll.readable | Epoll.peerClosed | Epoll.hangUp | Epoll.error) != 0 {
                connection.readable = true
            }
            if events & Epoll.peerClosed != 0 { connection.peerHalfClosed = true }
            if events & (Epoll.writable | Epoll.hangUp | Epoll.error) != 0 {
                connection.writable = true
            }
            drive(connection)
        }
        // Otherwise the connection was closed earlier in this batch.
    }

    private func drainCompletions() {
        let finished = completions.withLock { queue in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for completion in finished {
            guard let connection = connections[completion.connectionID], connection.state == .handling else {
                logger.debug("response dropped: its connection is already closed")
                continue
            }
            if let request = completion.authenticated {
                dispatch(connection, request, admitted: true)
            } else if let response = completion.response {
                respond(connection, response)
            }
            drive(connection)
        }
    }

    private func checkStopRequest() {
        guard stopDeadline == nil, let grace = stopRequest.withLock({ $0 }) else { return }
        stopDeadline = now + grace.nanoseconds
        for (_, listener) in listeners.merging(pausedListeners, uniquingKeysWith: { a, _ in a }) {
            listener.close()
        }
        listeners.removeAll()
        pausedListeners.removeAll()
        acceptResumeAt = nil
        for connection in Array(connections.values) where connection.state == .reading && connection.parser.phase == .idle {
            close(connection)
        }
        logger.debug("HTTP server stopping", metadata: ["connections": "\(connections.count)"])
    }

    private func teardown() {
        for connection in Array(connections.values) {
            if connection.state != .lingering {
                logger.debug("connection closed at shutdown", metadata: ["connection": "\(connection.id)"])
            }
            close(connection)
        }
        for listener in listeners.values { listener.close() }
        for listener in pausedListeners.values { listener.close() }
        listeners.removeAll()
        pausedListeners.removeAll()
        pool.shutdown()
        security?.authPool.shutdown()
        wakeup.close()
        epoll.close()
    }
}
