import Glibc
import Logging
import Posix

extension EventLoop {
    /// Moves a connection forward as far as it can go without blocking.
    func drive(_ connection: Connection) {
        var reads = 0
        while true {
            switch connection.state {
            case .handling:
                return
            case .reading:
                switch connection.parser.next() {
                case .request(let request):
                    connection.notePhase(now: now)
                    dispatch(connection, request)
                case .failure(let error):
                    logger.debug("refused a request", metadata: ["status": "\(error.status)", "reason": "\(error)"])
                    respond(connection, .error(error.status, error.description))
                case .needMoreData:
                    connection.notePhase(now: now)
                    if connection.parser.expectsContinue {
                        connection.parser.acknowledgeContinue()
                        connection.output.set(head: ResponseHead.continueInterim, body: [])
                        connection.interimResponse = true
                        connection.state = .writing
                        connection.lastWriteProgress = now
                        continue
                    }
                    guard connection.readable else { return }
                    if reads == Self.readBudget {
                        if !connection.queued {
                            connection.queued = true
                            ready.append(connection)
                        }
                        return
                    }
                    reads += 1
                    guard read(connection) else { return }
                }
            case .writing:
                guard connection.writable else { return }
                var progressed = false
                let result = flushOutput(connection, progressed: &progressed)
                if progressed { connection.lastWriteProgress = now }
                switch result {
                case .done:
                    finishWrite(connection)
                    // Over the lingering cap, finishWrite closes the connection: stop here, or the
                    // next turn would shut down its closed socket again.
                    if connections[connection.id] == nil { return }
                case .blocked:
                    connection.writable = false
                    return
                case .failed(let error):
                    // EPIPE/ECONNRESET: the client left mid-response. Routine, so debug level.
                    logger.debug("client went away during a response", metadata: ["error": "\(error)"])
                    close(connection)
                    return
                }
            case .lingering:
                linger(connection)
                return
            }
        }
    }

    /// One recv into the parser; false when there is nothing more to read now (or it closed).
    private func read(_ connection: Connection) -> Bool {
        if let tls = connection.tls { return readTLS(connection, tls) }
        do {
            switch try connection.socket.receive(into: readBuffer) {
            case .done(0):
                if connection.parser.phase != .idle {
                    logger.debug("client closed the connection in the middle of a request")
                }
                close(connection)
                return false
            case .done(let count):
                // A short read drained the socket; the next arrival raises a new edge. A pending
                // end-of-file raises none, so keep reading to see it.
                if count < readBuffer.count && !connection.peerHalfClosed { connection.readable = false }
                connection.parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                connection.notePhase(now: now)
                return true
            case .wouldBlock:
                connection.readable = false
                return false
            }
        } catch {
            logger.debug("connection read failed", metadata: ["error": "\(error)"])
            close(connection)
            return false
        }
    }

    func dispatch(_ connection: Connection, _ request: HTTPRequest, admitted: Bool = false) {
        if !admitted {
            connection.requestsServed += 1
            connection.requestKeepAlive = request.keepAlive
            connection.requestIsHTTP10 = request.version == .http1_0
            guard checkAccessPolicy(connection, request) else { return }
        }
        let head = request.method == "HEAD"
        switch router.match(path: request.path, query: request.query, method: request.method) {
        case .notFound:
            respond(connection, .plain(404, "404 page not found", close: true, head: head))
        case .redirect(let location):
            respond(connection, .plain(301, "moved permanently to \(location)", extraFields: [("Location", location)], close: false, head: head))
        case .badRequest(let message):
            respond(connection, .plain(400, message, close: true, head: head))
        case .serverOptions:
            respond(connection, .plain(200, "", extraFields: [("Allow", router.allMethods)], close: false))
        case .methodNotAllowed(let allow):
            respond(connection, .plain(405, "method not allowed", extraFields: [("Allow", allow)], close: true, head: head))
        case .route(let route):
            if maxConcurrentHandlers > 0 && recorder.handlersInFlight.load(ordering: .relaxed) >= maxConcurrentHandlers {
                logger.debug("request refused: \(maxConcurrentHandlers) handler calls already in flight")
                respond(connection, .error(503, "too many concurrent requests; try again later"))
                return
            }
            // Only the loop increments, so the check above cannot be overtaken.
            recorder.handlersInFlight.add(1, ordering: .relaxed)
            connection.state = .handling
            let id = connection.id
            let gzipMinimum = gzipMinimumBytes
            let acceptEncoding = request.header("Accept-Encoding")
            pool.submit { [self] in
                let response = route.handler(request)
                let prepared = PreparedResponse.prepare(
                    response, method: request.method, acceptEncoding: acceptEncoding, gzipMinimumBytes: gzipMinimum)
                recorder.handlersInFlight.subtract(1, ordering: .relaxed)
                complete(id, with: prepared)
            }
        }
    }

