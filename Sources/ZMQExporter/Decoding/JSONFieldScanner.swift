/// A validating JSON scanner that pulls the scalar values of chosen top-level fields out of a
/// message without building a document. Taps run it on every message, so it allocates only for
/// the values it returns. Nesting deeper than ``maxDepth`` is rejected rather than recursed into.
public struct JSONFieldScanner: Sendable {
    /// A top-level field's value as a label would show it.
    public enum Value: Sendable, Equatable {
        case string(String)
        /// A number, with its text as written and its value.
        case number(String, Double)
        case bool(Bool)
        case null
        /// An object or array (valid, not rendered).
        case composite
    }

    public struct Invalid: Error, Sendable, Equatable {
        public let offset: Int
        public let reason: String
    }

    public let fields: [String]
    private let fieldBytes: [[UInt8]]
    public static let maxDepth = 64

    public init(fields: [String]) {
        self.fields = fields
        self.fieldBytes = fields.map { Array($0.utf8) }
    }

    /// Where a field's value lies in the scanned bytes; nothing is copied.
    public enum Slot: Sendable, Equatable {
        case missing
        /// The string's content between its quotes; `escaped` when it has backslash escapes.
        case string(Range<Int>, escaped: Bool)
        case number(Range<Int>)
        case bool(Bool)
        case null
        case composite
    }

    /// Validates `bytes` as one JSON value and fills `slots` (resized to ``fields``) with where
    /// each field's value is, when the document is an object that has it at the top level.
    /// Allocates nothing once `slots` has its size: taps call it for every message.
    public func scan(_ bytes: UnsafeRawBufferPointer, into slots: inout [Slot]) throws(Invalid) {
        if slots.count != fields.count {
            slots = [Slot](repeating: .missing, count: fields.count)
        } else {
            for i in slots.indices { slots[i] = .missing }
        }
        var cursor = Cursor(bytes: bytes)
        cursor.skipSpace()
        if cursor.peek == UInt8(ascii: "{") {
            try scanTopObject(&cursor, into: &slots)
        } else {
            try cursor.skipValue(depth: 0)
        }
        cursor.skipSpace()
        guard cursor.atEnd else { throw cursor.invalid("trailing bytes after the JSON value") }
    }

    /// Validates `bytes` as one JSON value and returns, for each of ``fields``, its value when the
    /// document is an object that has it at the top level.
    public func scan(_ bytes: UnsafeRawBufferPointer) throws(Invalid) -> [Value?] {
        var slots: [Slot] = []
        try scan(bytes, into: &slots)
        return slots.map { Self.value(of: $0, in: bytes) }
    }

    /// The value a slot points at.
    public static func value(of slot: Slot, in bytes: UnsafeRawBufferPointer) -> Value? {
        switch slot {
        case .missing: return nil
        case .string(let range, let escaped):
            let body = UnsafeRawBufferPointer(rebasing: bytes[range])
            return .string(escaped ? Cursor.unescape(body) : String(decoding: body, as: UTF8.self))
        case .number(let range):
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            return .number(text, Double(text) ?? .nan)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .composite: return .composite
        }
    }

    /// Convenience for arrays.
    public func scan(_ bytes: [UInt8]) throws(Invalid) -> [Value?] {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        return try scan(UnsafeRawBufferPointer(copy))
    }

    private func scanTopObject(_ cursor: inout Cursor, into found: inout [Slot]) throws(Invalid) {
        cursor.index += 1
        cursor.skipSpace()
        if cursor.peek == UInt8(ascii: "}") { cursor.index += 1; return }
        while true {
            cursor.skipSpace()
            guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.invalid("expected a field name") }
            let keyStart = cursor.index + 1
            let plainKey = try cursor.skipString()
            let keyEnd = cursor.index - 1
            cursor.skipSpace()
            guard cursor.peek == UInt8(ascii: ":") else { throw cursor.invalid("expected ':' after a field name") }
            cursor.index += 1
            cursor.skipSpace()
            let slot = plainKey ? matchField(cursor.bytes, keyStart, keyEnd) : nil
            if let slot, found[slot] == .missing {
                found[slot] = try cursor.readSlot()
            } else {
                try cursor.skipValue(depth: 1)
            }
            cursor.skipSpace()
            switch cursor.peek {
            case UInt8(ascii: ","): cursor.index += 1
            case UInt8(ascii: "}"): cursor.index += 1; return
            default: throw cursor.invalid("expected ',' or '}' in an object")
            }
        }
    }

    private func matchField(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        let length = end - start
        for (slot, name) in fieldBytes.enumerated() where name.count == length {
            var equal = true
            for i in 0..<length where bytes[start + i] != name[i] {
                equal = false
                break
            }
            if equal { return slot }
        }
        return nil
    }
}
