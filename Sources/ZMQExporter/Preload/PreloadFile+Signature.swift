import Glibc

extension PreloadFile {
    /// The bytes of a decoded file that everything but its counters came from: the header up to
    /// its counters, and for each slot its state word, and for a used slot its first 32 bytes
    /// (state, generation, sequence, type, flags, lengths), its handshake entries' (event, value)
    /// pairs, name and endpoints. A later copy of the same size with the same bytes there decodes
    /// to the same process, sockets, names and endpoints whatever its other bytes say, so a
    /// reader can keep what it made of the first copy and take only the counters from the new
    /// one. A socket that takes a slot, renames it or changes its endpoints changes these bytes
    /// (its generation and sequence at least); so does a file replaced with other contents.
    public struct Signature: Sendable {
        /// The size of the copy it was taken from; a copy of another size never matches.
        public let fileSize: Int
        let headerSize: Int
        let slotSize: Int
        let slotCount: Int
        /// Where each range starts and how long it is; `bytes` holds their contents end to end.
        let offsets: [Int]
        let lengths: [Int]
        let bytes: [UInt8]

        /// The signature of a copy that ``PreloadFile/parse(_:)`` decoded; nil if the copy has
        /// no valid header or a used slot's lengths are out of range (parse refuses those).
        public init?(of copy: [UInt8]) {
            let reader = ByteReader(bytes: copy)
            guard let layout = try? checkHeader(reader) else { return nil }
            var offsets = [0], lengths = [Header.droppedEvents]
            for index in 0..<layout.slotCount {
                let base = layout.headerSize + index * layout.slotSize
                guard let state = try? reader.uint32(base + Slot.state) else { return nil }
                guard state != 0 else {
                    offsets.append(base)
                    lengths.append(4)
                    continue
                }
                guard let entries = try? reader.uint32(base + Slot.handshakeEntries), entries <= Slot.handshakeMax,
                      let name = try? reader.uint32(base + Slot.nameLength), name < Slot.nameSize,
                      let endpoints = try? reader.uint32(base + Slot.endpointsLength), endpoints < Slot.endpointsSize else {
                    return nil
                }
                offsets.append(base)
                lengths.append(Slot.counters)
                for entry in 0..<Int(entries) {
                    offsets.append(base + Slot.handshake + 16 * entry)
                    lengths.append(8)
                }
                offsets.append(base + Slot.name)
                lengths.append(Int(name))
                offsets.append(base + Slot.endpoints)
                lengths.append(Int(endpoints))
            }
            // Every range lies inside the slot table, which checkHeader found inside the copy.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(lengths.reduce(0, +))
            for (offset, length) in zip(offsets, lengths) { bytes.append(contentsOf: copy[offset..<(offset + length)]) }
            (fileSize, headerSize, slotSize, slotCount) = (copy.count, layout.headerSize, layout.slotSize, layout.slotCount)
            (self.offsets, self.lengths, self.bytes) = (offsets, lengths, bytes)
        }

        /// Whether `copy` has this signature's size and the same bytes in every range.
        public func matches(_ copy: UnsafeRawBufferPointer) -> Bool {
            guard copy.count == fileSize, let base = copy.baseAddress else { return false }
            return bytes.withUnsafeBytes { expected in
                var at = 0
                for (offset, length) in zip(offsets, lengths) {
                    if memcmp(base + offset, expected.baseAddress! + at, length) != 0 { return false }
                    at += length
                }
                return true
            }
        }

        /// Where slot `index` starts in the file.
        public func slotOffset(_ index: Int) -> Int { headerSize + index * slotSize }
    }
}