    /// Queues a final response; the Connection header follows the request, the response and shutdown.
    func respond(_ connection: Connection, _ response: PreparedResponse) {
        let response = withSecurityHeaders(response)
        let close = response.close || !connection.requestKeepAlive || stopDeadline != nil || !connection.isActive
        let headBytes = head.serialize(response, close: close, keepAliveHeader: !close && connection.requestIsHTTP10)
        recorder.record(status: response.status)
        connection.output.set(head: headBytes, body: response.sendBody ? response.body : [])
        connection.closeAfterWrite = close
        connection.interimResponse = false
        connection.state = .writing
        connection.lastWriteProgress = now
    }

    private func finishWrite(_ connection: Connection) {
        if connection.interimResponse {
            connection.interimResponse = false
            connection.state = .reading
            return
        }
        if connection.closeAfterWrite {
            startLingering(connection)
            return
        }
        connection.state = .reading
        connection.idleSince = now
        connection.observedPhase = .idle
        connection.notePhase(now: now)
    }

    /// Half-closes after a final response and drains what the client still sends, so that our
    /// close does not become a reset that destroys the response in the client's buffer.
    private func startLingering(_ connection: Connection) {
        connection.tls?.shutdown()
        connection.socket.shutdownWrite()
        if connection.isActive {
            connection.isActive = false
            activeCount -= 1
            lingeringCount += 1
            recorder.openConnections.store(activeCount, ordering: .relaxed)
        }
        if lingeringCount > Self.maxLingering {
            close(connection)
            return
        }
        connection.state = .lingering
        connection.lingerDeadline = min(now + Self.lingerTime, stopDeadline ?? .max)
        connection.readable = true
    }

    private func linger(_ connection: Connection) {
        while connection.readable {
            do {
                switch try connection.socket.receive(into: readBuffer) {
                case .done(0):
                    close(connection)
                    return
                case .done(let count):
                    if count < readBuffer.count && !connection.peerHalfClosed { connection.readable = false }
                    connection.lingerDiscarded += count
                    if connection.lingerDiscarded > Self.maxLingerDiscard {
                        close(connection)
                        return
                    }
                case .wouldBlock:
                    connection.readable = false
                }
            } catch {
                close(connection)
                return
            }
        }
    }

    func close(_ connection: Connection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        if connection.isActive {
            activeCount -= 1
            recorder.openConnections.store(activeCount, ordering: .relaxed)
        } else {
            lingeringCount -= 1
        }
        connection.socket.close()
    }

    /// Applies the timeouts of ``Limits``; runs every `sweepInterval`.
    func sweep() {
        for connection in Array(connections.values) {
            switch connection.state {
            case .reading:
                connection.notePhase(now: now)
                switch connection.observedPhase {
                case .idle:
                    let limit = connection.requestsServed == 0 ? firstRequestLimit(connection) : limits.idleTimeout.nanoseconds
                    if stopDeadline != nil || now - connection.idleSince >= limit {
                        noteIdleClose(connection)
                        close(connection)
                    }
                case .head:
                    if now - connection.headStartedAt >= limits.headerReadTimeout.nanoseconds {
                        timeOut(connection, "request headers not received in time")
                    }
                case .body:
                    if now - connection.bodyStartedAt >= limits.bodyReadTimeout.nanoseconds {
                        timeOut(connection, "request body not received in time")
                    }
                }
            case .writing:
                if now - connection.lastWriteProgress >= limits.writeTimeout.nanoseconds {
                    logger.debug("closing a connection whose client stopped reading its response")
                    close(connection)
                }
            case .lingering:
                if now >= connection.lingerDeadline { close(connection) }
            case .handling:
                break
            }
        }
    }

    private func timeOut(_ connection: Connection, _ message: String) {
        logger.debug("request timed out", metadata: ["reason": "\(message)"])
        respond(connection, .error(408, message))
        drive(connection)
    }
}
