import Glibc

/// Host-name resolution, asked only to explain a failure: libzmq reports an unresolvable host
/// as a bare errno (ENODEV, EINVAL, EAGAIN...), while the resolver says what went wrong.
public enum Resolver {
    /// nil when `host` resolves (or is a numeric address, `*` or an interface), else the
    /// resolver's own text, e.g. "Name or service not known". Blocks for as long as the
    /// system resolver does.
    public static func problem(host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        guard rc != 0 else { return nil }
        if rc == EAI_SYSTEM { return String(cString: strerror(errno)) }
        return String(cString: gai_strerror(rc))
    }
}
