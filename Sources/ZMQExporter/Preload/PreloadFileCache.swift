import Glibc

/// The stats files of the directory as last decoded, by name, so that a scrape reads each file
/// once and decodes only those whose static bytes changed: for the others it checks the copy
/// against the kept ``PreloadFile/Signature`` and reads the counters at the kept offsets.
///
/// A file is decoded again (two reads, the full checks of ``PreloadFile``) when it is new, when
/// its inode, device or size differ (replaced, truncated, grown), or when any byte of its
/// signature differs (a slot taken by a new socket, renamed, its endpoints or flags changed, or
/// a copy read while the writer was changing them). Files that fail are never kept.
///
/// A kept file's descriptor stays open (up to ``maximumKeptDescriptors``): while the directory
/// lists the same inode under its name and the file still has a name, it is checked with
/// `fstat` and read through that descriptor, without opening it by name again (`openat` and
/// `close` were a third of a scrape's system calls). Holding it open also keeps its inode
/// number from being given to another file.
struct PreloadFileCache {
    /// A file decoded once, and what the collector made of it.
    final class Entry: Sendable {
        let device: UInt64
        let inode: UInt64
        let signature: PreloadFile.Signature
        let plan: PreloadPlan
        /// The file's descriptor, or -1 when none is kept; closed with the entry.
        let fd: Int32
        /// The last copy read and its values: a copy the same byte for byte has the same values.
        let last = LastRead()

        init(device: UInt64, inode: UInt64, signature: PreloadFile.Signature, plan: PreloadPlan, fd: Int32) {
            (self.device, self.inode, self.signature, self.plan, self.fd) = (device, inode, signature, plan, fd)
        }

        deinit {
            if fd >= 0 { close(fd) }
        }
    }

    /// A kept file's last copy and what it gave.
    // @unchecked Sendable: used only by the scan that holds the collector's lock.
    final class LastRead: @unchecked Sendable {
        var copy: [UInt8] = []
        var count = 0
        var alive = false
        var values: PreloadPlan.Values?
    }

    /// A file as one scrape read it.
    enum Loaded {
        case failed(PreloadDirectory.ScanError)
        case read(PreloadPlan, PreloadPlan.Values)
    }

    /// Descriptors one cache keeps open; files past it are opened by name at each scrape.
    static let maximumKeptDescriptors = 128

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

    /// Reads the file the directory lists as `listed`: from one copy when it matches the kept
    /// entry, else decoded in full (and kept when it decodes).
    mutating func load(_ listed: PreloadDirectory.Listed, in directoryFD: Int32, directory: PreloadDirectory) -> Loaded {
        let name = listed.name
        if let entry = entries[name], entry.fd >= 0, entry.inode == listed.inode {
            switch directory.check(entry.fd) {
            case .failure(let error):
                entries[name] = nil
                return .failed(error)
            case .success(let file):
                if file.links > 0, let values = counters(entry, file) { return .read(entry.plan, values) }
            }
        }
        let file: PreloadDirectory.OpenFile
        switch directory.open(name, in: directoryFD) {
        case .failure(let error):
            entries[name] = nil
            return .failed(error)
        case .success(let opened): file = opened
        }
        var kept = false
        defer { if !kept { close(file.fd) } }
        if let entry = entries[name], entry.fd < 0, let values = counters(entry, file) { return .read(entry.plan, values) }
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
            kept = entries.values.count { $0.fd >= 0 } < Self.maximumKeptDescriptors
            entries[name] = Entry(device: file.device, inode: file.inode, signature: signature, plan: plan, fd: kept ? file.fd : -1)
            return .read(plan, values)
        }
    }

    /// The counters of `file` when it is still `entry`'s file with `entry`'s signature.
    private mutating func counters(_ entry: Entry, _ file: PreloadDirectory.OpenFile) -> PreloadPlan.Values? {
        guard entry.device == file.device, entry.inode == file.inode, entry.signature.fileSize == file.size,
              case .success(let count) = PreloadDirectory.read(file.fd, size: file.size, into: &scratch) else { return nil }
        let last = entry.last
        // Not one byte changed since the last scrape (an idle process): the same values, the
        // same arrays, which the rendered text of the plan recognizes.
        if let values = last.values, last.alive == file.alive, last.count == count,
           scratch.withUnsafeBytes({ now in last.copy.withUnsafeBytes { memcmp(now.baseAddress!, $0.baseAddress!, count) == 0 } }) {
            return values
        }
        let values = scratch.withUnsafeBytes { raw -> PreloadPlan.Values? in
            let copy = UnsafeRawBufferPointer(rebasing: raw[0..<count])
            guard entry.signature.matches(copy) else { return nil }
            return entry.plan.values(copy, alive: file.alive, droppedEvents: Self.droppedEvents(copy))
        }
        guard let values else {
            last.values = nil
            return nil
        }
        // The copy is kept by swapping buffers: the entry's old one is the next file's scratch.
        swap(&scratch, &last.copy)
        (last.count, last.alive, last.values) = (count, file.alive, values)
        return values
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
