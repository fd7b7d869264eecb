/// The path a route is matched on, as Go's net/http finds it: percent-escapes decoded (a bad
/// escape is the client's error, 400), then `.`/`..` segments and repeated slashes resolved; a
/// path that was not already in that form is redirected to it (301), as Go's ServeMux does.
enum RequestPath {
    enum Outcome: Equatable {
        case canonical(String)
        case redirect(String)
        case invalid(String)
    }

    static func resolve(_ raw: String) -> Outcome {
        guard let decoded = percentDecoded(raw) else {
            return .invalid("invalid URL escape in \"\(raw.prefix(64))\"")
        }
        let cleaned = clean(decoded)
        return cleaned == decoded ? .canonical(decoded) : .redirect(cleaned)
    }

    /// `%XX` escapes replaced by their bytes; nil when a `%` is not followed by two hex digits.
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The shortest equivalent of an absolute path: one slash between segments, no `.`, each `..`
    /// removing the segment before it (never above the root), and a trailing slash kept.
    static func clean(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        var result = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && result != "/" { result += "/" }
        return result
    }

    /// `path` as it may stand in a Location header: bytes outside the URL's unreserved and
    /// path characters percent-escaped again.
    static func escaped(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count < 2 ? "0" : "") + hex
            }
        }
        return out
    }
}
