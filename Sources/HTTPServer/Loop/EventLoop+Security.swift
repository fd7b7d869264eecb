import Glibc
import Logging
import Posix

/// The access policy on the loop: TLS as the connection's transport, and the checks a request
/// passes before routing (fail-closed config, rate limit, basic auth). With no web config
/// (`security == nil`) each entry point is one branch.
extension EventLoop {
    /// On accept: looks for a changed web config, then gives the connection the current TLS context.
    func attachTransport(_ connection: Connection) {
        guard let security else { return }
        security.checkForChanges(now: now, logger: logger)
        guard let context = security.policy.tls else { return }
        connection.tls = TLSSession(context: context, fd: connection.socket.fd)
        if connection.tls == nil { logger.error("cannot start TLS on a connection: SSL_new failed") }
    }

    /// ``read(_:)`` for a TLS connection: sniff for plain HTTP, handshake, then decrypt until
    /// OpenSSL wants more bytes (it may hold whole records epoll will not signal again).
    func readTLS(_ connection: Connection, _ tls: TLSSession) -> Bool {
        if tls.phase == .sniffing {
            switch sniff(connection, tls) {
            case .tls: break
            case .wait: return false
            case .answered: return true  // drive goes on to write the answer
            }
        }
        if tls.phase == .handshaking {
            let outcome = tls.handshake()
            // A client with Nagle on sends the end of its handshake and its first request in
            // pieces, each held until the previous one is ACKed, while this side has nothing to
            // answer with (no session tickets), so the kernel delays the ACK by up to 40 ms.
            // Quick-ACK mode is transient: set again at each step.
            try? connection.socket.setOption(level: Int32(IPPROTO_TCP), name: Int32(TCP_QUICKACK), value: 1)
            switch outcome {
            case .done:
                break
            case .wantRead:
                connection.readable = false
                return false
            case .wantWrite:
                return false  // the writable edge drives this connection again
            case .closed:
                handshakeFailed(connection, reason: "eof", detail: "client closed the connection")
                return false
            case .failed(let reason, let detail):
                handshakeFailed(connection, reason: reason, detail: detail)
                return false
            }
        }
        switch tls.read(into: readBuffer) {
        case .done(let count):
            connection.parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            connection.notePhase(now: now)
            return true
        case .wantRead:
            connection.readable = false
            return false
        case .wantWrite:
            return false
        case .closed:
            if connection.parser.phase != .idle { logger.debug("client closed the connection in the middle of a request") }
            close(connection)
            return false
        case .failed(_, let detail):
            logger.debug("TLS read failed", metadata: ["error": "\(detail)"])
            close(connection)
            return false
        }
    }

    private enum Sniffed { case tls, wait, answered }

    /// Waits for the first 5 bytes, as Go reads a record header; plain HTTP gets Go's answer.
    private func sniff(_ connection: Connection, _ tls: TLSSession) -> Sniffed {
        let fd = connection.socket.fd
        let peeked: Int
        do {
            switch try systemCall("recv", { recv(fd, readBuffer.baseAddress, 5, Int32(MSG_PEEK)) }) {
            case .done(let count): peeked = count
            case .wouldBlock:
                connection.readable = false
                return .wait
            }
        } catch {
            close(connection)
            return .wait
        }
        if peeked == 0 || (peeked < 5 && connection.peerHalfClosed) {
            handshakeFailed(connection, reason: "eof", detail: "client closed the connection before a TLS record")
            return .wait
        }
        if peeked < 5 {
            connection.readable = false
            return .wait
        }
        if TLSSession.looksLikeHTTP(UnsafeRawBufferPointer(rebasing: readBuffer[0..<5])) {
            security?.recorder.handshakeFailed("http_request")
            logger.debug("plain HTTP on the TLS port", metadata: ["peer": "\(connection.socket.peerDescription())"])
            // Answered in the clear through the usual write-then-linger path, so the client reads it.
            connection.tls = nil
            connection.output.set(head: TLSSession.plainHTTPAnswer, body: [])
            connection.closeAfterWrite = true
            connection.interimResponse = false
            connection.state = .writing
            connection.lastWriteProgress = now
            return .answered
        }
        tls.phase = .handshaking
        return .tls
    }

    private func handshakeFailed(_ connection: Connection, reason: String, detail: String) {
        security?.recorder.handshakeFailed(reason)
        logger.debug("TLS handshake failed", metadata: ["reason": "\(reason)", "error": "\(detail)", "peer": "\(connection.socket.peerDescription())"])
        close(connection)
    }

