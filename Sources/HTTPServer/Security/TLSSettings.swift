/// What a TLS listener serves and asks of its clients, as plain values (the exporter's web-config
/// reader fills it in; nothing here reads YAML). Turned into an OpenSSL context by
/// ``TLSServerContext``.
public struct TLSSettings: Sendable, Equatable {
    /// PEM text from a file (an absolute path, or relative to the working directory) or given inline.
    public enum Source: Sendable, Equatable {
        case file(String)
        case inline(String)
    }

    /// Go's `tls.ClientAuthType`, under the names exporter-toolkit's web config uses.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

        /// Whether presented client certificates are checked against the client CA.
        public var verifies: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
    }

    /// Protocol versions, as their wire numbers.
    public enum Version: Int32, Sendable, Comparable, CaseIterable {
        case tls10 = 0x0301, tls11 = 0x0302, tls12 = 0x0303, tls13 = 0x0304

        /// The web config's spelling: TLS10 ... TLS13.
        public var name: String {
            switch self {
            case .tls10: "TLS10"
            case .tls11: "TLS11"
            case .tls12: "TLS12"
            case .tls13: "TLS13"
            }
        }

        public static func < (a: Version, b: Version) -> Bool { a.rawValue < b.rawValue }
    }

    /// The server certificate, then any intermediates, in PEM.
    public var certificate: Source
    /// The certificate's private key in PEM (unencrypted).
    public var privateKey: Source
    /// CA certificates client certificates are checked against.
    public var clientCA: Source?
    /// Default ``ClientAuth/noClientCert``.
    public var clientAuth: ClientAuth
    /// When not empty, a client certificate must carry one of these DNS, email, IP or URI names
    /// exactly, or the handshake fails.
    public var allowedSANs: [String]
    /// Default TLS 1.2 to TLS 1.3.
    public var minVersion: Version
    public var maxVersion: Version
    /// OpenSSL cipher names for TLS 1.2 and lower (from ``TLSCipherNames``); empty means the
    /// ECDHE AEAD suites of Mozilla's intermediate profile.
    public var cipherSuites: [String]
    /// TLS 1.3 suite names; empty means OpenSSL's three defaults.
    public var tls13CipherSuites: [String]
    /// OpenSSL group names (P-256, X25519...); empty means X25519, P-256, P-384.
    public var curves: [String]
    /// Default true (exporter-toolkit's default).
    public var preferServerCipherSuites: Bool

    public init(
        certificate: Source, privateKey: Source, clientCA: Source? = nil,
        clientAuth: ClientAuth = .noClientCert, allowedSANs: [String] = [],
        minVersion: Version = .tls12, maxVersion: Version = .tls13,
        cipherSuites: [String] = [], tls13CipherSuites: [String] = [], curves: [String] = [],
        preferServerCipherSuites: Bool = true
    ) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.clientAuth = clientAuth
        self.allowedSANs = allowedSANs
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.cipherSuites = cipherSuites
        self.tls13CipherSuites = tls13CipherSuites
        self.curves = curves
        self.preferServerCipherSuites = preferServerCipherSuites
    }
}

/// Why a ``TLSServerContext`` could not be built: which setting, and OpenSSL's reason.
public struct TLSSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case certificate, privateKey, keyMismatch, clientCA, cipherSuites, curves, versions, context
    }

    public let part: Part
    public let message: String

    public init(_ part: Part, _ message: String) {
        self.part = part
        self.message = message
    }

    public var description: String { message }
}
