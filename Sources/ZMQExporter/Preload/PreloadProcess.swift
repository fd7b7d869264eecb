/// One process's stats file from the preload library, decoded (docs/zero-code.md "File layout").
/// Values only: what to export is the collector's business.
public struct PreloadProcess: Sendable, Equatable {
    public var pid: Int32
    /// Clock ticks after boot when the process started (`/proc/PID/stat` field 22): with ``bootID``
    /// it tells a reused pid from the original.
    public var startTime: UInt64
    public var bootID: String
    /// `ZMQ_EXPORTER_PROCESS_NAME`, else the command name.
    public var name: String
    /// The libzmq the process really uses, e.g. `4.3.5` for pyzmq's wheel.
    public var libzmqVersion: String
    /// Upper bounds of the connection-lifetime buckets, seconds.
    public var bucketBounds: [Double]
    /// Monitor events libzmq could not queue because the library's reader fell behind.
    public var droppedEvents: UInt64
    /// Sockets counted in the aggregate slot because every slot was live.
    public var overflowSockets: UInt64
    /// Sockets counted without a monitor: past the descriptor budget.
    public var unmonitoredSockets: UInt64
    /// Monitors the application replaced with its own `zmq_socket_monitor`.
    public var monitorsLost: UInt64
    /// The last `ZMQ_MAX_SOCKETS` the application asked for, if it ever did.
    public var maxSocketsRequested: Int64?
    /// What the library set instead (room for the monitors' sockets), 0 before any socket.
    public var maxSocketsEffective: Int64
    public var socketsCreated: UInt64
    public var socketsClosed: UInt64
    /// Monitor messages of the wrong shape, skipped (after a dropped frame).
    public var malformedEvents: UInt64
    /// Closed sockets folded into the aggregate slot to make room.
    public var evictedSlots: UInt64
    /// Slots in use: live and closed sockets and the aggregate slot (always first).
    public var sockets: [PreloadSocket]
}

/// One slot: a live or closed socket, or the aggregate of sockets that had no slot of their own.
public struct PreloadSocket: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case live, closed
        /// Slot 0: overflow sockets and closed sockets evicted to make room; named `_other`.
        case aggregate
    }

    public struct Endpoint: Sendable, Equatable {
        public enum Mode: String, Sendable { case bind, connect }
        public var mode: Mode
        /// As libzmq resolved it (`ZMQ_LAST_ENDPOINT`): `tcp://127.0.0.1:41234`.
        public var address: String
    }

    /// A handshake failure as the monitor reported it; the collector names the reason
    /// (`HandshakeReason`), e.g. event 0x2000 with value 0x11000001 is `zmtp_cryptographic`.
    public struct HandshakeFailure: Sendable, Equatable {
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_*`.
        public var event: UInt32
        public var value: UInt32
        public var count: UInt64
    }

    public var slot: Int
    /// Bumped whenever the slot gets a new owner.
    public var generation: UInt32
    public var state: State
    /// libzmq's socket type number (`ZMQ_PUSH` = 8), -1 for the aggregate.
    public var type: Int32
    /// The `ZMQ_EXPORTER_SOCKET_NAMES` name, else the first endpoint as the program wrote it,
    /// else empty. Live and closed slots of one name and type add up to that socket's totals.
    public var name: String
    public var endpoints: [Endpoint]
    public var monitored: Bool
    /// The application installed its own monitor, which replaced the library's.
    public var monitorLost: Bool
    /// Past the descriptor budget: counted without a monitor.
    public var unmonitored: Bool
    /// The name came from `ZMQ_EXPORTER_SOCKET_NAMES`.
    public var named: Bool
    /// More endpoints than the slot holds.
    public var endpointsTruncated: Bool

    public var messagesSent: UInt64
    public var messagesReceived: UInt64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var sendWouldBlock: UInt64
    public var sendUnroutable: UInt64
    public var sendError: UInt64
    /// Peer connections open now.
    public var connections: Int64
    public var closedBeforeHandshake: UInt64
    /// Handshake failures whose (event, value) found no free entry.
    public var handshakeOverflow: UInt64
    /// Monitor events by bit number of `ZMQ_EVENT_*` (16 entries; 15 = any unknown event).
    public var events: [UInt64]
    /// Connection lifetimes per bucket, NOT cumulative; the last entry is above every bound.
    public var lifetimeBuckets: [UInt64]
    public var lifetimeSumSeconds: Double
    public var lifetimeCount: UInt64
    public var handshakeFailures: [HandshakeFailure]

    /// True for the aggregate slot, which holds sockets that found no slot of their own.
    public var isOverflow: Bool { state == .aggregate }
}
