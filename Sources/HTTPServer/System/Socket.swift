import CLinuxIO
import Glibc
import Posix

/// A non-blocking socket descriptor owned by exactly one object.
///
/// The descriptor is closed once with ``close()``; any use after that is a programmer error, and
/// dropping a still-open socket asserts in `deinit` (a leaked descriptor).
final class Socket {
    private(set) var fd: Int32

    /// Takes ownership of `fd`.
    init(owning fd: Int32) {
        precondition(fd >= 0)
        self.fd = fd
    }

    deinit {
        assert(fd < 0, "socket \(fd) leaked: dropped without close()")
    }

    var isOpen: Bool { fd >= 0 }

    func close() {
        guard fd >= 0 else { return }
        closeDescriptor(fd)
        fd = -1
    }

    /// Reads into `buffer`; `.done(0)` is an orderly shutdown by the peer.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        precondition(fd >= 0, "receive on a closed socket")
        return try systemCall("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// Gathers `buffers` into one `sendmsg` with `MSG_NOSIGNAL`, so a vanished peer yields
    /// `EPIPE` instead of killing the process with SIGPIPE.
    func send(_ buffers: UnsafeMutableBufferPointer<iovec>) throws(SystemError) -> IOResult<Int> {
        precondition(fd >= 0, "send on a closed socket")
        var message = msghdr()
        message.msg_iov = buffers.baseAddress
        message.msg_iovlen = buffers.count
        return try systemCall("sendmsg") { sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
    }

    /// One plain send of `bytes` with `MSG_NOSIGNAL`; returns how many bytes went out.
    func send(_ bytes: [UInt8]) throws(SystemError) -> IOResult<Int> {
        precondition(fd >= 0, "send on a closed socket")
        let fd = fd
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in
                try systemCall("send") { Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) }
            }
        }
        return try result.get()
    }

    /// Half-closes the sending side: the peer reads end-of-file after our last response.
    func shutdownWrite() {
        // ENOTCONN when the peer already reset the connection: nothing left to shut down.
        _ = try? systemCall("shutdown") { Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket.
    func accept() throws(SystemError) -> IOResult<Socket> {
        switch try systemCall("accept4", { accept4(fd, nil, nil, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)) }) {
        case .done(let client): return .done(Socket(owning: client))
        case .wouldBlock: return .wouldBlock
        }
    }

    func setOption(level: Int32, name: Int32, value: Int32) throws(SystemError) {
        var value = value
        try systemCallValue("setsockopt") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The peer's address as "host:port", or "unknown" once the peer is gone.
    func peerDescription() -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard rc == 0, let address = BoundAddress(storage: storage) else { return "unknown" }
        return address.description
    }

    /// The local address the socket is bound to.
    func localAddress() throws(SystemError) -> BoundAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = fd
        let rc = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        if rc != 0 { throw SystemError(function: "getsockname", errno: errno) }
        return BoundAddress(storage: storage)
    }
}
