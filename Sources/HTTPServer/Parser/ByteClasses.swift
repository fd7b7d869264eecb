/// Byte classes from RFC 9110 §5.6.2 (token) and §5.5 (field values), as lookup tables.
enum ByteClass {
    /// tchar: "!#$%&'*+-.^_`|~", digits and letters.
    static let token: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Bytes allowed in a field value: HTAB, visible ASCII, space and obs-text (0x80-0xFF);
    /// never NUL, CR, LF or other controls.
    static let fieldValue: [Bool] = (0..<256).map { value in
        value == 0x09 || (value >= 0x20 && value != 0x7F)
    }

    /// Bytes allowed in a request target: visible ASCII only (RFC 3986 plus the unsafe-but-common
    /// "[]{}|^`\" that curl and browsers send raw).
    static let target: [Bool] = (0..<256).map { value in
        value > 0x20 && value < 0x7F
    }

    static func isToken(_ byte: UInt8) -> Bool { token[Int(byte)] }
}

extension UInt8 {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
}
