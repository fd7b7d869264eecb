import Posix
import CLinuxIO
import Glibc
import Logging

extension EventLoop {
    /// Accepts up to 64 connections per wake-up so one busy listener cannot starve the others.
    func acceptConnections(listenerID: UInt64, listener: Socket) {
        for _ in 0..<64 {
            let socket: Socket
            do {
                switch try listener.accept() {
                case .done(let accepted): socket = accepted
                case .wouldBlock: return
                }
            } catch {
                switch error.errno {
                case ECONNABORTED, EPROTO, EPERM:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: level-triggered epoll would spin on the listener, so
                    // stop watching it briefly while connections close.
                    if now >= nextAcceptWarning {
                        logger.warning("cannot accept connections: \(error.message); pausing accept for 100 ms",
                                       metadata: ["errno": "\(error.errno)"])
                        nextAcceptWarning = now + 10_000_000_000  // one warning per 10 s, not a flood
                    }
                    pauseAccepting()
                    return
                default:
                    logger.error("accept failed", metadata: ["error": "\(error)"])
                    return
                }
            }
            admit(socket)
        }
    }

    private func admit(_ socket: Socket) {
        // Responses go out in one sendmsg; Nagle would only delay pipelined replies.
        try? socket.setOption(level: Int32(IPPROTO_TCP), name: Int32(TCP_NODELAY), value: 1)
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = Connection(id: id, socket: socket, limits: limits, now: now)
        do {
            try epoll.add(socket.fd, events: Epoll.readable | Epoll.writable | Epoll.peerClosed | Epoll.edgeTriggered, id: id)
        } catch {
            logger.error("cannot watch a new connection", metadata: ["error": "\(error)"])
            socket.close()
            return
        }
        connections[id] = connection
        attachTransport(connection)
        if activeCount >= limits.maxConnections {
            connection.isActive = false
            lingeringCount += 1
            logger.debug("connection refused: \(limits.maxConnections) connections already open")
            // A TLS client could not read a plain 503: it is closed instead.
            if connection.tls != nil {
                close(connection)
                return
            }
            respond(connection, .error(503, "too many open connections"))
            drive(connection)
            return
        }
        activeCount += 1
        recorder.openConnections.store(activeCount, ordering: .relaxed)
    }

    private func pauseAccepting() {
        for (id, listener) in listeners {
            epoll.remove(listener.fd)
            pausedListeners[id] = listener
        }
        listeners.removeAll()
        acceptResumeAt = now + 100_000_000
    }

    func resumeAccepting() {
        acceptResumeAt = nil
        for (id, listener) in pausedListeners {
            do {
                try epoll.add(listener.fd, events: Epoll.readable, id: id)
                listeners[id] = listener
            } catch {
                logger.error("cannot resume accepting", metadata: ["error": "\(error)"])
                listener.close()
            }
        }
        pausedListeners.removeAll()
    }
}
