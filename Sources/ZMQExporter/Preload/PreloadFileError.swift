/// Why a stats file could not be decoded. Every case is a file to skip, never a crash.
public enum PreloadFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Zero bytes: a process killed between create and allocate, or not a stats file.
    case empty
    /// Shorter than its header says it must be.
    case truncated(expected: Int, actual: Int)
    /// The magic is not there: a file still being made (`.tmp`) or not a stats file.
    case notFinished
    case badMagic
    case unsupportedVersion(UInt32)
    /// A header field out of its range (sizes, counts, string lengths).
    case badHeader(String)
    /// A slot field out of its range.
    case badSlot(Int, String)
    /// A slot's sequence counter is odd: its owner is renaming it right now; read again.
    case slotBeingWritten(Int)

    public var description: String {
        switch self {
        case .empty: "empty file"
        case .truncated(let expected, let actual): "truncated: \(actual) bytes, expected \(expected)"
        case .notFinished: "file not finished (no magic yet)"
        case .badMagic: "not a zmq-exporter stats file (bad magic)"
        case .unsupportedVersion(let version): "unsupported layout version \(version)"
        case .badHeader(let why): "bad header: \(why)"
        case .badSlot(let slot, let why): "bad slot \(slot): \(why)"
        case .slotBeingWritten(let slot): "slot \(slot) is being written"
        }
    }
}
