/// The ZMTP and ZAP protocol errors of `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` (`ZMQ_PROTOCOL_ERROR_*`).
public enum ProtocolError: Sendable, Hashable, CustomStringConvertible {
    case zmtpUnspecified, zmtpUnexpectedCommand, zmtpInvalidSequence, zmtpKeyExchange
    case zmtpMalformedCommandUnspecified, zmtpMalformedCommandMessage, zmtpMalformedCommandHello
    case zmtpMalformedCommandInitiate, zmtpMalformedCommandError, zmtpMalformedCommandReady
    case zmtpMalformedCommandWelcome, zmtpInvalidMetadata, zmtpCryptographic, zmtpMechanismMismatch
    case zapUnspecified, zapMalformedReply, zapBadRequestID, zapBadVersion, zapInvalidStatusCode
    case zapInvalidMetadata, wsUnspecified
    case unknown(UInt32)

    private static let table: [(UInt32, ProtocolError, String)] = [
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

    /// Decodes a `ZMQ_PROTOCOL_ERROR_*` value; unknown values are kept.
    public init(rawValue: UInt32) {
        self = Self.table.first { $0.0 == rawValue }?.1 ?? .unknown(rawValue)
    }

    public var rawValue: UInt32 {
        if case .unknown(let raw) = self { return raw }
        return Self.table.first { $0.1 == self }!.0
    }

    /// Lower snake case, e.g. `zmtp_cryptographic`; `protocol_error_0x...` for unknown values.
    public var name: String {
        if case .unknown(let raw) = self { return "protocol_error_0x" + String(raw, radix: 16) }
        return Self.table.first { $0.1 == self }!.2
    }

    public var description: String { name }
}
