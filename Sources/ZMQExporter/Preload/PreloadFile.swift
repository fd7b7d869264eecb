/// Decodes the preload library's stats files (layout version 1, docs/zero-code.md). The bytes
/// are untrusted: any process that can write the directory can put a file there, so every
/// size, count, offset and string length is checked before use and strings must be UTF-8.
public enum PreloadFile {
    public static let magic: [UInt8] = Array("ZMQXSTAT".utf8)
    public static let version: UInt32 = 1
    /// The fields version 1 defines end here; a larger header or slot is allowed (later minor
    /// additions), a smaller one is refused.
    static let minimumHeaderSize = 392
    static let minimumSlotSize = 1024
    /// A bound on what a reader accepts: 65,536 slots (the library's own maximum).
    public static let maximumSlots = 65536
    static let bucketCount = 11
    static let eventKinds = 16

    enum Header {
        static let version = 8, headerSize = 12, slotSize = 16, slotCount = 20, pid = 24
        static let startTime = 32, bootID = 40, bootIDSize = 40, nameLength = 80, name = 84, nameSize = 124
        static let zmqMajor = 208, bucketCount = 220, bounds = 224
        static let droppedEvents = 312, overflowSockets = 320, unmonitoredSockets = 328, monitorsLost = 336
        static let maxSocketsRequested = 344, maxSocketsEffective = 352, socketsCreated = 360
        static let socketsClosed = 368, malformedEvents = 376, evictedSlots = 384
    }

    enum Slot {
        static let state = 0, generation = 4, sequence = 8, type = 12, flags = 16, nameLength = 20
        static let endpointsLength = 24, handshakeEntries = 28, counters = 32, events = 112
        static let buckets = 240, lifetimeSum = 336, lifetimeCount = 344, handshake = 352
        static let handshakeMax = 8, name = 480, nameSize = 96, endpoints = 576, endpointsSize = 448
    }

    enum Flag {
        static let monitored: UInt32 = 1, monitorLost: UInt32 = 2, named: UInt32 = 4
        static let truncated: UInt32 = 8, unmonitored: UInt32 = 16
    }

    /// Decodes a copy of a whole file. Free slots are left out.
    public static func parse(_ bytes: [UInt8]) throws(PreloadFileError) -> PreloadProcess {
        let reader = ByteReader(bytes: bytes)
        let layout = try checkHeader(reader)
        var sockets: [PreloadSocket] = []
        for index in 0..<layout.slotCount {
            if let socket = try parseSlot(reader, index: index, at: layout.headerSize + index * layout.slotSize) {
                sockets.append(socket)
            }
        }
        let requested = try reader.int64(Header.maxSocketsRequested)
        return PreloadProcess(
            pid: try reader.int32(Header.pid),
            startTime: try reader.uint64(Header.startTime),
            bootID: try reader.paddedString(Header.bootID, size: Header.bootIDSize, what: "boot id"),
            name: try reader.string(Header.name, length: Int(try reader.uint32(Header.nameLength)),
                                    max: Header.nameSize, what: "process name"),
            libzmqVersion: "\(try reader.int32(Header.zmqMajor)).\(try reader.int32(Header.zmqMajor + 4)).\(try reader.int32(Header.zmqMajor + 8))",
            bucketBounds: layout.bounds,
            droppedEvents: try reader.uint64(Header.droppedEvents),
            overflowSockets: try reader.uint64(Header.overflowSockets),
            unmonitoredSockets: try reader.uint64(Header.unmonitoredSockets),
            monitorsLost: try reader.uint64(Header.monitorsLost),
            maxSocketsRequested: requested < 0 ? nil : requested,
            maxSocketsEffective: try reader.int64(Header.maxSocketsEffective),
            socketsCreated: try reader.uint64(Header.socketsCreated),
            socketsClosed: try reader.uint64(Header.socketsClosed),
            malformedEvents: try reader.uint64(Header.malformedEvents),
            evictedSlots: try reader.uint64(Header.evictedSlots),
            sockets: sockets
        )
    }

