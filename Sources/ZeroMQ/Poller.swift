import CZeroMQ

/// Readiness bits for ``Poller``.
public struct PollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}

/// Waits on several sockets and file descriptors at once, over `zmq_poll`.
/// Registered sockets are kept alive by the poller.
public struct Poller {
    private var items: [zmq_pollitem_t] = []
    private var sockets: [Socket?] = []

    public init() {}

    /// Registers `socket`; returns its index for ``events(at:)``.
    @discardableResult
    public mutating func add(_ socket: Socket, events: PollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: socket.rawHandle, fd: -1, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Registers a plain file descriptor; returns its index.
    @discardableResult
    public mutating func add(fileDescriptor fd: Int32, events: PollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fd, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Changes the events watched at `index`.
    public mutating func setEvents(_ events: PollEvents, at index: Int) {
        items[index].events = events.rawValue
    }

    public var count: Int { items.count }

    /// Waits up to `timeoutMilliseconds` (-1: forever, 0: just look) for any registered item to be
    /// ready. Returns the number of ready items; an interrupted wait returns 0. Throws `ENOTSOCK`
    /// when a registered socket has been closed.
    @discardableResult
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> Int {
        // A socket closed since (or before) add() left a stale or nil handle in its item: libzmq
        // would read a dead socket, or skip the nil item and wait out the whole timeout.
        if sockets.contains(where: { $0?.isClosed == true }) {
            throw ZMQError(function: "zmq_poll", errno: ENOTSOCK)
        }
        for index in items.indices { items[index].revents = 0 }
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds) }
        if rc == -1 {
            let error = ZMQError.last("zmq_poll")
            if error.kind == .interrupted { return 0 }
            throw error
        }
        return Int(rc)
    }

    /// What the item at `index` was ready for in the last ``poll(timeoutMilliseconds:)``.
    public func events(at index: Int) -> PollEvents {
        PollEvents(rawValue: items[index].revents)
    }

    /// Whether the item at `index` was readable in the last poll.
    public func isReadable(_ index: Int) -> Bool { events(at: index).contains(.readable) }
}
