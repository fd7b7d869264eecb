import Testing
import ZeroMQ

// The monitor message decoder, fed bytes built here: no sockets. The expected tables are written
// out from zmq.h rather than derived from the code under test.
@Suite struct MonitorEventDecodeTests {
    /// `ZMQ_EVENT_*` values and label names from libzmq 4.3.4's zmq.h.
    static let kinds: [(bit: Int, kind: MonitorEvent.Kind, name: String)] = [
        (0x0001, .connected, "connected"),
        (0x0002, .connectDelayed, "connect_delayed"),
        (0x0004, .connectRetried, "connect_retried"),
        (0x0008, .listening, "listening"),
        (0x0010, .bindFailed, "bind_failed"),
        (0x0020, .accepted, "accepted"),
        (0x0040, .acceptFailed, "accept_failed"),
        (0x0080, .closed, "closed"),
        (0x0100, .closeFailed, "close_failed"),
        (0x0200, .disconnected, "disconnected"),
        (0x0400, .monitorStopped, "monitor_stopped"),
        (0x0800, .handshakeFailedNoDetail, "handshake_failed_no_detail"),
        (0x1000, .handshakeSucceeded, "handshake_succeeded"),
        (0x2000, .handshakeFailedProtocol, "handshake_failed_protocol"),
        (0x4000, .handshakeFailedAuth, "handshake_failed_auth"),
    ]

