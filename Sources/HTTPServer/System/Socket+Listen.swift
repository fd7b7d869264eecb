import Glibc
import Posix

extension Socket {
    /// Opens a listening socket for `address`: resolves the host (the first result, IPv4 first
    /// as Go does), binds, listens. An empty host listens on every IPv6 and IPv4 address
    /// (dual-stack `::`), falling back to `0.0.0.0` where IPv6 is unavailable.
    static func listen(on address: ListenAddress, backlog: Int32 = SOMAXCONN) throws(HTTPServerError) -> Socket {
        if address.host.isEmpty {
            do {
                return try bindAndListen(family: AF_INET6, host: "::", port: address.port, dualStack: true, backlog: backlog)
            } catch .listenFailed(_, let error) where error.errno == EAFNOSUPPORT {
                return try bindAndListen(family: AF_INET, host: "0.0.0.0", port: address.port, dualStack: false, backlog: backlog)
            }
        }
        let (family, numeric) = try resolve(address)
        return try bindAndListen(family: family, host: numeric, port: address.port, dualStack: false, backlog: backlog)
    }

    /// The first address getaddrinfo gives for the host, IPv4 preferred, as (family, numeric host).
    private static func resolve(_ address: ListenAddress) throws(HTTPServerError) -> (Int32, String) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(address.host, nil, &hints, &list)
        guard rc == 0, let first = list else {
            throw .unresolvableHost(address.original, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var chosen = first
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET { chosen = entry; break }
            cursor = entry.pointee.ai_next
        }
        var storage = sockaddr_storage()
        memcpy(&storage, chosen.pointee.ai_addr, Int(chosen.pointee.ai_addrlen))
        guard let bound = BoundAddress(storage: storage) else {
            throw .unresolvableHost(address.original, reason: "no IPv4 or IPv6 address")
        }
        return (chosen.pointee.ai_family, bound.host)
    }

    private static func bindAndListen(
        family: Int32, host: String, port: UInt16, dualStack: Bool, backlog: Int32
    ) throws(HTTPServerError) -> Socket {
        let label = family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        let socket: Socket
        do {
            let fd = try systemCallValue("socket") {
                Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            }
            socket = Socket(owning: fd)
        } catch {
            throw .listenFailed(label, error)
        }
        do throws(SystemError) {
            try socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            if family == AF_INET6 {
                try socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: dualStack ? 0 : 1)
            }
            var storage = sockaddr_storage()
            let length: socklen_t
            if family == AF_INET6 {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else {
                    throw SystemError(function: "inet_pton", errno: EINVAL)
                }
                memcpy(&storage, &address, MemoryLayout<sockaddr_in6>.size)
                length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                    throw SystemError(function: "inet_pton", errno: EINVAL)
                }
                memcpy(&storage, &address, MemoryLayout<sockaddr_in>.size)
                length = socklen_t(MemoryLayout<sockaddr_in>.size)
            }
            let fd = socket.fd
            let bound = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
            }
            if bound != 0 { throw SystemError(function: "bind", errno: errno) }
            try systemCallValue("listen") { Glibc.listen(fd, backlog) }
            return socket
        } catch {
            socket.close()
            throw .listenFailed(label, error)
        }
    }
}
