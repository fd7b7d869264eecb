/// One event from `zmq_socket_monitor`, decoded. Frame 1 of the monitor message holds a native
/// uint16 event id and uint32 value; frame 2 the endpoint (libzmq 4.3, monitor version 1).
public struct MonitorEvent: Sendable, Equatable, CustomStringConvertible {
    public let kind: Kind
    /// The raw 32-bit value libzmq sent; ``detail`` says what it means.
    public let value: UInt32
    /// The endpoint libzmq named. On a bound socket it is the bound address for every peer.
    public let endpoint: String

    public init(kind: Kind, value: UInt32, endpoint: String) {
        self.kind = kind
        self.value = value
        self.endpoint = endpoint
    }

    /// The event kinds of libzmq 4.3's stable API.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case connected, connectDelayed, connectRetried, listening, bindFailed, accepted
        case acceptFailed, closed, closeFailed, disconnected, monitorStopped
        case handshakeFailedNoDetail, handshakeSucceeded, handshakeFailedProtocol, handshakeFailedAuth
        /// An event number this build does not know (a newer libzmq); kept, never a crash.
        case unknown(Int)

        /// The 15 known kinds, in libzmq's bit order.
        public static let known: [Kind] = [
            .connected, .connectDelayed, .connectRetried, .listening, .bindFailed, .accepted,
            .acceptFailed, .closed, .closeFailed, .disconnected, .monitorStopped,
            .handshakeFailedNoDetail, .handshakeSucceeded, .handshakeFailedProtocol, .handshakeFailedAuth,
        ]

        /// Decodes libzmq's event bit (`ZMQ_EVENT_*`).
        public init(rawValue: Int) {
            let bit = rawValue.trailingZeroBitCount
            if rawValue > 0, rawValue & (rawValue - 1) == 0, bit < Kind.known.count {
                self = Kind.known[bit]
            } else {
                self = .unknown(rawValue)
            }
        }

        /// The kind's place in ``known`` (its bit number), nil for an unknown kind.
        public var knownIndex: Int? {
            switch self {
            case .connected: 0
            case .connectDelayed: 1
            case .connectRetried: 2
            case .listening: 3
            case .bindFailed: 4
            case .accepted: 5
            case .acceptFailed: 6
            case .closed: 7
            case .closeFailed: 8
            case .disconnected: 9
            case .monitorStopped: 10
            case .handshakeFailedNoDetail: 11
            case .handshakeSucceeded: 12
            case .handshakeFailedProtocol: 13
            case .handshakeFailedAuth: 14
            case .unknown: nil
            }
        }

        /// libzmq's `ZMQ_EVENT_*` bit.
        public var rawValue: Int {
            if case .unknown(let raw) = self { return raw }
            return 1 << knownIndex!
        }

        /// Lower snake case, as in the `event` label: `connect_delayed`, `handshake_failed_auth`.
        public var name: String {
            switch self {
            case .connected: "connected"
            case .connectDelayed: "connect_delayed"
            case .connectRetried: "connect_retried"
            case .listening: "listening"
            case .bindFailed: "bind_failed"
            case .accepted: "accepted"
            case .acceptFailed: "accept_failed"
            case .closed: "closed"
            case .closeFailed: "close_failed"
            case .disconnected: "disconnected"
            case .monitorStopped: "monitor_stopped"
            case .handshakeFailedNoDetail: "handshake_failed_no_detail"
            case .handshakeSucceeded: "handshake_succeeded"
            case .handshakeFailedProtocol: "handshake_failed_protocol"
            case .handshakeFailedAuth: "handshake_failed_auth"
            case .unknown(let raw): "unknown_\(raw)"
            }
        }

        public var description: String { name }
    }

    /// What the value means for this kind of event (libzmq 4.3.4, `socket_base.cpp`).
    public enum Detail: Sendable, Equatable {
        /// CONNECTED, ACCEPTED, DISCONNECTED, CLOSED, LISTENING: a file descriptor.
        case fileDescriptor(Int32)
        /// CONNECT_DELAYED, BIND_FAILED, ACCEPT_FAILED, CLOSE_FAILED, HANDSHAKE_FAILED_NO_DETAIL.
        case errno(Int32)
        /// CONNECT_RETRIED: the next reconnect interval, in milliseconds.
        case reconnectInterval(milliseconds: UInt32)
        /// HANDSHAKE_FAILED_PROTOCOL: a ZMTP or ZAP protocol error.
        case protocolError(ProtocolError)
        /// HANDSHAKE_FAILED_AUTH: the ZAP handler's status code (300, 400, 500).
        case zapStatus(Int)
        /// HANDSHAKE_SUCCEEDED and MONITOR_STOPPED carry nothing; unknown kinds neither.
        case none
    }

    public var detail: Detail {
        let signed = Int32(bitPattern: value)
        switch kind {
        case .connected, .accepted, .disconnected, .closed, .listening: return .fileDescriptor(signed)
        case .connectDelayed, .bindFailed, .acceptFailed, .closeFailed, .handshakeFailedNoDetail: return .errno(signed)
        case .connectRetried: return .reconnectInterval(milliseconds: value)
        case .handshakeFailedProtocol: return .protocolError(ProtocolError(rawValue: value))
        case .handshakeFailedAuth: return .zapStatus(Int(value))
        case .handshakeSucceeded, .monitorStopped, .unknown: return .none
        }
    }

    /// The file descriptor this event names, if its kind carries one.
    public var fileDescriptor: Int32? {
        if case .fileDescriptor(let fd) = detail { return fd }
        return nil
    }

    public var description: String { "\(kind.name)(\(value)) \(endpoint)" }
}

/// Why a decode of a monitor message failed.
public struct MonitorDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { "malformed monitor message: \(reason)" }
}

extension MonitorEvent {
    /// Decodes the two frames of a monitor message. Throws on a first frame that is not 6 bytes
    /// or a missing second frame; an unknown event id decodes to ``Kind/unknown(_:)``.
    public static func decode(frames: [[UInt8]]) throws(MonitorDecodeError) -> MonitorEvent {
        guard frames.count == 2 else {
            throw MonitorDecodeError(reason: "expected 2 frames, got \(frames.count)")
        }
        return try decode(header: frames[0], endpoint: frames[1])
    }

    /// Decodes a 6-byte header (native uint16 id + uint32 value) and the endpoint frame's bytes.
    public static func decode(header: some Collection<UInt8>, endpoint: some Collection<UInt8>) throws(MonitorDecodeError) -> MonitorEvent {
        guard header.count == 6 else {
            throw MonitorDecodeError(reason: "first frame is \(header.count) bytes, expected 6")
        }
        let b = Array(header)
        // libzmq writes both in the host's byte order, which this process shares.
        let id = b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return MonitorEvent(
            kind: Kind(rawValue: Int(id)),
            value: value,
            endpoint: String(decoding: endpoint, as: UTF8.self)
        )
    }
}
