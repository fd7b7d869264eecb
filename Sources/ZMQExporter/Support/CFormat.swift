import Glibc

extension String {
    /// printf's text for `format` and `arguments` (`%.1f`, `%02d`...). Numbers on the landing page
    /// have always been printed this way, so printf itself keeps the rounding and padding the same.
    init(cFormat format: String, _ arguments: any CVarArg...) {
        let fits = withVaList(arguments) { Self.printf(format, $0, capacity: 64) }
        switch fits {
        case .success(let text):
            self = text
        case .failure(let needed):
            let text = withVaList(arguments) { Self.printf(format, $0, capacity: needed.length + 1) }
            self = (try? text.get()) ?? ""
        }
    }

    private struct TooLong: Error {
        let length: Int
    }

    /// vsnprintf into a buffer of `capacity` bytes; the length it needed when that is too small.
    private static func printf(_ format: String, _ arguments: CVaListPointer, capacity: Int) -> Result<String, TooLong> {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let length = Int(vsnprintf(buffer.baseAddress!, capacity, format, arguments))
            guard length >= 0 else { return .success("") }
            guard length < capacity else { return .failure(TooLong(length: length)) }
            return .success(String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: length), as: UTF8.self))
        }
    }
}
