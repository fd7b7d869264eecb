import Posix
import ZeroMQ

/// One probe of a target for `/probe`, on the calling thread (an HTTP worker): a new socket of
/// the module's type with a monitor, connected to the target, one request, the reply or the
/// deadline, then everything closed. What the monitor saw meanwhile is part of the outcome.
struct TargetProbe {
    let module: ProbeModule
    let target: String
    let timeout: Duration
    let context: Context

    struct Outcome {
        /// success, timeout, mismatch, connect_failed, unresolvable_host or error.
        var result = "error"
        var seconds = 0.0
        var connectSeconds: Double?
        var events: [String: Int] = [:]
        var handshakeFailures: [String: Int] = [:]
        /// Said in words, for the response's log line.
        var detail = ""
        var success: Bool { result == "success" }
    }

    func run() -> Outcome {
        let start = ContinuousClock.now
        var outcome = probe(start: start)
        outcome.seconds = (ContinuousClock.now - start).seconds
        return outcome
    }

    private func probe(start: ContinuousClock.Instant) -> Outcome {
        var outcome = Outcome()
        if let failure = SetupFailure.unresolvedConnect(target) {
            outcome.result = failure.reason
            outcome.detail = failure.message
            return outcome
        }
        let socket: Socket
        let monitor: SocketMonitor
        do {
            socket = try context.socket(module.type)
            do {
                try socket.setLinger(0)
                monitor = try SocketMonitor(socket: socket)
            } catch {
                socket.close()
                throw error
            }
        } catch {
            outcome.detail = "cannot create the probe's socket: \(error)"
            return outcome
        }
        defer {
            _ = monitor.stop()
            socket.close()
        }
        do {
            try socket.connect(target)
        } catch {
            outcome.result = "connect_failed"
            outcome.detail = "\(error)"
            return outcome
        }
        exchange(socket, monitor, start: start, into: &outcome)
        return outcome
    }

    /// Sends the request when the socket takes it and waits for the reply, recording monitor
    /// events, until the deadline. A refused connection (CONNECT_RETRIED before any handshake)
    /// ends the probe at once instead of waiting out the timeout.
    private func exchange(_ socket: Socket, _ monitor: SocketMonitor, start: ContinuousClock.Instant, into outcome: inout Outcome) {
        let deadline = start + timeout
        var request = [Message(module.request)]
        if module.type == .dealer { request.insert(Message(), at: 0) }
        var poller = Poller()
        let data = poller.add(socket, events: [.readable, .writable])
        let events = poller.add(monitor.pairSocket)
        var sent = false
        var handshaken = false
        while ContinuousClock.now < deadline {
            let ms = max(1, min(100, (deadline - .now).millisecondsRoundedUp))
            guard (try? poller.poll(timeoutMilliseconds: ms)) != nil else { break }
            if poller.isReadable(events) {
                while let event = try? monitor.receive(flags: .dontWait) {
                    outcome.events[event.kind.name, default: 0] += 1
                    if event.kind == .handshakeSucceeded, outcome.connectSeconds == nil {
                        handshaken = true
                        outcome.connectSeconds = (ContinuousClock.now - start).seconds
                    }
                    if let reason = HandshakeReason.of(event) { outcome.handshakeFailures[reason, default: 0] += 1 }
                    if event.kind == .connectRetried && !handshaken {
                        outcome.result = "connect_failed"
                        outcome.detail = "the target refused or dropped the connection"
                        return
                    }
                }
            }
            let ready = poller.events(at: data)
            if !sent && ready.contains(.writable) {
                do {
                    try socket.send(multipart: request, flags: .dontWait)
                    sent = true
                    poller.setEvents(.readable, at: data)
                } catch where error.kind == .wouldBlock {
                    continue
                } catch {
                    outcome.detail = "send: \(error)"
                    return
                }
            } else if sent && ready.contains(.readable) {
                guard let reply = try? socket.receiveMultipart(flags: .dontWait), let body = reply.last else { continue }
                if let expect = module.expect, body.bytes != expect {
                    outcome.result = "mismatch"
                    outcome.detail = "the reply was not the expected one"
                } else {
                    outcome.result = "success"
                }
                return
            }
        }
        outcome.result = "timeout"
        outcome.detail = sent ? "no reply within \(timeout)" : "the request could not be sent within \(timeout)"
    }
}