    /// Writes the pending response through the connection's transport.
    func flushOutput(_ connection: Connection, progressed: inout Bool) -> OutputBuffer.FlushResult {
        if let tls = connection.tls { return connection.output.flush(to: tls, progressed: &progressed) }
        return connection.output.flush(to: connection.socket, progressed: &progressed)
    }

    /// How long a connection that has sent no request yet may stay: a TLS client gets the
    /// handshake deadline until its handshake is done (a slowloris of the handshake).
    func firstRequestLimit(_ connection: Connection) -> UInt64 {
        if let tls = connection.tls, tls.phase != .established, let security { return security.handshakeTimeout }
        return limits.headerReadTimeout.nanoseconds
    }

    /// Counts a connection closed by the sweep before its handshake finished.
    func noteIdleClose(_ connection: Connection) {
        if let tls = connection.tls, tls.phase != .established, stopDeadline == nil {
            security?.recorder.handshakeFailed("timeout")
        }
    }

    /// The web config's extra headers on every response.
    func withSecurityHeaders(_ response: PreparedResponse) -> PreparedResponse {
        guard let extra = security?.headerBytes, !extra.isEmpty else { return response }
        var response = response
        response.fields += extra
        return response
    }

    // MARK: Before routing

    /// Fail-closed config, rate limit, then basic auth (exporter-toolkit's order). Returns true
    /// when the request may be routed now; otherwise it has been answered, or a bcrypt check
    /// runs and ``resume(_:request:)`` or a 401 follows.
    func checkAccessPolicy(_ connection: Connection, _ request: HTTPRequest) -> Bool {
        guard let security else { return true }
        // Keep-alive clients may never reconnect: look for a changed web config per request
        // too (at most once a second), so a broken file closes them off as well.
        security.checkForChanges(now: now, logger: logger)
        if let problem = security.failClosed {
            respond(connection, .error(500, "Internal Server Error: the web config file is invalid: \(problem)"))
            return false
        }
        if security.bucket != nil, !security.bucket!.take(now: now) {
            security.recorder.rateLimited.add(1, ordering: .relaxed)
            respond(connection, .error(429, "Too Many Requests"))
            return false
        }
        let users = security.policy.users
        guard !users.isEmpty, !isExempt(request.path, security) else { return true }
        let credentials: BasicCredentials
        switch BasicCredentials.parse(request.header("Authorization")) {
        case .success(let parsed): credentials = parsed
        case .failure(let problem):
            unauthorized(connection, reason: problem.rawValue, head: request.method == "HEAD")
            return false
        }
        let hash = users[credentials.user]
        if let hash, security.cache.contains(AuthCache.key(user: credentials.user, hash: hash, password: credentials.password)) {
            return true
        }
        let head = request.method == "HEAD"
        guard let checked = hash ?? security.policy.dummyHash else {
            unauthorized(connection, reason: "unknown_user", head: head)
            return false
        }
        let id = connection.id
        let cache = security.cache
        let recorder = security.recorder
        let submitted = security.authPool.trySubmit { [self] scratch in
            let matches = Bcrypt.verify(password: credentials.password, hash: checked, scratch: scratch)
            if matches && hash != nil {
                cache.insert(AuthCache.key(user: credentials.user, hash: checked, password: credentials.password))
                resume(id, request: request)
            } else {
                recorder.authFailed(hash == nil ? "unknown_user" : "wrong_password")
                complete(id, with: Self.unauthorized(head: head))
            }
        }
        guard submitted else {
            logger.debug("request refused: \(security.authPool.queueLimit) password checks already waiting")
            respond(connection, .error(503, "too many password checks in progress; try again later"))
            return false
        }
        connection.state = .handling
        return false
    }

    private func isExempt(_ path: String, _ security: SecurityRuntime) -> Bool {
        guard !security.setup.authExemptPaths.isEmpty, case .canonical(let canonical) = RequestPath.resolve(path) else { return false }
        return security.setup.authExemptPaths.contains(canonical)
    }

    /// 401 with the challenge; the connection stays open (the client retries with credentials).
    static func unauthorized(head: Bool) -> PreparedResponse {
        .plain(401, "Unauthorized", extraFields: [("WWW-Authenticate", "Basic realm=\"zmq-exporter\"")], close: false, head: head)
    }

    private func unauthorized(_ connection: Connection, reason: String, head: Bool) {
        security?.recorder.authFailed(reason)
        respond(connection, Self.unauthorized(head: head))
    }
}
