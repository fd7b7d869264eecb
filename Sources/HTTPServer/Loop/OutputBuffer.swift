import Glibc
import Posix

/// The bytes of one response still to be written: head and body kept apart and sent with one
/// gathering `sendmsg`, so a 10 MiB body is never copied into the head.
struct OutputBuffer {
    // Internal for the TLS writer in OutputBuffer+TLS.swift.
    private(set) var head: [UInt8] = []
    /// The body's parts (a response's ``PreparedResponse/body``), sent one after another.
    private(set) var body: [[UInt8]] = []
    private(set) var bodyCount = 0
    var offset = 0

    enum FlushResult {
        case done
        case blocked
        case failed(SystemError)
    }

    var isEmpty: Bool { offset == head.count + bodyCount }

    mutating func set(head: [UInt8], body: [[UInt8]]) {
        self.head = head
        self.body = body.filter { !$0.isEmpty }
        bodyCount = self.body.byteCount
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
        bodyCount = 0
        offset = 0
    }

    /// The bytes not yet written, in order: what is left of the head, then of each body part;
    /// at most `limit` pieces (the rest come on a later call).
    func withRemainingBytes<R>(limit: Int = .max, _ use: ([UnsafeRawBufferPointer]) -> R) -> R {
        var pieces: [UnsafeRawBufferPointer] = []
        pieces.reserveCapacity(min(limit, 1 + body.count))
        return head.withUnsafeBytes { headBytes in
            if offset < headBytes.count { pieces.append(UnsafeRawBufferPointer(rebasing: headBytes[offset...])) }
            // The first part not written to its end.
            var index = 0, start = head.count
            while index < body.count && start + body[index].count <= offset {
                start += body[index].count
                index += 1
            }
            return withBodyBytes(from: index, start: start, limit: limit, into: &pieces, use)
        }
    }

    /// Adds body part `index` on (each part's bytes are valid only inside its closure, so the
    /// parts nest, at most `limit` deep), skipping what lies before ``offset``; `start` is the
    /// part's offset in the response.
    private func withBodyBytes<R>(from index: Int, start: Int, limit: Int, into pieces: inout [UnsafeRawBufferPointer],
                                  _ use: ([UnsafeRawBufferPointer]) -> R) -> R {
        guard index < body.count, pieces.count < limit else { return use(pieces) }
        return body[index].withUnsafeBytes { bytes in
            let skip = max(0, offset - start)
            if skip < bytes.count { pieces.append(UnsafeRawBufferPointer(rebasing: bytes[skip...])) }
            return withBodyBytes(from: index + 1, start: start + bytes.count, limit: limit, into: &pieces, use)
        }
    }

    /// At most this many pieces go to one `sendmsg` (the kernel refuses more than IOV_MAX,
    /// 1024); the rest go on the next call.
    static let maxVectors = 256

    private func withRemainingIovecs<R>(_ body: (UnsafeMutableBufferPointer<iovec>) -> R) -> R {
        withRemainingBytes(limit: Self.maxVectors) { pieces in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(pieces.count, 1)) { list in
                for (index, piece) in pieces.enumerated() {
                    list[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress!), iov_len: piece.count)
                }
                return body(UnsafeMutableBufferPointer(rebasing: list[0..<pieces.count]))
            }
        }
    }
}