    struct Layout {
        var headerSize: Int
        var slotSize: Int
        var slotCount: Int
        var bounds: [Double]
    }

    static func checkHeader(_ reader: ByteReader) throws(PreloadFileError) -> Layout {
        guard reader.count > 0 else { throw .empty }
        guard reader.count >= minimumHeaderSize else { throw .truncated(expected: minimumHeaderSize, actual: reader.count) }
        let found = Array(reader.bytes[0..<8])
        if found == [UInt8](repeating: 0, count: 8) { throw .notFinished }
        guard found == magic else { throw .badMagic }
        let version = try reader.uint32(Header.version)
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let headerSize = Int(try reader.uint32(Header.headerSize))
        let slotSize = Int(try reader.uint32(Header.slotSize))
        let slotCount = Int(try reader.uint32(Header.slotCount))
        guard headerSize >= minimumHeaderSize, headerSize <= 1 << 20, headerSize % 8 == 0 else {
            throw .badHeader("header size \(headerSize)")
        }
        guard slotSize >= minimumSlotSize, slotSize <= 1 << 16, slotSize % 8 == 0 else { throw .badHeader("slot size \(slotSize)") }
        guard slotCount >= 1, slotCount <= maximumSlots else { throw .badHeader("slot count \(slotCount)") }
        // Bounded above, so this cannot overflow.
        let expected = headerSize + slotSize * slotCount
        guard reader.count >= expected else { throw .truncated(expected: expected, actual: reader.count) }
        guard try reader.uint32(Header.bucketCount) == UInt32(bucketCount) else { throw .badHeader("bucket count") }
        let bounds = try reader.uint64s(Header.bounds, count: bucketCount).map { Double(bitPattern: $0) }
        for (lower, upper) in zip(bounds, bounds.dropFirst()) where !(lower < upper) {
            throw .badHeader("bucket bounds not increasing")
        }
        guard bounds.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw .badHeader("bucket bound not a positive number") }
        return Layout(headerSize: headerSize, slotSize: slotSize, slotCount: slotCount, bounds: bounds)
    }

    static func parseSlot(_ reader: ByteReader, index: Int, at base: Int) throws(PreloadFileError) -> PreloadSocket? {
        let rawState = try reader.uint32(base + Slot.state)
        let state: PreloadSocket.State
        switch rawState {
        case 0: return nil
        case 1: state = .live
        case 2: state = .closed
        case 3 where index == 0: state = .aggregate
        default: throw .badSlot(index, "state \(rawState)")
        }
        guard try reader.uint32(base + Slot.sequence) % 2 == 0 else { throw .slotBeingWritten(index) }
        let flags = try reader.uint32(base + Slot.flags)
        let entries = Int(try reader.uint32(base + Slot.handshakeEntries))
        guard entries <= Slot.handshakeMax else { throw .badSlot(index, "handshake entries \(entries)") }
        let name = try reader.string(base + Slot.name, length: Int(try reader.uint32(base + Slot.nameLength)),
                                     max: Slot.nameSize, what: "slot \(index) name")
        let endpointText = try reader.string(base + Slot.endpoints, length: Int(try reader.uint32(base + Slot.endpointsLength)),
                                             max: Slot.endpointsSize, what: "slot \(index) endpoints")
        var endpoints: [PreloadSocket.Endpoint] = []
        for line in endpointText.split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let mode = PreloadSocket.Endpoint.Mode(rawValue: String(line[..<space])) else {
                throw .badSlot(index, "endpoint line")
            }
            endpoints.append(.init(mode: mode, address: String(line[line.index(after: space)...])))
        }
        var failures: [PreloadSocket.HandshakeFailure] = []
        for entry in 0..<entries {
            let at = base + Slot.handshake + 16 * entry
            let count = try reader.uint64(at + 8)
            if count > 0 {
                failures.append(.init(event: try reader.uint32(at), value: try reader.uint32(at + 4), count: count))
            }
        }
        let c = base + Slot.counters
        return PreloadSocket(
            slot: index,
            generation: try reader.uint32(base + Slot.generation),
            state: state,
            type: try reader.int32(base + Slot.type),
            name: name,
            endpoints: endpoints,
            monitored: flags & Flag.monitored != 0,
            monitorLost: flags & Flag.monitorLost != 0,
            unmonitored: flags & Flag.unmonitored != 0,
            named: flags & Flag.named != 0,
            endpointsTruncated: flags & Flag.truncated != 0,
            messagesSent: try reader.uint64(c),
            messagesReceived: try reader.uint64(c + 8),
            bytesSent: try reader.uint64(c + 16),
            bytesReceived: try reader.uint64(c + 24),
            sendWouldBlock: try reader.uint64(c + 32),
            sendUnroutable: try reader.uint64(c + 40),
            sendError: try reader.uint64(c + 48),
            connections: try reader.int64(c + 56),
            closedBeforeHandshake: try reader.uint64(c + 64),
            handshakeOverflow: try reader.uint64(c + 72),
            events: try reader.uint64s(base + Slot.events, count: eventKinds),
            lifetimeBuckets: try reader.uint64s(base + Slot.buckets, count: bucketCount + 1),
            lifetimeSumSeconds: Double(try reader.uint64(base + Slot.lifetimeSum)) / 1e9,
            lifetimeCount: try reader.uint64(base + Slot.lifetimeCount),
            handshakeFailures: failures
        )
    }

    /// Each used slot's sequence counter, to tell whether two reads of a file saw the same
    /// names and endpoints (a seqlock: see ``PreloadDirectory``). Empty if the header is bad.
    public static func sequences(_ bytes: [UInt8]) -> [UInt32] {
        let reader = ByteReader(bytes: bytes)
        guard let layout = try? checkHeader(reader) else { return [] }
        return (0..<layout.slotCount).map { (try? reader.uint32(layout.headerSize + $0 * layout.slotSize + Slot.sequence)) ?? 0 }
    }
}

