/// Why a request was refused; each case maps to the status the server answers with before closing.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Malformed syntax or unsafe framing: 400 with the reason.
    case badRequest(String)
    /// Request line longer than ``Limits/maxRequestLineBytes``: 414.
    case requestLineTooLong
    /// Header lines beyond ``Limits/maxHeaderBytes`` or ``Limits/maxHeaderCount``: 431.
    case headersTooLarge
    /// Body beyond ``Limits/maxBodyBytes``: 413.
    case bodyTooLarge
    /// A version other than HTTP/1.x, e.g. the HTTP/2 preface: 505.
    case versionNotSupported
    /// A transfer coding other than "chunked": 501.
    case transferCodingNotImplemented
    /// An Expect other than "100-continue": 417.
    case expectationFailed

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .requestLineTooLong: return 414
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .versionNotSupported: return 505
        case .transferCodingNotImplemented: return 501
        case .expectationFailed: return 417
        }
    }

    /// The short plain-text body sent with the status.
    public var description: String {
        switch self {
        case .badRequest(let reason): return "bad request: \(reason)"
        case .requestLineTooLong: return "request line too long"
        case .headersTooLarge: return "request header fields too large"
        case .bodyTooLarge: return "request body too large"
        case .versionNotSupported: return "HTTP version not supported; use HTTP/1.1"
        case .transferCodingNotImplemented: return "only the chunked transfer coding is supported"
        case .expectationFailed: return "only Expect: 100-continue is supported"
        }
    }
}
