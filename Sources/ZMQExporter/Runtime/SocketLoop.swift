import Glibc
import Logging
import Posix
import Synchronization
import ZeroMQ

/// One socket-loop thread: it owns the ZeroMQ sockets of many taps and probes (and their
/// monitors) from creation to close, as libzmq runs many sockets on a few I/O threads.
///
/// It waits in `epoll_wait` on each socket's `ZMQ_FD`, an eventfd for commands from other
/// threads, and the deadline of its earliest timer. `ZMQ_FD` only says that something *may*
/// have changed, and libzmq resets it whenever the socket processes its commands (any send or
/// receive): so a woken socket's `ZMQ_EVENTS` is read before its handler runs, a handler reads
/// until would-block or hands back "more" (then it is looked at again next turn without
/// waiting), and code that uses a socket outside its handler calls ``check(_:)``
/// (docs/socket-loops.md).
///
/// Fairness: each ready socket gets one handler call per turn, and a handler takes at most a
/// batch (a tap 512 messages), so a flooded tap cannot starve the monitors or other sockets of
/// its loop; monitor PAIRs are separate watches, drained on every turn they are readable.
///
/// Everything but ``perform(_:)``, ``memberCount`` and ``stop()`` is for the loop's own thread.
final class SocketLoop: @unchecked Sendable {
    /// A socket watched by the loop, with its handler.
    final class Watch {
        fileprivate let id: UInt64
        let socket: Socket
        fileprivate let fd: Int32
        /// The readiness the handler is called for.
        fileprivate(set) var events: PollEvents
        fileprivate let handler: (PollEvents) -> Bool
        fileprivate var queued = false
        fileprivate var active = true

        fileprivate init(id: UInt64, socket: Socket, fd: Int32, events: PollEvents, handler: @escaping (PollEvents) -> Bool) {
            self.id = id
            self.socket = socket
            self.fd = fd
            self.events = events
            self.handler = handler
        }
    }

    let name: String
    private let logger: Logger
    private let epoll: Epoll
    private let wakeup: Wakeup
    private let commands = Locked<[() -> Void]>([])
    private var watches: [UInt64: Watch] = [:]
    private var lastWatchID: UInt64 = 0
    private var ready: [Watch] = []
    private var timers = TimerHeap()
    private var running = true
    private var thread: Thread?
    /// Sockets (taps, probes) placed on this loop, for choosing the least loaded one.
    let memberCount = Atomic<Int>(0)

    private static let wakeupID: UInt64 = 0

    init(name: String, logger: Logger) throws(SystemError) {
        self.name = name
        self.logger = logger
        (epoll, wakeup) = try Epoll.withWakeup(id: Self.wakeupID)
        do {
            thread = try Thread(name: name) { [self] in self.run() }
        } catch {
            wakeup.close()
            epoll.close()
            throw error
        }
    }

    /// Runs `body` on the loop's thread at its next turn. From any thread.
    func perform(_ body: @escaping () -> Void) {
        commands.withLock { $0.append(body) }
        wakeup.signal()
    }

    /// Ends the loop after the commands queued before this call, and waits for its thread.
    /// Sockets still watched then are left to their owners (closed when released).
    func stop() {
        perform { [self] in running = false }
        thread?.join()
        thread = nil
    }

    /// Whether ``stop()`` has ended the loop's thread.
    var hasStopped: Bool { thread == nil }

    // MARK: Watches (loop thread)

    /// Watches `socket`: `handler` is called with what the socket is ready for among `events`,
    /// and returns true when it stopped before would-block (its batch was full), to be called
    /// again next turn. The socket is looked at once right away: it may be ready already.
    func watch(_ socket: Socket, events: PollEvents = .readable, _ handler: @escaping (PollEvents) -> Bool) throws(SystemError) -> Watch {
        let fd: Int32
        do {
            fd = try socket.fileDescriptor
        } catch {
            throw SystemError(function: "zmq_getsockopt(ZMQ_FD)", errno: error.errno)
        }
        lastWatchID += 1
        let watch = Watch(id: lastWatchID, socket: socket, fd: fd, events: events, handler: handler)
        // Level-triggered: ZMQ_FD stays readable until libzmq processes the socket's commands,
        // which reading ZMQ_EVENTS does.
        try epoll.add(fd, events: Epoll.readable, id: watch.id)
        watches[watch.id] = watch
        check(watch)
        return watch
    }

