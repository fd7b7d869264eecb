import CZeroMQ
import Synchronization

/// Watches a socket through `zmq_socket_monitor` and decodes its events.
///
/// The monitor owns the reading PAIR socket and connects it before returning, so libzmq's
/// blocking event sends never stall (docs/libzmq-monitor.md: create the monitor before any bind
/// or connect, then drain ``pairSocket`` promptly). Use it from the thread that owns the socket.
public final class SocketMonitor: @unchecked Sendable {
    /// The PAIR socket events arrive on: register it in a ``Poller``.
    public let pairSocket: Socket
    public let address: String
    private weak var monitored: Socket?
    private var stopped = false

    private static let counter = Atomic<Int>(0)

    /// Starts monitoring `socket` for `events` (a `ZMQ_EVENT_*` mask, all by default).
    public init(socket: Socket, events: Int32 = 0xFFFF) throws(ZMQError) {
        let id = Self.counter.add(1, ordering: .relaxed).newValue
        let address = "inproc://zmq-exporter.monitor.\(id)"
        self.address = address
        let handle = try socket.live("zmq_socket_monitor")
        // The order matters, and the socket must not be bound or connected yet:
        // - the reader is made first, so a context with no free slot fails here, before anything
        //   else exists;
        // - the monitor then binds its PAIR to the address. A reader that connected first would
        //   leave a pending inproc connect when the monitor fails (no slot for its PAIR), and
        //   libzmq 4.3.4 asserts at zmq_ctx_term (ctx.cpp:169) when it cannot make the socket
        //   that completes it;
        // - the reader connects before the socket's first bind or connect, the first thing that
        //   makes an event: libzmq sends events blocking, so one sent with no reader would stall.
        let pair = try socket.context.socket(.pair)
        do {
            try pair.setLinger(0)
            try zmqCall("zmq_socket_monitor") { zmq_socket_monitor(handle, address, events) }
        } catch {
            pair.close()
            throw error
        }
        do {
            try pair.connect(address)
        } catch {
            // A connect to a bound inproc address fails only when the context is terminating.
            // Then the monitor's MONITOR_STOPPED, sent when the socket is closed, fails with
            // ETERM instead of waiting for a reader, so the caller's close cannot stall.
            pair.close()
            throw error
        }
        pairSocket = pair
        monitored = socket
    }

    deinit { stop() }

    /// Receives the next event. With `.dontWait`, throws would-block when none is queued.
    /// A malformed monitor message (never sent by libzmq itself) is skipped, not fatal.
    public func receive(flags: ReceiveFlags = []) throws(ZMQError) -> MonitorEvent {
        while true {
            let frames = try pairSocket.receiveMultipart(flags: flags)
            if frames.count == 2 {
                let header = frames[0].bytes
                if let event = try? MonitorEvent.decode(header: header, endpoint: frames[1].bytes) {
                    return event
                }
            }
        }
    }

    /// Receives the next event or returns nil when none arrives within `timeoutMilliseconds`.
    public func receive(timeoutMilliseconds: Int) throws(ZMQError) -> MonitorEvent? {
        var poller = Poller()
        poller.add(pairSocket)
        if try poller.poll(timeoutMilliseconds: timeoutMilliseconds) == 0 { return nil }
        do {
            return try receive(flags: .dontWait)
        } catch where error.kind == .wouldBlock {
            return nil
        }
    }

    /// Every event queued now, without waiting.
    public func drain() -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        while let event = try? receive(flags: .dontWait) { events.append(event) }
        return events
    }

    /// Stops monitoring and closes the PAIR socket. Events still queued, including
    /// MONITOR_STOPPED, are returned so the caller can account for them. Idempotent.
    @discardableResult
    public func stop() -> [MonitorEvent] {
        guard !stopped else { return [] }
        stopped = true
        if let socket = monitored, let handle = socket.rawHandle {
            _ = zmq_socket_monitor(handle, nil, 0)
        }
        var events = drain()
        // MONITOR_STOPPED is sent synchronously by the stop call above, so it is queued by now;
        // but if the socket was closed first, libzmq's reaper thread sends it a moment later.
        let deadline = ContinuousClock.now + .milliseconds(100)
        while !events.contains(where: { $0.kind == .monitorStopped }) {
            let left = Int((deadline - .now) / .milliseconds(1))
            guard left > 0, let next = try? receive(timeoutMilliseconds: left) else { break }
            events.append(next)
        }
        pairSocket.close()
        return events
    }
}
