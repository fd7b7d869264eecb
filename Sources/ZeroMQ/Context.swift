import CZeroMQ

/// A libzmq context: owns the I/O threads. Every ``Socket`` keeps its context alive, and the
/// context is terminated (`zmq_ctx_term`) when the last reference goes away.
public final class Context: @unchecked Sendable {
    // zmq contexts are thread-safe by libzmq's contract.
    let handle: UnsafeMutableRawPointer

    /// Creates a context with `ioThreads` I/O threads (libzmq's default is 1) and room for
    /// `maxSockets` sockets (libzmq's default is 1023; nil keeps it, `.max` asks for libzmq's
    /// own limit, `ZMQ_SOCKET_LIMIT`). Both take effect only before the first socket.
    public init(ioThreads: Int = 1, maxSockets: Int? = nil) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        if ioThreads != 1 {
            try zmqCall("zmq_ctx_set") { zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(ioThreads)) }
        }
        if let maxSockets {
            let limit = Int(zmq_ctx_get(handle, ZMQ_SOCKET_LIMIT))
            let wanted = Int32(clamping: min(maxSockets, limit > 0 ? limit : maxSockets))
            try zmqCall("zmq_ctx_set(ZMQ_MAX_SOCKETS)") { zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, wanted) }
        }
    }

    /// How many sockets this context may hold at once.
    public var maxSockets: Int { Int(zmq_ctx_get(handle, ZMQ_MAX_SOCKETS)) }

    /// Makes every blocking call on this context's sockets return ``ZMQError/Kind/terminated``.
    /// Sockets must still be closed; the context is terminated when released.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Creates a socket of `type` in this context.
    public func socket(_ type: SocketType) throws(ZMQError) -> Socket {
        try Socket(context: self, type: type)
    }

    deinit {
        // Every socket holds its context, so none is open here and zmq_ctx_term cannot block on them.
        while zmq_ctx_term(handle) == -1 && zmq_errno() == czmq_eintr() {}
    }
}