    /// Stops watching; the handler is not called again. Before closing the socket.
    func unwatch(_ watch: Watch) {
        guard watch.active else { return }
        watch.active = false
        epoll.remove(watch.fd)
        watches[watch.id] = nil
    }

    /// Changes what the handler is called for, and looks at the socket again.
    func setEvents(_ events: PollEvents, of watch: Watch) {
        watch.events = events
        check(watch)
    }

    /// Looks at the socket's `ZMQ_EVENTS` on this turn's pass (or the next): call after using
    /// a watched socket outside its handler, since that may have reset its `ZMQ_FD`.
    func check(_ watch: Watch) {
        guard watch.active, !watch.queued else { return }
        watch.queued = true
        ready.append(watch)
    }

    // MARK: Timers (loop thread)

    @discardableResult
    func at(_ deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> TimerHeap.ID {
        timers.schedule(at: deadline, action)
    }

    @discardableResult
    func after(_ delay: Duration, _ action: @escaping () -> Void) -> TimerHeap.ID {
        timers.schedule(at: .now + delay, action)
    }

    func cancel(_ timer: TimerHeap.ID?) {
        if let timer { timers.cancel(timer) }
    }

    // MARK: The loop

    private func run() {
        while running {
            turn()
        }
        // Whatever was queued after the stop command runs too: nothing asked of the loop is lost.
        runCommands()
        wakeup.close()
        epoll.close()
    }

    private func turn() {
        var woken = false
        do {
            try epoll.wait(timeoutMilliseconds: waitMilliseconds()) { id, _ in
                if id == Self.wakeupID {
                    woken = true
                } else if let watch = watches[id] {
                    check(watch)
                }
            }
        } catch {
            // epoll_wait fails only for a bad descriptor or buffer: a bug, not a runtime state.
            logger.critical("socket loop cannot wait", metadata: ["loop": "\(name)", "error": "\(error)"])
            Thread.sleep(.milliseconds(100))
        }
        if woken {
            wakeup.drain()
            runCommands()
        }
        handleReady()
        runTimers()
    }

    /// 0 when a socket is waiting for another handler call, else until the next timer (rounded
    /// up, so the loop never wakes just before it), else forever.
    private func waitMilliseconds() -> Int32 {
        if !ready.isEmpty { return 0 }
        guard let deadline = timers.nextDeadline() else { return -1 }
        return Int32(clamping: (deadline - .now).millisecondsRoundedUp)
    }

    private func runCommands() {
        let queued = commands.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for command in queued { command() }
    }

    private func handleReady() {
        guard !ready.isEmpty else { return }
        let pass = ready
        ready = []
        for watch in pass {
            watch.queued = false
            guard watch.active else { continue }
            // A closed socket (closed by its owner before unwatching) has nothing to say.
            guard let now = try? watch.socket.events else { continue }
            let due = now.intersection(watch.events)
            if !due.isEmpty, watch.handler(due) { check(watch) }
        }
    }

    private func runTimers() {
        let now = ContinuousClock.now
        while let action = timers.popDue(now: now) { action() }
    }
}

/// The agent's socket loops: sockets are placed on the least loaded one.
final class SocketLoops: Sendable {
    let loops: [SocketLoop]

    /// Starts `count` loops (at least one).
    init(count: Int, logger: Logger) throws(SystemError) {
        var made: [SocketLoop] = []
        for index in 0..<max(1, count) {
            do {
                made.append(try SocketLoop(name: "zmq-loop-\(index)", logger: logger))
            } catch {
                for loop in made { loop.stop() }
                throw error
            }
        }
        loops = made
    }

    /// The loop with the fewest sockets; the caller adds one to its ``SocketLoop/memberCount``.
    func leastLoaded() -> SocketLoop {
        loops.min { $0.memberCount.load(ordering: .relaxed) < $1.memberCount.load(ordering: .relaxed) }!
    }

    func stop() {
        for loop in loops { loop.stop() }
    }

    /// One loop per core, as libzmq's guidance for I/O threads, at least one.
    static var defaultCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
