import CZeroMQ

/// A CURVE key (public or secret): 32 bytes, written as 40 characters of Z85 (ZeroMQ RFC 32).
public struct CurveKey: Sendable, Hashable {
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// The key of 32 `bytes`; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Decodes a 40-character Z85 key; nil when `text` is not one (wrong length, a character
    /// outside the Z85 alphabet, or a group that overflows 32 bits).
    public init?(z85 text: String) {
        guard Self.z85Problem(text) == nil else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        _ = zmq_z85_decode(&out, text)
        self.bytes = out
    }

    /// Why `text` is not a Z85 key, or nil when it is one.
    public static func z85Problem(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 40 else { return "a Z85 key has 40 characters, not \(scalars.count)" }
        if let bad = scalars.first(where: { !z85Alphabet.contains($0) }) {
            return "'\(bad)' is not a Z85 character"
        }
        var out = [UInt8](repeating: 0, count: 32)
        // zmq_z85_decode returns NULL for a 5-character group above 2^32 - 1 (e.g. "%%%%%").
        guard zmq_z85_decode(&out, text) != nil else { return "it does not decode to 32 bytes" }
        return nil
    }

    /// The 85 characters of Z85, in value order.
    static let z85Alphabet: Set<Unicode.Scalar> = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars)

    /// The key as 40 Z85 characters.
    public var z85: String {
        var text = [CChar](repeating: 0, count: 41)
        bytes.withUnsafeBufferPointer { _ = zmq_z85_encode(&text, $0.baseAddress, 32) }
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The public key that goes with this secret key (`zmq_curve_public`); throws when libzmq
    /// lacks CURVE.
    public func publicKey() throws(ZMQError) -> CurveKey {
        var publicZ85 = [CChar](repeating: 0, count: 41)
        let secret = z85
        try zmqCall("zmq_curve_public") { zmq_curve_public(&publicZ85, secret) }
        let text = String(decoding: publicZ85.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // zmq_curve_public writes Z85 of 32 bytes, which always decodes.
        return CurveKey(z85: text)!
    }
}

extension CurveKeyPair {
    /// A pair read from somewhere else (a certificate file).
    public init(publicKey: CurveKey, secretKey: CurveKey) {
        self.init(publicKey: publicKey.bytes, secretKey: secretKey.bytes)
    }

    /// The public key as a ``CurveKey``.
    public var publicCurveKey: CurveKey { CurveKey(bytes: publicKey)! }
    /// The secret key as a ``CurveKey``.
    public var secretCurveKey: CurveKey { CurveKey(bytes: secretKey)! }
}

extension Socket {
    /// Makes this socket a CURVE server with `secretKey` whose ZAP requests name `domain`.
    public func setCurveServer(secretKey: CurveKey, zapDomain: String) throws(ZMQError) {
        try setZAPDomain(zapDomain)
        try setCurveServer(secretKey: secretKey.bytes)
    }

    /// Makes this socket a CURVE client of `serverKey` with its own key pair.
    public func setCurveClient(serverKey: CurveKey, publicKey: CurveKey, secretKey: CurveKey) throws(ZMQError) {
        try setCurveClient(serverKey: serverKey.bytes, publicKey: publicKey.bytes, secretKey: secretKey.bytes)
    }
}

extension ZMQError {
    /// An `EACCES` error for a socket the caller refuses to set up; `function` says why.
    public static func accessDenied(_ function: String) -> ZMQError {
        ZMQError(function: function, errno: EACCES)
    }
}