    /// A monitor header as libzmq writes it: native uint16 id, then native uint32 value.
    static func header(id: UInt16, value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: id) { Array($0) } + withUnsafeBytes(of: value) { Array($0) }
    }

    @Test func all15KindsDecodeFromTheirBit() throws {
        #expect(Self.kinds.count == 15)
        #expect(MonitorEvent.Kind(rawValue: 1 << 15).knownIndex == nil)
        #expect(MonitorEvent.Kind.known == Self.kinds.map(\.kind))
        for (bit, kind, name) in Self.kinds {
            #expect(MonitorEvent.Kind(rawValue: bit) == kind)
            #expect(kind.rawValue == bit)
            #expect(kind.knownIndex == MonitorEvent.Kind.known.firstIndex(of: kind))
            #expect(kind.name == name)
            #expect(kind.description == name)
            let event = try MonitorEvent.decode(header: Self.header(id: UInt16(bit), value: 7), endpoint: Array("tcp://x:1".utf8))
            #expect(event.kind == kind)
            #expect(event.value == 7)
            #expect(event.endpoint == "tcp://x:1")
        }
    }

    @Test(arguments: [0x8000, 3, 0, 0x0030, 0xFFFF])
    func unknownIdDecodesToUnknownKeepingTheNumber(_ id: Int) throws {
        let event = try MonitorEvent.decode(header: Self.header(id: UInt16(id), value: 42), endpoint: [])
        #expect(event.kind == .unknown(id))
        #expect(event.kind.rawValue == id)
        #expect(event.kind.name == "unknown_\(id)")
        #expect(event.detail == .none)
        #expect(event.value == 42)
        #expect(event.endpoint == "")
    }

    @Test func negativeAndWideRawValuesAreUnknown() {
        #expect(MonitorEvent.Kind(rawValue: -1) == .unknown(-1))
        #expect(MonitorEvent.Kind(rawValue: 0x1_0000) == .unknown(0x1_0000))
    }

    @Test(arguments: [0, 1, 5, 7, 10])
    func headerOfWrongLengthThrows(_ length: Int) {
        let error = #expect(throws: MonitorDecodeError.self) {
            _ = try MonitorEvent.decode(header: [UInt8](repeating: 1, count: length), endpoint: [])
        }
        #expect(error?.description.contains("\(length) bytes, expected 6") == true)
    }

    @Test func wrongFrameCountThrows() throws {
        let header = Self.header(id: 0x20, value: 9)
        #expect(throws: MonitorDecodeError.self) { _ = try MonitorEvent.decode(frames: [header]) }
        #expect(throws: MonitorDecodeError.self) { _ = try MonitorEvent.decode(frames: [header, [], []]) }
        #expect(throws: MonitorDecodeError.self) { _ = try MonitorEvent.decode(frames: []) }
        let event = try MonitorEvent.decode(frames: [header, Array("ipc:///tmp/a".utf8)])
        #expect(event == MonitorEvent(kind: .accepted, value: 9, endpoint: "ipc:///tmp/a"))
        #expect(event.description == "accepted(9) ipc:///tmp/a")
    }

    @Test func valueUsesNativeByteOrderAndAllBits() throws {
        let event = try MonitorEvent.decode(header: Self.header(id: 0x4, value: 0xDEAD_BEEF), endpoint: [])
        #expect(event.value == 0xDEAD_BEEF)
        #expect(event.detail == .reconnectInterval(milliseconds: 0xDEAD_BEEF))
    }

    /// What each kind's value means, for a sample value.
    static let details: [(kind: MonitorEvent.Kind, value: UInt32, detail: MonitorEvent.Detail)] = [
        (.connected, 12, .fileDescriptor(12)),
        (.connectDelayed, 115, .errno(115)),
        (.connectRetried, 250, .reconnectInterval(milliseconds: 250)),
        (.listening, 9, .fileDescriptor(9)),
        (.bindFailed, 98, .errno(98)),
        (.accepted, 13, .fileDescriptor(13)),
        (.acceptFailed, 24, .errno(24)),
        (.closed, 9, .fileDescriptor(9)),
        (.closeFailed, 2, .errno(2)),
        (.disconnected, 13, .fileDescriptor(13)),
        (.monitorStopped, 0, .none),
        (.handshakeFailedNoDetail, 110, .errno(110)),
        (.handshakeSucceeded, 0, .none),
        (.handshakeFailedProtocol, 0x1100_0001, .protocolError(.zmtpCryptographic)),
        (.handshakeFailedAuth, 400, .zapStatus(400)),
    ]

    @Test func detailOfEveryKind() throws {
        #expect(Set(Self.details.map(\.kind.name)) == Set(Self.kinds.map(\.name)))
        for (kind, value, detail) in Self.details {
            let event = try MonitorEvent.decode(header: Self.header(id: UInt16(kind.rawValue), value: value), endpoint: [])
            #expect(event.detail == detail, "\(kind)")
            if case .fileDescriptor(let fd) = detail {
                #expect(event.fileDescriptor == fd)
            } else {
                #expect(event.fileDescriptor == nil, "\(kind)")
            }
        }
        let unknownProtocol = MonitorEvent(kind: .handshakeFailedProtocol, value: 0x1000_0099, endpoint: "")
        #expect(unknownProtocol.detail == .protocolError(.unknown(0x1000_0099)))
        let auth300 = MonitorEvent(kind: .handshakeFailedAuth, value: 300, endpoint: "")
        #expect(auth300.detail == .zapStatus(300))
    }

    /// `ZMQ_PROTOCOL_ERROR_*` from zmq.h (ws_unspecified is a draft value kept for newer libzmq).
    static let protocolErrors: [(UInt32, ProtocolError, String)] = [
        (0x1000_0000, .zmtpUnspecified, "zmtp_unspecified"),
        (0x1000_0001, .zmtpUnexpectedCommand, "zmtp_unexpected_command"),
        (0x1000_0002, .zmtpInvalidSequence, "zmtp_invalid_sequence"),
        (0x1000_0003, .zmtpKeyExchange, "zmtp_key_exchange"),
        (0x1000_0011, .zmtpMalformedCommandUnspecified, "zmtp_malformed_command_unspecified"),
        (0x1000_0012, .zmtpMalformedCommandMessage, "zmtp_malformed_command_message"),
        (0x1000_0013, .zmtpMalformedCommandHello, "zmtp_malformed_command_hello"),
        (0x1000_0014, .zmtpMalformedCommandInitiate, "zmtp_malformed_command_initiate"),
        (0x1000_0015, .zmtpMalformedCommandError, "zmtp_malformed_command_error"),
        (0x1000_0016, .zmtpMalformedCommandReady, "zmtp_malformed_command_ready"),
        (0x1000_0017, .zmtpMalformedCommandWelcome, "zmtp_malformed_command_welcome"),
        (0x1000_0018, .zmtpInvalidMetadata, "zmtp_invalid_metadata"),
        (0x1100_0001, .zmtpCryptographic, "zmtp_cryptographic"),
        (0x1100_0002, .zmtpMechanismMismatch, "zmtp_mechanism_mismatch"),
        (0x2000_0000, .zapUnspecified, "zap_unspecified"),
        (0x2000_0001, .zapMalformedReply, "zap_malformed_reply"),
        (0x2000_0002, .zapBadRequestID, "zap_bad_request_id"),
        (0x2000_0003, .zapBadVersion, "zap_bad_version"),
        (0x2000_0004, .zapInvalidStatusCode, "zap_invalid_status_code"),
        (0x2000_0005, .zapInvalidMetadata, "zap_invalid_metadata"),
        (0x3000_0000, .wsUnspecified, "ws_unspecified"),
    ]

    @Test func protocolErrorValuesAndNamesRoundTrip() {
        var names = Set<String>()
        for (raw, error, name) in Self.protocolErrors {
            #expect(ProtocolError(rawValue: raw) == error)
            #expect(error.rawValue == raw)
            #expect(error.name == name)
            #expect(error.description == name)
            names.insert(error.name)
        }
        #expect(names.count == Self.protocolErrors.count, "names are unique")
    }

    @Test(arguments: [UInt32(0), 0x1000_0004, 0x1100_0000, 0x2000_0006, 0xFFFF_FFFF])
    func unknownProtocolErrorKeepsItsValue(_ raw: UInt32) {
        let error = ProtocolError(rawValue: raw)
        #expect(error == .unknown(raw))
        #expect(error.rawValue == raw)
        #expect(error.name == "protocol_error_0x" + String(raw, radix: 16))
    }
}
