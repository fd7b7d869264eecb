import Glibc
import Posix
import ZeroMQ

/// A bind, connect or socket creation that did not work, as the operator sees it: the
/// `reason` label of `zmq_socket_setup_errors_total` and a line for the log, `/-/ready` and
/// the landing page.
public struct SetupFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable { case bind, connect, create }

    public var action: Action
    /// The configured endpoint; empty for ``Action/create``.
    public var endpoint: String
    /// `address_in_use`, `unresolvable_host`, `no_such_directory`, `socket_limit`,
    /// `address_not_available`, `permission_denied` or `error`.
    public var reason: String
    /// What went wrong in words, e.g. "Address already in use".
    public var message: String

    public var description: String {
        endpoint.isEmpty ? "\(action.rawValue): \(message)" : "\(action.rawValue) \(endpoint): \(message)"
    }

    /// Classifies a failed `zmq_bind`/`zmq_connect`/`zmq_socket`. A tcp endpoint whose host does
    /// not resolve is `unresolvable_host` with the resolver's text, whatever errno libzmq chose.
    static func of(_ error: any Error, action: Action, endpoint: String) -> SetupFailure {
        let errno = (error as? ZMQError)?.errno ?? (error as? SystemError)?.errno ?? 0
        let text = (error as? ZMQError)?.message ?? (error as? SystemError)?.message ?? "\(error)"
        if let host = tcpHost(endpoint), let problem = Resolver.problem(host: host) {
            return SetupFailure(action: action, endpoint: endpoint, reason: "unresolvable_host", message: "cannot resolve '\(host)': \(problem)")
        }
        let reason: String
        switch errno {
        case EADDRINUSE: reason = "address_in_use"
        case ENOENT: reason = "no_such_directory"
        case EMFILE, ENFILE: reason = "socket_limit"
        case EADDRNOTAVAIL: reason = "address_not_available"
        case EACCES, EPERM: reason = "permission_denied"
        default: reason = "error"
        }
        // libzmq says "Too many open files" for its own socket limit (ZMQ_MAX_SOCKETS) too.
        if action == .create && reason == "socket_limit" {
            return SetupFailure(action: action, endpoint: endpoint, reason: reason,
                                message: "\(text): the descriptor limit (RLIMIT_NOFILE) or the context's socket limit (--zmq.max-sockets) is reached")
        }
        return SetupFailure(action: action, endpoint: endpoint, reason: reason, message: text)
    }

    /// The host of a `tcp://host:port` endpoint when it is a name (not `*`, not numeric), the
    /// only case the resolver can explain. Interface names resolve to nothing and are let be.
    static func tcpHost(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var rest = endpoint.dropFirst(6)
        // A connect may name a source address first: tcp://source;host:port.
        if let semicolon = rest.lastIndex(of: ";") { rest = rest[rest.index(after: semicolon)...] }
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let host = rest[..<colon]
        if host.isEmpty || host == "*" || host.hasPrefix("[") { return nil }
        if host.allSatisfy({ $0.isNumber || $0 == "." }) { return nil }
        return String(host)
    }

    /// Whether a tcp endpoint names a host the resolver does not know (checked before a connect:
    /// libzmq resolves a connect's host later, in its I/O thread, and only retries quietly).
    static func unresolvedConnect(_ endpoint: String) -> SetupFailure? {
        guard let host = tcpHost(endpoint), let problem = Resolver.problem(host: host) else { return nil }
        return SetupFailure(action: .connect, endpoint: endpoint, reason: "unresolvable_host", message: "cannot resolve '\(host)': \(problem)")
    }
}
