import CZlib

/// One-shot gzip (RFC 1952) compression through zlib.
enum Gzip {
    /// Level 1: metrics text still shrinks about tenfold, at a fraction of level 6's CPU time.
    static let level: Int32 = 1

    /// The gzip member for `input`, or nil if zlib fails (the caller then sends it uncompressed).
    static func compress(_ input: [UInt8], level: Int32 = Gzip.level) -> [UInt8]? {
        compress([input], level: level)
    }

    /// The gzip member for `parts` one after another, as if they were one array.
    static func compress(_ parts: [[UInt8]], level: Int32 = Gzip.level) -> [UInt8]? {
        let total = parts.byteCount
        guard total < Int(UInt32.max) else { return nil }
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        // deflateBound covers the whole input given at once; parts given one by one with
        // Z_NO_FLUSH produce no more than that (zlib keeps what it cannot emit yet).
        let bound = Int(deflateBound(&stream, uLong(total))) + 64 * parts.count
        var status: Int32 = Z_STREAM_ERROR
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            stream.next_out = buffer.baseAddress
            stream.avail_out = uInt(buffer.count)
            status = Z_OK
            // An empty part is skipped: deflate given nothing to do answers Z_BUF_ERROR.
            for part in parts where !part.isEmpty && status == Z_OK {
                part.withUnsafeBufferPointer { source in
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                    stream.avail_in = uInt(source.count)
                    status = deflate(&stream, Z_NO_FLUSH)
                }
                // Every byte of a part must be taken before the next part's pointer replaces it.
                if status != Z_OK || stream.avail_in != 0 { status = Z_STREAM_ERROR }
            }
            if status == Z_OK {
                stream.next_in = nil
                stream.avail_in = 0
                status = deflate(&stream, Z_FINISH)
            }
            count = status == Z_STREAM_END ? buffer.count - Int(stream.avail_out) : 0
        }
        return status == Z_STREAM_END ? output : nil
    }
}
