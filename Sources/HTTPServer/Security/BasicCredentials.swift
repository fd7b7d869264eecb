/// `Authorization: Basic <base64(user:password)>` (RFC 7617), split at the first colon.
struct BasicCredentials {
    let user: String
    let password: [UInt8]

    enum Problem: String, Error {
        case missing, malformed
    }

    static func parse(_ header: String?) -> Result<BasicCredentials, Problem> {
        guard let header else { return .failure(.missing) }
        let bytes = Array(header.utf8)
        // The scheme is case-insensitive; Go accepts exactly one space after it.
        guard bytes.count > 6, String(decoding: bytes[0..<6], as: UTF8.self).lowercased() == "basic " else {
            return .failure(.malformed)
        }
        guard let decoded = base64Decode(bytes[6...]), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(.malformed)
        }
        let password = Array(decoded[(colon + 1)...])
        guard let user = String(validating: decoded[..<colon], as: UTF8.self), !password.contains(0) else {
            return .failure(.malformed)
        }
        return .success(BasicCredentials(user: user, password: password))
    }

    /// Standard base64 with padding, as Go's `base64.StdEncoding`; nil on anything else.
    static func base64Decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var quad: [UInt8] = []
        var padding = 0
        for (index, byte) in zip(text.indices, text) {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                // Only in the last two places.
                guard index >= text.endIndex - 2 else { return nil }
                padding += 1
                value = 0
            default: return nil
            }
            if padding > 0 && byte != UInt8(ascii: "=") { return nil }
            quad.append(value)
            if quad.count == 4 {
                let bits = UInt32(quad[0]) << 18 | UInt32(quad[1]) << 12 | UInt32(quad[2]) << 6 | UInt32(quad[3])
                out.append(UInt8(bits >> 16))
                out.append(UInt8(bits >> 8 & 0xFF))
                out.append(UInt8(bits & 0xFF))
                quad.removeAll(keepingCapacity: true)
            }
        }
        out.removeLast(padding)
        return out
    }
}
