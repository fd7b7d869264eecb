import COpenSSL
import Glibc

/// One connection's TLS state on a non-blocking socket; owned by the event loop thread.
///
/// Edge-triggered epoll signals new bytes on the socket only, while OpenSSL may already hold a
/// whole decrypted record: callers keep reading until ``Outcome/wantRead``.
final class TLSSession {
    enum Phase {
        /// Nothing read yet: the first 5 bytes decide whether this is TLS or plain HTTP.
        case sniffing
        case handshaking
        case established
    }

    enum Outcome {
        case done(Int)
        /// Call again when the socket is readable.
        case wantRead
        /// Call again when the socket is writable.
        case wantWrite
        /// The peer closed (close_notify or end of file).
        case closed
        case failed(reason: String, detail: String)
    }

    let ssl: OpaquePointer
    /// Kept so the verify callback's policy outlives this connection even after a reload swaps contexts.
    let context: TLSServerContext
    var phase = Phase.sniffing

    init?(context: TLSServerContext, fd: Int32) {
        guard let ssl = zx_SSL_new(context.context) else { return nil }
        self.ssl = ssl
        self.context = context
        zx_SSL_set_fd(ssl, fd)
        zx_SSL_set_accept_state(ssl)
    }

    deinit {
        zx_SSL_free(ssl)
    }

    /// Go's answer to plain HTTP on a TLS port, byte for byte.
    static let plainHTTPAnswer = Array("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n".utf8)

    /// Go's test on the first 5 bytes of a connection (crypto/tls conn.go): these start HTTP requests.
    static func looksLikeHTTP(_ first: UnsafeRawBufferPointer) -> Bool {
        let prefixes = ["GET /", "HEAD ", "POST ", "PUT /", "OPTIO"]
        return prefixes.contains { prefix in first.count >= 5 && zip(prefix.utf8, first).allSatisfy { $0 == $1 } }
    }

    func handshake() -> Outcome {
        zx_ERR_clear_error()
        let rc = zx_SSL_do_handshake(ssl)
        if rc == 1 {
            phase = .established
            return .done(0)
        }
        return outcome(rc, handshaking: true)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        zx_ERR_clear_error()
        var count = 0
        if zx_SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 { return .done(count) }
        return outcome(0, handshaking: false)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        zx_ERR_clear_error()
        var count = 0
        if zx_SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count) == 1 { return .done(count) }
        return outcome(0, handshaking: false)
    }

    /// Sends close_notify once, best effort (the socket is non-blocking; a full buffer drops it).
    func shutdown() {
        guard phase == .established else { return }
        zx_ERR_clear_error()
        _ = zx_SSL_shutdown(ssl)
        zx_ERR_clear_error()
    }

    private func outcome(_ rc: Int32, handshaking: Bool) -> Outcome {
        let code = zx_SSL_get_error(ssl, rc)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let error = errno
            zx_ERR_clear_error()
            return handshaking ? .failed(reason: "eof", detail: "connection closed during the handshake (errno \(error))") : .closed
        default:
            let reason = handshaking ? failureReason() : "protocol_error"
            return .failed(reason: reason, detail: TLSServerContext.lastError())
        }
    }

    /// A short, bounded label for `zmq_exporter_tls_handshake_failures_total{reason}`.
    private func failureReason() -> String {
        let verify = zx_SSL_get_verify_result(ssl)
        if verify == Int(X509_V_ERR_APPLICATION_VERIFICATION) { return "client_san_not_allowed" }
        let reason = zx_ERR_GET_REASON(zx_ERR_peek_error())
        switch reason {
        case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: return "no_client_certificate"
        case SSL_R_CERTIFICATE_VERIFY_FAILED: return "bad_client_certificate"
        case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_WRONG_VERSION_NUMBER, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
             SSL_R_UNKNOWN_PROTOCOL, SSL_R_VERSION_TOO_LOW, SSL_R_VERSION_TOO_HIGH:
            return "protocol_version"
        case SSL_R_NO_SHARED_CIPHER, SSL_R_NO_SHARED_GROUPS: return "no_shared_cipher"
        case SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST: return "http_request"
        default:
            return verify != Int(X509_V_OK) ? "bad_client_certificate" : "other"
        }
    }
}
