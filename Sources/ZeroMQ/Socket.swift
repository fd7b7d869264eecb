import CZeroMQ

/// Flags for sending a frame.
public struct SendFlags: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Fail with ``ZMQError/Kind/wouldBlock`` instead of blocking (at the high-water mark).
    public static let dontWait = SendFlags(rawValue: ZMQ_DONTWAIT)
    /// More frames of the same message follow.
    public static let sendMore = SendFlags(rawValue: ZMQ_SNDMORE)
}

/// Flags for receiving a frame.
public struct ReceiveFlags: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Fail with ``ZMQError/Kind/wouldBlock`` when nothing is queued.
    public static let dontWait = ReceiveFlags(rawValue: ZMQ_DONTWAIT)
}

/// A libzmq socket. Like libzmq's own, it must be used by one thread at a time; it may move to
/// another thread (thread creation is the memory barrier libzmq asks for). Closing is idempotent,
/// and any call after ``close()`` throws `ENOTSOCK`.
public final class Socket: @unchecked Sendable {
    public let type: SocketType
    public let context: Context
    private var handle: UnsafeMutableRawPointer?

    init(context: Context, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawType) else {
            throw ZMQError.last("zmq_socket")
        }
        self.context = context
        self.type = type
        self.handle = handle
    }

    deinit { close() }

    /// Whether ``close()`` has run.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket; pending messages are kept for the LINGER period. Safe to call twice.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        _ = zmq_close(handle)
    }

    @inline(__always)
    func live(_ function: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(function: function, errno: ENOTSOCK) }
        return handle
    }

    /// The raw `void *` for code in this module that must pass it to libzmq.
    var rawHandle: UnsafeMutableRawPointer? { handle }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://host:port`, `tcp://127.0.0.1:*`, `ipc://path`, `inproc://name`).
    public func bind(_ endpoint: String) throws(ZMQError) {
        let h = try live("zmq_bind")
        try zmqCall("zmq_bind") { zmq_bind(h, endpoint) }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        let h = try live("zmq_connect")
        try zmqCall("zmq_connect") { zmq_connect(h, endpoint) }
    }

    public func unbind(_ endpoint: String) throws(ZMQError) {
        let h = try live("zmq_unbind")
        try zmqCall("zmq_unbind") { zmq_unbind(h, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let h = try live("zmq_disconnect")
        try zmqCall("zmq_disconnect") { zmq_disconnect(h, endpoint) }
    }

    // MARK: Sending

    /// Sends `message`'s frame. On success libzmq takes the buffer and `message` is left empty.
    public func send(_ message: Message, flags: SendFlags = []) throws(ZMQError) {
        let h = try live("zmq_msg_send")
        try zmqCall("zmq_msg_send") { zmq_msg_send(message.pointer, h, flags.rawValue) }
    }

    /// Sends a copy of `bytes` as one frame.
    public func send(_ bytes: some Collection<UInt8>, flags: SendFlags = []) throws(ZMQError) {
        try send(Message(bytes), flags: flags)
    }

    /// Sends `string`'s UTF-8 bytes as one frame.
    public func send(_ string: String, flags: SendFlags = []) throws(ZMQError) {
        try send(Message(string: string), flags: flags)
    }

    /// Sends `frames` as one multipart message. With `.dontWait`, only the first frame can fail
    /// with would-block: libzmq queues the rest of a message whose first frame it accepted.
    public func send(multipart frames: [Message], flags: SendFlags = []) throws(ZMQError) {
        for (index, frame) in frames.enumerated() {
            let more: SendFlags = index < frames.count - 1 ? .sendMore : []
            try send(frame, flags: flags.union(more))
        }
    }

    /// Sends copies of `frames` as one multipart message.
    public func send(multipart frames: [[UInt8]], flags: SendFlags = []) throws(ZMQError) {
        try send(multipart: frames.map { Message($0) }, flags: flags)
    }

    // MARK: Receiving

    /// Receives one frame into `message` (its old content is released). Returns the frame size.
    @discardableResult
    public func receive(into message: Message, flags: ReceiveFlags = []) throws(ZMQError) -> Int {
        let h = try live("zmq_msg_recv")
        return Int(try zmqCall("zmq_msg_recv") { zmq_msg_recv(message.pointer, h, flags.rawValue) })
    }

    /// Receives one frame.
    public func receive(flags: ReceiveFlags = []) throws(ZMQError) -> Message {
        let message = Message()
        try receive(into: message, flags: flags)
        return message
    }

    /// Receives every frame of one multipart message. `flags` apply to the first frame; libzmq
    /// delivers a message's frames together, so the rest never block.
    public func receiveMultipart(flags: ReceiveFlags = []) throws(ZMQError) -> [Message] {
        var frames = [try receive(flags: flags)]
        while frames[frames.count - 1].hasMore {
            frames.append(try receive())
        }
        return frames
    }
}
