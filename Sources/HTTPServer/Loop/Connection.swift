import Posix
/// One client connection; owned and touched by the event loop thread only.
final class Connection {
    enum State {
        /// Waiting for (more of) a request.
        case reading
        /// A handler runs on a worker thread; nothing is read meanwhile (requests are answered in order).
        case handling
        /// A response is being written.
        case writing
        /// Our side is shut down after a final response; reading and discarding until the client
        /// closes, so a request it already sent does not turn our close into a reset.
        case lingering
    }

    let id: UInt64
    let socket: Socket
    /// The TLS layer when the server serves TLS; nil for plain HTTP.
    var tls: TLSSession?
    var parser: HTTPRequestParser
    var state: State = .reading
    /// Edge-triggered epoll: set by an event, cleared when a read finds the socket empty.
    var readable = false
    /// The peer shut down its side (EPOLLRDHUP): keep reading until the end-of-file shows up.
    var peerHalfClosed = false
    var writable = true
    var output = OutputBuffer()
    /// Waiting in the loop's ready list after using up its read budget.
    var queued = false
    /// Counted against ``Limits/maxConnections``; false once lingering or when rejected.
    var isActive = true
    var closeAfterWrite = false
    /// The pending write is an interim `100 Continue`: go back to reading afterwards.
    var interimResponse = false
    var requestsServed = 0
    /// The current request's keep-alive wish and version, for the response's Connection header.
    var requestKeepAlive = true
    var requestIsHTTP10 = false

    // Monotonic nanoseconds, for the loop's timeout sweep.
    var idleSince: UInt64
    var headStartedAt: UInt64 = 0
    var bodyStartedAt: UInt64 = 0
    var lastWriteProgress: UInt64 = 0
    var lingerDeadline: UInt64 = 0
    var lingerDiscarded = 0
    var observedPhase = HTTPRequestParser.Phase.idle

    init(id: UInt64, socket: Socket, limits: Limits, now: UInt64) {
        self.id = id
        self.socket = socket
        self.parser = HTTPRequestParser(limits: limits)
        self.idleSince = now
    }

    /// Records when the parser moves from idle to a request head or body, for the timeouts. A
    /// return to idle without a request (stray empty lines) keeps the original idle start.
    func notePhase(now: UInt64) {
        let phase = parser.phase
        guard phase != observedPhase else { return }
        if phase == .head && observedPhase == .idle { headStartedAt = now }
        if phase == .body { bodyStartedAt = now }
        observedPhase = phase
    }
}
