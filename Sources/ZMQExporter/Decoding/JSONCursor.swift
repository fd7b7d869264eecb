/// Position in a JSON text and the grammar (RFC 8259) for skipping and reading values.
struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func invalid(_ reason: String) -> JSONFieldScanner.Invalid {
        JSONFieldScanner.Invalid(offset: index, reason: reason)
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func skipValue(depth: Int) throws(JSONFieldScanner.Invalid) {
        guard depth <= JSONFieldScanner.maxDepth else { throw invalid("nested deeper than \(JSONFieldScanner.maxDepth)") }
        guard let byte = peek else { throw invalid("expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { throw invalid("expected a field name") }
                _ = try skipString()
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw invalid("expected ':'") }
                index += 1
                skipSpace()
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                if peek == UInt8(ascii: "}") { index += 1; return }
                throw invalid("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { index += 1; return }
            while true {
                skipSpace()
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                if peek == UInt8(ascii: "]") { index += 1; return }
                throw invalid("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            _ = try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            _ = try skipNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONFieldScanner.Invalid) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw invalid("unexpected end") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] {
            throw invalid("invalid literal")
        }
        index += count
    }

    /// Skips a string starting at its opening quote. Returns true when it had no escapes.
    mutating func skipString() throws(JSONFieldScanner.Invalid) -> Bool {
        index += 1
        var plain = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { index += 1; return plain }
            if byte < 0x20 { throw invalid("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                plain = false
                index += 1
                guard let escaped = peek else { break }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count else { throw invalid("short \\u escape") }
                    for i in 1...4 where hexValue(bytes[index + i]) == nil { throw invalid("bad \\u escape") }
                    index += 5
                default:
                    throw invalid("bad escape")
                }
                continue
            }
            index += 1
        }
        throw invalid("unterminated string")
    }

    /// Skips a number; returns its text range.
    mutating func skipNumber() throws(JSONFieldScanner.Invalid) -> Range<Int> {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { throw invalid("expected a value") }
        if first == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let d = peek, isDigit(d) else { throw invalid("expected digits after '.'") }
            skipDigits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let d = peek, isDigit(d) else { throw invalid("expected exponent digits") }
            skipDigits()
        }
        return start..<index
    }

    mutating func skipDigits() {
        while let b = peek, isDigit(b) { index += 1 }
    }

    /// Reads the value at the cursor as a slot: where it is and what kind.
    mutating func readSlot() throws(JSONFieldScanner.Invalid) -> JSONFieldScanner.Slot {
        guard let byte = peek else { throw invalid("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            let start = index
            let plain = try skipString()
            return .string((start + 1)..<(index - 1), escaped: !plain)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipValue(depth: 1)
            return .composite
        default:
            return .number(try skipNumber())
        }
    }

    /// Decodes the escapes of an already validated string body.
    static func unescape(_ body: UnsafeRawBufferPointer) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var i = 0
        func flush() {
            if !utf8.isEmpty { scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars); utf8.removeAll() }
        }
        while i < body.count {
            let b = body[i]
            guard b == UInt8(ascii: "\\") else { utf8.append(b); i += 1; continue }
            flush()
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code: UInt32 = 0
                for k in 0..<4 { code = code << 4 | UInt32(hexValue(body[i + k]) ?? 0) }
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 5 < body.count, body[i] == UInt8(ascii: "\\"), body[i + 1] == UInt8(ascii: "u") {
                    var low: UInt32 = 0
                    for k in 0..<4 { low = low << 4 | UInt32(hexValue(body[i + 2 + k]) ?? 0) }
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(e))
            }
        }
        flush()
        return String(scalars)
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

@inline(__always) func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: b - 0x30
    case 0x41...0x46: b - 0x41 + 10
    case 0x61...0x66: b - 0x61 + 10
    default: nil
    }
}
