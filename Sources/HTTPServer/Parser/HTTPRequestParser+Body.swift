extension HTTPRequestParser {
    mutating func fixedBodyStep(remaining: Int) -> Step {
        let take = min(remaining, buffer.count - readIndex)
        if take == 0 { return .needMore }
        partial.body.append(contentsOf: buffer[readIndex..<(readIndex + take)])
        readIndex += take
        scanIndex = readIndex
        if take == remaining { return .complete }
        state = .fixedBody(remaining: remaining - take)
        return .needMore
    }

    /// chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1); extensions are ignored.
    mutating func chunkSizeStep() -> Step {
        switch takeLine(maxContent: Self.maxChunkLineBytes) {
        case .incomplete: return .needMore
        case .tooLong: return .fail(.badRequest("chunk size line too long"))
        case .line(let start, let end):
            var size = 0
            var index = start
            while index < end, let digit = Self.hexValue(buffer[index]) {
                if index - start >= 15 { return .fail(.bodyTooLarge) }
                size = size << 4 | digit
                index += 1
            }
            if index == start { return .fail(.badRequest("invalid chunk size")) }
            if index < end {
                let next = buffer[index]
                guard next == UInt8(ascii: ";") || next == .space || next == .tab else {
                    return .fail(.badRequest("invalid chunk size"))
                }
                for byte in buffer[index..<end] where !ByteClass.fieldValue[Int(byte)] {
                    return .fail(.badRequest("invalid chunk extension"))
                }
            }
            if size > limits.maxBodyBytes - partial.body.count { return .fail(.bodyTooLarge) }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return .proceed
        }
    }

    mutating func chunkDataStep(remaining: Int) -> Step {
        let take = min(remaining, buffer.count - readIndex)
        if take == 0 { return .needMore }
        partial.body.append(contentsOf: buffer[readIndex..<(readIndex + take)])
        readIndex += take
        scanIndex = readIndex
        state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
        return take == remaining ? .proceed : .needMore
    }

    mutating func chunkDataEndStep() -> Step {
        let available = buffer.count - readIndex
        if available == 0 { return .needMore }
        if buffer[readIndex] == .lf {
            readIndex += 1
        } else if buffer[readIndex] == .cr {
            if available < 2 { return .needMore }
            guard buffer[readIndex + 1] == .lf else { return .fail(.badRequest("chunk data not followed by CRLF")) }
            readIndex += 2
        } else {
            return .fail(.badRequest("chunk data longer than its size"))
        }
        scanIndex = readIndex
        state = .chunkSize
        return .proceed
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }
}
