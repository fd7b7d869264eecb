import Logging
import Posix

/// A small HTTP/1.1 server: one epoll loop thread for all sockets, handlers on worker threads.
///
/// Register routes with ``addRoute(_:methods:handler:)``, then ``start()``; ``stop(gracePeriod:)``
/// stops accepting, lets in-flight responses finish until the grace period ends, and closes.
public final class HTTPServer: Sendable {
    private enum State {
        case configuring
        case running(EventLoop, Thread)
        case stopped
    }

    public let configuration: Configuration
    private let logger: Logger
    private let state = Locked<State>(.configuring)
    private let router = Locked(Router())
    private let bound = Locked<[BoundAddress]>([])
    private let recorder = StatisticsRecorder()
    let securityRecorder = SecurityRecorder()

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        stop(gracePeriod: .zero)
    }

    /// Routes requests for exactly `path` (no query) with one of `methods` to `handler`. Other
    /// methods get 405 with `Allow`; unknown paths get 404. Call before ``start()``.
    public func addRoute(
        _ path: String, methods: Set<String> = ["GET", "HEAD"],
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        let configuring = state.withLock { if case .configuring = $0 { return true } else { return false } }
        precondition(configuring, "HTTPServer.addRoute(\(path)) called after start()")
        router.withLock { $0.add(path, methods: methods, handler: handler) }
    }

    /// Binds every listen address and starts the loop thread.
    /// - Returns: the bound addresses, with real ports where port 0 was asked for.
    /// - Throws: ``HTTPServerError``: an unparsable or unresolvable address, a failed bind
    ///   (address, errno and strerror), or a second call.
    @discardableResult
    public func start() throws(HTTPServerError) -> [BoundAddress] {
        try state.withLock { (state) throws(HTTPServerError) -> [BoundAddress] in
            guard case .configuring = state else { throw .alreadyStarted }
            var parsed: [ListenAddress] = []
            for text in configuration.listenAddresses {
                parsed.append(try ListenAddress(parsing: text))
            }
            guard !parsed.isEmpty else { throw .noListenAddress }
            var sockets: [Socket] = []
            var addresses: [BoundAddress] = []
            do throws(HTTPServerError) {
                for address in parsed {
                    let socket = try Socket.listen(on: address)
                    sockets.append(socket)
                    do throws(SystemError) {
                        if let local = try socket.localAddress() { addresses.append(local) }
                    } catch {
                        throw .listenFailed(address.original, error)
                    }
                }
                let loop = try Self.makeLoop(sockets, configuration, router.withLock { $0 }, recorder, logger)
                if let setup = configuration.webSecurity {
                    loop.security = SecurityRuntime(setup: setup, recorder: securityRecorder, now: loop.now)
                }
                let thread: Thread
                do throws(SystemError) {
                    thread = try Thread(name: "http-loop") { loop.run() }
                } catch {
                    loop.requestStop(gracePeriod: .zero)
                    loop.run()  // tears down at once: the deadline has passed
                    throw .setupFailed(error)
                }
                state = .running(loop, thread)
            } catch {
                for socket in sockets where socket.isOpen { socket.close() }
                throw error
            }
            bound.withLock { $0 = addresses }
            logger.info("HTTP server listening", metadata: ["addresses": "\(addresses.map(\.description).joined(separator: ","))"])
            return addresses
        }
    }

    private static func makeLoop(
        _ sockets: [Socket], _ configuration: Configuration, _ router: Router,
        _ recorder: StatisticsRecorder, _ logger: Logger
    ) throws(HTTPServerError) -> EventLoop {
        do {
            return try EventLoop(
                listeners: sockets, limits: configuration.limits,
                maxConcurrentHandlers: max(0, configuration.maxConcurrentHandlers),
                gzipMinimumBytes: configuration.gzipMinimumBytes,
                router: router, recorder: recorder, logger: logger)
        } catch {
            throw .setupFailed(error)
        }
    }

    /// The addresses bound by ``start()``; empty before.
    public var boundAddresses: [BoundAddress] { bound.withLock { $0 } }

    /// Counters for the exporter's own metrics; safe from any thread.
    public var statistics: Statistics { recorder.snapshot }

    /// The access policy's counters; nil when the server runs without a web config.
    public var securityStatistics: SecurityStatistics? { securityRecorder.snapshot }

    /// Stops accepting at once, closes idle connections, lets in-flight responses finish for up
    /// to `gracePeriod`, then closes everything and joins the loop thread. Idempotent.
    /// Handlers still running after the grace period finish on their own; their responses are dropped.
    public func stop(gracePeriod: Duration = .seconds(5)) {
        let running: (EventLoop, Thread)? = state.withLock { state in
            defer { state = .stopped }
            if case .running(let loop, let thread) = state { return (loop, thread) }
            return nil
        }
        guard let (loop, thread) = running else { return }
        loop.requestStop(gracePeriod: gracePeriod)
        thread.join()
        logger.info("HTTP server stopped")
    }
}
