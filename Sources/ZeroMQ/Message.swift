import CZeroMQ

/// One frame, held in a libzmq `zmq_msg_t`. Receiving into a message and sending it on moves the
/// frame's buffer without copying; sending empties the message, which can then be reused.
public final class Message: @unchecked Sendable {
    // A message is used by one thread at a time; it may move between threads.
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// An empty frame, ready to receive into.
    public init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    /// A frame holding a copy of `bytes`.
    public init(_ bytes: some Collection<UInt8>) {
        pointer = .allocate(capacity: 1)
        let count = bytes.count
        // zmq_msg_init_size fails only with ENOMEM: treat like any allocation failure.
        precondition(zmq_msg_init_size(pointer, count) == 0, "zmq_msg_init_size: out of memory")
        let destination = UnsafeMutableRawBufferPointer(start: zmq_msg_data(pointer), count: count)
        destination.copyBytes(from: bytes)
    }

    /// A frame holding `string`'s UTF-8 bytes.
    public convenience init(string: String) {
        self.init(Array(string.utf8))
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The frame's size in bytes.
    public var count: Int { zmq_msg_size(pointer) }

    /// Whether more frames of the same multipart message follow this one (set on receive).
    public var hasMore: Bool { zmq_msg_more(pointer) != 0 }

    /// Calls `body` with the frame's bytes, without copying them.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer)))
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The frame decoded as UTF-8 (invalid sequences repaired).
    public var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    /// Empties the frame so it can be received into again.
    public func reset() {
        zmq_msg_close(pointer)
        zmq_msg_init(pointer)
    }
}
