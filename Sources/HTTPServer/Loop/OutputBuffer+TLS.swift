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
        withRemainingBytes(limit: Self.maxVectors) { pieces in
            var written = 0
            for piece in pieces where written < chunk.count {
                let take = min(piece.count, chunk.count - written)
                (chunk.baseAddress! + written).copyMemory(from: piece.baseAddress!, byteCount: take)
                written += take
            }
            return written
        }
    }
}
