import ZeroMQ

/// The answer to one ZAP request (ZeroMQ RFC 27), decided from its frames alone.
///
/// A request is `"1.0"`, request id, domain, address, routing id, mechanism, then the
/// mechanism's credentials (CURVE: the client's 32-byte public key). A reply is `"1.0"`, the
/// same request id, status code, status text, user id, metadata.
struct ZAPReply: Equatable {
    enum Status: String, CaseIterable {
        /// The client's key is on the domain's allow list.
        case allowed = "200"
        /// Anything else the request asks for: an unknown key, an unknown domain, a mechanism
        /// other than CURVE. Deny by default.
        case denied = "400"
        /// The request breaks RFC 27 (too few frames, another version, a CURVE key that is not
        /// 32 bytes). libzmq never sends one; the reply keeps the REP socket in step, and any
        /// status but 200 makes libzmq refuse the handshake.
        case malformed = "500"
    }

    let requestID: [UInt8]
    let status: Status
    let text: String
    /// The client's Z85 public key for an allowed CURVE client (libzmq's `User-Id` property).
    let userID: String

    var frames: [[UInt8]] {
        [Array("1.0".utf8), requestID, Array(status.rawValue.utf8), Array(text.utf8), Array(userID.utf8), []]
    }

    /// Decides a request; `isAllowed(domain, key)` looks the client up.
    static func answer(_ frames: [[UInt8]], isAllowed: (String, CurveKey) -> Bool) -> ZAPReply {
        let requestID = frames.count > 1 ? frames[1] : []
        func reply(_ status: Status, _ text: String, user: String = "") -> ZAPReply {
            ZAPReply(requestID: requestID, status: status, text: text, userID: user)
        }
        guard frames.count >= 6 else { return reply(.malformed, "a ZAP request has at least 6 frames") }
        guard frames[0] == Array("1.0".utf8) else { return reply(.malformed, "unsupported ZAP version") }
        let domain = String(decoding: frames[2], as: UTF8.self)
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        guard mechanism == "CURVE" else { return reply(.denied, "mechanism \(mechanism) is not allowed") }
        guard frames.count == 7, let key = CurveKey(bytes: frames[6]) else {
            return reply(.malformed, "a CURVE request carries one 32-byte key")
        }
        guard isAllowed(domain, key) else { return reply(.denied, "client key not allowed") }
        return reply(.allowed, "OK", user: key.z85)
    }
}
