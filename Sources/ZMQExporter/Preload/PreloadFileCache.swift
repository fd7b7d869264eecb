import Glibc

/// The stats files of the directory as last decoded, by name, so that a scrape reads each file
/// once and decodes only those whose static bytes changed: for the others it checks the copy
/// against the kept ``PreloadFile/Signature`` and reads the counters at the kept offsets.
///
/// A file is decoded again (two reads, the full checks of ``PreloadFile``) when it is new, when
/// its inode, device or size differ (replaced, truncated, grown), or when any byte of its
/// signature differs (a slot taken by a new socket, renamed, its endpoints or flags changed, or
/// a copy read while the writer was changing them). Files that fail are never kept.
struct PreloadFileCache {
    /// A file decoded once, and what the collector made of it.
    final class Entry: Sendable {
        let device: UInt64
        let inode: UInt64
        let signature: PreloadFile.Signature
        let plan: PreloadPlan

        init(device: UInt64, inode: UInt64, signature: PreloadFile.Signature, plan: PreloadPlan) {
            (self.device, self.inode, self.signature, self.plan) = (device, inode, signature, plan)
        }
    }

    /// A file as one scrape read it.
    enum Loaded {
        case failed(PreloadDirectory.ScanError)
        case read(PreloadPlan, PreloadPlan.Values)
    }

    /// Labels of a process shown one by one (``PreloadCollector/Options/maxSocketsPerProcess``).
    let maxSockets: Int
    private var entries: [String: Entry] = [:]
    /// One buffer for every file's copy, kept between scrapes.
    private var scratch: [UInt8] = []
    /// Files decoded in full since the cache was made, for tests and the benchmark's notes.
    private(set) var decodes = 0

    init(maxSockets: Int) {
        self.maxSockets = maxSockets
    }

    /// Reads `name` of the open directory: from one copy when it matches the kept entry, else
    /// decoded in full (and kept when it decodes).
    mutating func load(_ name: String, in directoryFD: Int32, directory: PreloadDirectory) -> Loaded {
        let file: PreloadDirectory.OpenFile
        switch directory.open(name, in: directoryFD) {
        case .failure(let error):
            entries[name] = nil
            return .failed(error)
        case .success(let opened): file = opened
        }
        defer { close(file.fd) }
        if let entry = entries[name], entry.device == file.device, entry.inode == file.inode, entry.signature.fileSize == file.size,
           case .success(let count) = PreloadDirectory.read(file.fd, size: file.size, into: &scratch) {
            let values: PreloadPlan.Values? = scratch.withUnsafeBytes { raw in
                let copy = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                guard entry.signature.matches(copy) else { return nil }
                return entry.plan.values(copy, alive: file.alive, droppedEvents: Self.droppedEvents(copy))
            }
            if let values { return .read(entry.plan, values) }
        }
        entries[name] = nil
        decodes += 1
        switch directory.decode(file) {
        case .failure(let error):
            return .failed(error)
        case .success(let (process, copy)):
            guard let signature = PreloadFile.Signature(of: copy) else { return .failed(.invalid(.badHeader("signature"))) }
            let plan = PreloadPlan(process: process, copy: copy, signature: signature, maxSockets: maxSockets)
            let values = copy.withUnsafeBytes { plan.values($0, alive: file.alive, droppedEvents: process.droppedEvents) }
            guard let values else { return .failed(.invalid(.truncated(expected: plan.requiredSize, actual: copy.count))) }
            entries[name] = Entry(device: file.device, inode: file.inode, signature: signature, plan: plan)
            return .read(plan, values)
        }
    }

    /// Forgets every file not in `names` (gone from the directory, or removed after its grace).
    mutating func keep(only names: Set<String>) {
        for name in entries.keys where !names.contains(name) { entries[name] = nil }
    }

    /// The header's count of dropped monitor events; the signature checked the header's size.
    private static func droppedEvents(_ copy: UnsafeRawBufferPointer) -> UInt64 {
        copy.loadUnaligned(fromByteOffset: PreloadFile.Header.droppedEvents, as: UInt64.self)
    }
}
