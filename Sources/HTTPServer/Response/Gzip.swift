import CZlib

/// One-shot gzip (RFC 1952) compression through zlib.
enum Gzip {
    /// Level 1: metrics text still shrinks about tenfold, at a fraction of level 6's CPU time.
    static let level: Int32 = 1

    /// The gzip member for `input`, or nil if zlib fails (the caller then sends it uncompressed).
    static func compress(_ input: [UInt8], level: Int32 = Gzip.level) -> [UInt8]? {
        guard input.count < Int(UInt32.max) else { return nil }
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var status: Int32 = Z_STREAM_ERROR
        var produced = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            input.withUnsafeBufferPointer { source in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                status = deflate(&stream, Z_FINISH)
            }
            produced = buffer.count - Int(stream.avail_out)
            count = status == Z_STREAM_END ? produced : 0
        }
        return status == Z_STREAM_END ? output : nil
    }
}
