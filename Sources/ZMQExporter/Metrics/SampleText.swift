/// Sample values written straight into memory, for collectors that write many lines through
/// a buffer of their own: the same text as `appendDecimal` and `appendSample` without an
/// append (a capacity and uniqueness check) per value.
enum SampleText {
    /// Writes `value` in decimal at `out` (room for 20 bytes); returns the bytes written.
    @inline(__always)
    static func writeDecimal(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        let sign = value < 0 ? 1 : 0
        if sign == 1 { out[0] = UInt8(ascii: "-") }
        var digits = 1
        var limit: UInt64 = 10
        while digits < 20 && magnitude >= limit {
            digits += 1
            limit = limit &* 10
        }
        var index = sign + digits
        repeat {
            index -= 1
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        return sign + digits
    }

    /// Writes `value` as ``TextFormat/sampleText(_:)`` does at `out` (room for 32 bytes);
    /// returns the bytes written.
    static func writeSample(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if !value.isNaN, !value.isInfinite, value == value.rounded(), value.magnitude < 1e15 {
            return writeDecimal(Int64(value), to: out)
        }
        var text: [UInt8] = []
        text.appendSample(value)
        let count = min(text.count, 32)
        text.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: count) }
        return count
    }
}
