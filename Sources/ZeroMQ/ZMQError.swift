import CZeroMQ

/// An error from a libzmq call: the function that failed, `zmq_errno()` and `zmq_strerror()`.
///
/// The common conditions have their own ``Kind`` so callers can match on them without knowing
/// errno values: `EAGAIN` is ``Kind/wouldBlock`` (a non-blocking call or a timeout), `ETERM` is
/// ``Kind/terminated`` (the context is shutting down), `EINTR` is ``Kind/interrupted``.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case wouldBlock
        case terminated
        case interrupted
        case failed
    }

    public let kind: Kind
    /// The libzmq function that failed, e.g. `zmq_bind`.
    public let function: String
    public let errno: Int32
    public let message: String

    public init(function: String, errno: Int32) {
        self.function = function
        self.errno = errno
        self.message = String(cString: zmq_strerror(errno))
        switch errno {
        case czmq_eagain(): self.kind = .wouldBlock
        case czmq_eterm(): self.kind = .terminated
        case czmq_eintr(): self.kind = .interrupted
        default: self.kind = .failed
        }
    }

    /// The error for the last failed call on this thread.
    static func last(_ function: String) -> ZMQError {
        ZMQError(function: function, errno: zmq_errno())
    }

    public var description: String { "\(function): \(message) (errno \(errno))" }

    public static func == (lhs: ZMQError, rhs: ZMQError) -> Bool {
        lhs.kind == rhs.kind && lhs.errno == rhs.errno && lhs.function == rhs.function
    }
}

/// The one door for libzmq calls that return -1 on failure: `EINTR` is retried, anything else
/// throws a ``ZMQError`` naming the function.
@inline(__always)
@discardableResult
func zmqCall(_ function: String, retryOnInterrupt: Bool = true, _ body: () -> Int32) throws(ZMQError) -> Int32 {
    while true {
        let rc = body()
        if rc != -1 { return rc }
        let error = ZMQError.last(function)
        if error.kind == .interrupted && retryOnInterrupt { continue }
        throw error
    }
}
