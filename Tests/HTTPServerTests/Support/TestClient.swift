import Foundation
import Glibc
import Synchronization

struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A parsed response as a client saw it.
struct TestResponse {
    let status: Int
    /// Lowercased names.
    let headers: [String: String]
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client with receive/send timeouts, speaking raw bytes.
final class TestClient {
    private(set) var fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 10, receiveBuffer: Int32? = nil) throws {
        let isIPv6 = host.contains(":")
        fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard rc == 0 else {
            let code = errno
            Glibc.close(fd)
            fd = -1
            throw TestClientError(description: "connect to \(host):\(port): errno \(code)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestClientError(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads up to `max` bytes; empty at end-of-file. Throws on timeout or reset.
    func receive(max: Int = 65536) throws -> [UInt8] {
        if !pending.isEmpty {
            let taken = Array(pending.prefix(max))
            pending.removeFirst(taken.count)
            return taken
        }
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        guard count >= 0 else { throw TestClientError(description: "recv: errno \(errno) (\(String(cString: strerror(errno))))") }
        return Array(buffer[0..<count])
    }

    /// True when the server closed the connection (EOF or reset) within the receive timeout.
    func waitForClose() -> Bool {
        while true {
            guard let bytes = try? receive() else { return errno == ECONNRESET }
            if bytes.isEmpty { return true }
        }
    }

    /// Reads one response (Content-Length framing); `head` true skips the body (HEAD request).
    func readResponse(head: Bool = false) throws -> TestResponse {
        var data = pending
        pending = []
        let terminator = Array("\r\n\r\n".utf8)
        var end: Int?
        while true {
            if let found = data.firstRange(of: terminator) { end = found.upperBound; break }
            let more = try receive()
            if more.isEmpty { throw TestClientError(description: "connection closed before a response head; got \(data.count) bytes") }
            data += more
        }
        let headText = String(decoding: data[..<end!], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestClientError(description: "bad status line in \(headText)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError(description: "bad header \(line)") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        var rest = Array(data[end!...])
        let length = head ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        while rest.count < length {
            let more = try receive(max: max(65536, length - rest.count))
            if more.isEmpty { throw TestClientError(description: "closed after \(rest.count) of \(length) body bytes") }
            rest += more
        }
        pending = Array(rest[length...])
        return TestResponse(status: status, headers: headers, body: Array(rest[..<length]))
    }
}

/// Polls `condition` every 5 ms until it holds or `seconds` pass.
func waitUntil(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5000)
    }
    return condition()
}
