import Glibc

/// A failed system call: the function's name, `errno` and the `strerror` text.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The system call that failed, e.g. `bind`.
    public let function: String
    public let errno: Int32

    public init(function: String, errno: Int32) {
        self.function = function
        self.errno = errno
    }

    /// `strerror(errno)`, e.g. "Address already in use".
    public var message: String { String(cString: strerror(errno)) }

    public var description: String { "\(function): \(message) (errno \(errno))" }
}

/// The outcome of a call on a non-blocking descriptor.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// The one door for errno-returning calls: `EINTR` is retried, `EAGAIN` becomes `.wouldBlock`,
/// `EBADF`/`EFAULT` are programmer errors, anything else throws a ``SystemError``.
@inline(__always)
public func systemCall<T: FixedWidthInteger>(
    _ function: StaticString, _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result != -1 { return .done(result) }
        let code = Glibc.errno
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK:
            return .wouldBlock
        case EBADF, EFAULT:
            preconditionFailure("\(function) on a bad descriptor or address: errno \(code)")
        default:
            throw SystemError(function: "\(function)", errno: code)
        }
    }
}

/// ``systemCall(_:_:)`` for calls that cannot block (bind, listen, epoll_ctl...):
/// `EAGAIN` is reported as an error too.
@inline(__always)
@discardableResult
public func systemCallValue<T: FixedWidthInteger>(
    _ function: StaticString, _ body: () -> T
) throws(SystemError) -> T {
    switch try systemCall(function, body) {
    case .done(let value): return value
    case .wouldBlock: throw SystemError(function: "\(function)", errno: EAGAIN)
    }
}

/// Closes `fd` once. `EINTR` counts as closed (Linux has released the descriptor already), so
/// close is never retried; `EIO` and friends leave nothing to do but forget the descriptor.
public func closeDescriptor(_ fd: Int32) {
    precondition(fd >= 0, "close of an invalid descriptor")
    if Glibc.close(fd) == -1 && Glibc.errno == EBADF {
        preconditionFailure("close(\(fd)): descriptor was not open")
    }
}
