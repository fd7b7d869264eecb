import Posix
/// Why ``HTTPServer/start()`` could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A listen address that does not parse, e.g. "1.2.3.4" (no port) or "::1:80" (no brackets).
    case invalidListenAddress(String, reason: String)
    /// The host name of a listen address did not resolve (getaddrinfo's message).
    case unresolvableHost(String, reason: String)
    /// socket/bind/listen failed for an address: the call, errno and strerror.
    case listenFailed(String, SystemError)
    /// The loop could not be set up (epoll, eventfd or thread creation failed).
    case setupFailed(SystemError)
    /// ``HTTPServer/start()`` was called twice, or after ``HTTPServer/stop(gracePeriod:)``.
    case alreadyStarted
    /// No listen address was configured.
    case noListenAddress

    public var description: String {
        switch self {
        case .invalidListenAddress(let address, let reason):
            return "invalid listen address \"\(address)\": \(reason)"
        case .unresolvableHost(let address, let reason):
            return "cannot resolve listen address \"\(address)\": \(reason)"
        case .listenFailed(let address, let error):
            return "cannot listen on \(address): \(error.function) failed: \(error.message) (errno \(error.errno))"
        case .setupFailed(let error):
            return "cannot start the HTTP server: \(error)"
        case .alreadyStarted:
            return "the HTTP server was already started"
        case .noListenAddress:
            return "no listen address configured"
        }
    }
}
