// libFuzzer target for the preload stats-file decoder (built by `make fuzz-decoders`). Inputs
// shorter than a file are padded onto a valid header now and then, so the fuzzer reaches the
// slot decoder instead of stopping at the magic.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let first = bytes.first, first & 1 == 1, bytes.count < 4096 + 2048 {
        // "ZMQXSTAT", version 1, header 4096, slot 1024, 2 slots, 11 buckets of increasing bounds.
        var file = [UInt8](repeating: 0, count: 4096 + 2048)
        func put(_ value: UInt64, _ width: Int, at offset: Int) {
            for index in 0..<width { file[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        for (index, byte) in "ZMQXSTAT".utf8.enumerated() { file[index] = byte }
        put(1, 4, at: 8); put(4096, 4, at: 12); put(1024, 4, at: 16); put(2, 4, at: 20); put(11, 4, at: 220)
        for index in 0..<11 { put(Double(index + 1).bitPattern, 8, at: 224 + 8 * index) }
        // The input lands on the slots (and the header's tail), where the variety is.
        let start = 4096 - 16
        for (index, byte) in bytes.dropFirst().enumerated() where start + index < file.count { file[start + index] = byte }
        bytes = file
    }
    if let process = try? PreloadFile.parse(bytes) {
        precondition(process.bucketBounds.count == 11)
        for socket in process.sockets {
            precondition(socket.events.count == 16 && socket.lifetimeBuckets.count == 12)
            precondition(socket.handshakeFailures.count <= 8 && socket.name.utf8.count < 96)
        }
        // A decoded copy has a signature that matches itself, and the cache compares it with
        // whatever the next read brings: here the same bytes with one changed, and a shorter copy.
        let signature = PreloadFile.Signature(of: bytes)!
        precondition(bytes.withUnsafeBytes { signature.matches($0) })
        var changed = bytes
        changed[Int(bytes[bytes.count / 2]) * 37 % changed.count] &+= 1
        _ = changed.withUnsafeBytes { signature.matches($0) }
        precondition(!bytes.dropLast().withUnsafeBytes { signature.matches($0) })
    }
    _ = PreloadFile.sequences(bytes)
    return 0
}