/// Bounds-checked little reads from a byte array, in the host's byte order (the writer's).
struct ByteReader {
    let bytes: [UInt8]
    var count: Int { bytes.count }

    private func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) throws(PreloadFileError) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size else { throw .truncated(expected: offset + size, actual: bytes.count) }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    func uint32(_ offset: Int) throws(PreloadFileError) -> UInt32 { try load(offset, as: UInt32.self) }
    func int32(_ offset: Int) throws(PreloadFileError) -> Int32 { try load(offset, as: Int32.self) }
    func uint64(_ offset: Int) throws(PreloadFileError) -> UInt64 { try load(offset, as: UInt64.self) }
    func int64(_ offset: Int) throws(PreloadFileError) -> Int64 { try load(offset, as: Int64.self) }
    func uint64s(_ offset: Int, count: Int) throws(PreloadFileError) -> [UInt64] {
        var values: [UInt64] = []
        values.reserveCapacity(count)
        for index in 0..<count { values.append(try uint64(offset + 8 * index)) }
        return values
    }

    /// `length` bytes of UTF-8 at `offset`, in a field of `max` bytes.
    func string(_ offset: Int, length: Int, max: Int, what: String) throws(PreloadFileError) -> String {
        guard length >= 0, length < max else { throw .badHeader("\(what) length \(length)") }
        guard offset >= 0, offset <= bytes.count - max else { throw .truncated(expected: offset + max, actual: bytes.count) }
        guard let text = String(validating: bytes[offset..<(offset + length)], as: UTF8.self) else {
            throw .badHeader("\(what) is not UTF-8")
        }
        return text
    }

    /// A NUL-padded field of `size` bytes.
    func paddedString(_ offset: Int, size: Int, what: String) throws(PreloadFileError) -> String {
        guard offset >= 0, offset <= bytes.count - size else { throw .truncated(expected: offset + size, actual: bytes.count) }
        let field = bytes[offset..<(offset + size)]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        guard let text = String(validating: field[..<end], as: UTF8.self) else { throw .badHeader("\(what) is not UTF-8") }
        return text
    }
}
