import Glibc
import Posix

/// The bytes of one response still to be written: head and body kept apart and sent with one
/// gathering `sendmsg`, so a 10 MiB body is never copied into the head.
struct OutputBuffer {
    // Internal for the TLS writer in OutputBuffer+TLS.swift.
    private(set) var head: [UInt8] = []
    private(set) var body: [UInt8] = []
    var offset = 0

    enum FlushResult {
        case done
        case blocked
        case failed(SystemError)
    }

    var isEmpty: Bool { offset == head.count + body.count }

    mutating func set(head: [UInt8], body: [UInt8]) {
        self.head = head
        self.body = body
        offset = 0
    }

    /// Writes until done or the socket is full; `progressed` reports whether any byte went out.
    mutating func flush(to socket: Socket, progressed: inout Bool) -> FlushResult {
        while !isEmpty {
            let result = withRemainingIovecs { vectors in
                Result { () throws(SystemError) in try socket.send(vectors) }
            }
            switch result {
            case .success(.done(let count)):
                offset += count
                progressed = progressed || count > 0
            case .success(.wouldBlock):
                return .blocked
            case .failure(let error):
                return .failed(error)
            }
        }
        clear()
        return .done
    }

    mutating func clear() {
        head = []
        body = []
        offset = 0
    }

    private func withRemainingIovecs<R>(_ body: (UnsafeMutableBufferPointer<iovec>) -> R) -> R {
        let headCount = head.count
        return head.withUnsafeBytes { headBytes in
            self.body.withUnsafeBytes { bodyBytes in
                var vectors = (iovec(), iovec())
                return withUnsafeMutableBytes(of: &vectors) { raw in
                    let list = raw.bindMemory(to: iovec.self)
                    var used = 0
                    if offset < headCount {
                        list[used] = iovec(
                            iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress! + offset),
                            iov_len: headCount - offset)
                        used += 1
                    }
                    let bodyOffset = max(0, offset - headCount)
                    if bodyOffset < bodyBytes.count {
                        list[used] = iovec(
                            iov_base: UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress! + bodyOffset),
                            iov_len: bodyBytes.count - bodyOffset)
                        used += 1
                    }
                    return body(UnsafeMutableBufferPointer(rebasing: list[0..<used]))
                }
            }
        }
    }
}
