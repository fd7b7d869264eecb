import Logging
import Posix
import Synchronization
import ZeroMQ

/// The agent's ZAP handler (ZeroMQ RFC 27): decides which CURVE clients the agent's server
/// sockets accept. libzmq asks it, over `inproc://zeromq.zap.01` in the same context, at every
/// CURVE handshake; each server socket sets its `socket` label as its ZAP domain, so each has
/// its own allow list. Anything not listed is refused with 400.
///
/// **Without a handler libzmq lets every CURVE client in** (it asks only when something is bound
/// to the ZAP endpoint), so a CURVE server socket refuses to start while none runs in its
/// context (``isServing(_:)``, checked by ``MonitoredSocket``).
///
/// It runs on its own thread with a REP socket, waiting without a timeout for a request or its
/// wakeup, so that ``stop()`` ends it at once without terminating the context the socket loops
/// share. One thread per agent, not per socket: it stays off the loops so that a loop busy with a
/// flooded tap never holds up another socket's handshake.
final class ZAPHandler: Sendable {
    static let endpoint = "inproc://zeromq.zap.01"
    private let allowLists = Locked<[String: Set<CurveKey>]>([:])
    private let stopFlag = Atomic<Bool>(false)
    /// Wakes the handler's wait for a stop: it waits for requests without a timeout.
    private let wakeup: Wakeup
    private let thread: Locked<Thread?> = Locked(nil)
    private let contextID: ObjectIdentifier
    private let requests: [String: Counter]
    private let logger: Logger

    /// Contexts whose ZAP endpoint is bound by a running handler.
    private static let serving = Locked<Set<ObjectIdentifier>>([])

    /// Whether a handler answers ZAP requests in `context` now.
    static func isServing(_ context: Context) -> Bool {
        serving.withLock { $0.contains(ObjectIdentifier(context)) }
    }

    /// Binds the ZAP endpoint in `context` and starts answering. Throws when the endpoint cannot
    /// be bound (another handler already holds it in this context) or the thread cannot start.
    init(context: Context, metrics: Metrics, logger: Logger) throws {
        self.logger = logger
        contextID = ObjectIdentifier(context)
        wakeup = try Wakeup()
        let socket: Socket
        do {
            socket = try context.socket(.rep)
            do {
                try socket.setLinger(0)
                try socket.bind(Self.endpoint)
            } catch {
                socket.close()
                throw error
            }
        } catch {
            wakeup.close()
            throw error
        }
        // Registered once the endpoint is ours: a handler that never ran exports no answers.
        var counters: [String: Counter] = [:]
        for status in ZAPReply.Status.allCases {
            counters[status.rawValue] = metrics.counter(MetricCatalog.zapRequests, [("status", status.rawValue)])
        }
        requests = counters
        Self.serving.withLock { _ = $0.insert(contextID) }
        do {
            // The socket moves to the new thread; thread creation is the barrier libzmq asks for.
            let started = try Thread(name: "zmq-zap") { [self] in self.run(socket) }
            thread.withLock { $0 = started }
        } catch {
            Self.serving.withLock { _ = $0.remove(contextID) }
            socket.close()
            wakeup.close()
            throw error
        }
    }

    /// Replaces every allow list at once (ZAP domain → client public keys).
    func setAllowLists(_ lists: [String: Set<CurveKey>]) {
        allowLists.withLock { $0 = lists }
    }

    deinit { wakeup.close() }

    /// Stops answering and closes the socket; CURVE servers started afterwards are refused.
    func stop() {
        stopFlag.store(true, ordering: .releasing)
        wakeup.signal()
        let running = thread.withLock { current in
            defer { current = nil }
            return current
        }
        running?.join()
        wakeup.close()
    }

    private func run(_ socket: Socket) {
        defer {
            Self.serving.withLock { _ = $0.remove(contextID) }
            socket.close()
        }
        var poller = Poller()
        let requestsIndex = poller.add(socket)
        poller.add(fileDescriptor: wakeup.fd)
        while !stopFlag.load(ordering: .acquiring) {
            do throws(ZMQError) {
                try poller.poll(timeoutMilliseconds: -1)
                guard poller.isReadable(requestsIndex) else { continue }
                while let frames = try receive(socket) {
                    let reply = ZAPReply.answer(frames.map(\.bytes)) { domain, key in
                        allowLists.withLock { $0[domain]?.contains(key) ?? false }
                    }
                    requests[reply.status.rawValue]?.increment()
                    if reply.status != .allowed {
                        logger.debug("ZAP refused a client", metadata: ["status": "\(reply.status.rawValue)", "reason": "\(reply.text)"])
                    }
                    try socket.send(multipart: reply.frames)
                }
            } catch {
                if error.kind == .terminated { return }
                logger.error("ZAP handler error", metadata: ["error": "\(error)"])
            }
        }
    }

    private func receive(_ socket: Socket) throws(ZMQError) -> [Message]? {
        do throws(ZMQError) {
            return try socket.receiveMultipart(flags: .dontWait)
        } catch {
            if error.kind == .wouldBlock { return nil }
            throw error
        }
    }
}
