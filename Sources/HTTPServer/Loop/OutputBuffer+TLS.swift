import Glibc
import Posix

/// Writing a response through TLS: one record's worth (16 KiB) at a time, head and body
/// gathered into it so a short response is one record. After a want-write the same bytes are
/// offered again (the offset only moves on success), as OpenSSL requires; their address may
/// move (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
extension OutputBuffer {
    static let tlsChunk = 16384

    mutating func flush(to tls: TLSSession, progressed: inout Bool) -> FlushResult {
        while !isEmpty {
            let outcome = withUnsafeTemporaryAllocation(byteCount: Self.tlsChunk, alignment: 16) { chunk in
                let count = copyPending(into: chunk)
                return tls.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            }
            switch outcome {
            case .done(let count):
                offset += count
                progressed = progressed || count > 0
            case .wantWrite:
                return .blocked
            case .wantRead, .closed:
                // Renegotiation is off, so a write never waits for a read; the client is gone.
                return .failed(SystemError(function: "SSL_write", errno: EPIPE))
            case .failed:
                return .failed(SystemError(function: "SSL_write", errno: EPIPE))
            }
        }
        clear()
        return .done
    }

    private func copyPending(into chunk: UnsafeMutableRawBufferPointer) -> Int {
        var written = 0
        let headCount = head.count
        if offset < headCount {
            let take = min(headCount - offset, chunk.count)
            head.withUnsafeBytes { chunk.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: take) }
            written = take
        }
        let bodyOffset = max(0, offset - headCount)
        let take = min(body.count - bodyOffset, chunk.count - written)
        if take > 0 {
            body.withUnsafeBytes { (chunk.baseAddress! + written).copyMemory(from: $0.baseAddress! + bodyOffset, byteCount: take) }
            written += take
        }
        return written
    }
}
