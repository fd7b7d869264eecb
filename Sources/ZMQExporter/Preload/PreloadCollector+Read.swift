import Glibc
import Posix

extension PreloadCollector {
    /// Below this many files one thread reads them all: a thread costs more than it saves.
    static let filesPerThread = 16
    static let parallelReads = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1

    /// Each file of `names` as ``PreloadFileCache/load(_:in:directory:)`` reads it, in the same
    /// order. With many files and more than one CPU, the files of the second cache are read on
    /// a thread of their own meanwhile (opening, checking and reading 100 files is about half
    /// of a scrape's work on the scrape's thread). A file always goes to the same cache, by a
    /// hash of its name, so each cache keeps its files from one scrape to the next.
    static func load(_ names: [PreloadDirectory.Listed], in directoryFD: Int32, directory: PreloadDirectory,
                     caches: inout [PreloadFileCache], reader: inout ReadingThread?) -> [PreloadFileCache.Loaded] {
        let halves = names.map { half($0.name) }
        guard names.count >= filesPerThread, parallelReads else {
            return zip(names, halves).map { name, half in caches[half].load(name, in: directoryFD, directory: directory) }
        }
        let other = OtherHalf(cache: PreloadFileCache(maxSockets: caches[1].maxSockets), names: zip(names, halves).filter { $0.1 == 1 }.map(\.0))
        // Moved, not copied: a copy would be copied again (its table and read buffer) on its
        // first change.
        swap(&other.cache, &caches[1])
        if reader == nil { reader = try? ReadingThread() }
        reader?.run { other.read(in: directoryFD, directory: directory) }
        var mine: [PreloadFileCache.Loaded] = []
        for (name, half) in zip(names, halves) where half == 0 {
            mine.append(caches[0].load(name, in: directoryFD, directory: directory))
        }
        if let reader { reader.wait() } else { other.read(in: directoryFD, directory: directory) }
        swap(&other.cache, &caches[1])
        var (first, second) = (mine.makeIterator(), other.results.makeIterator())
        return halves.map { $0 == 0 ? first.next()! : second.next()! }
    }

    /// The cache a file goes to: FNV-1a of its name, so the same on every scrape.
    static func half(_ name: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash & 1)
    }

    /// The second cache and its files, handed to the reading thread and back by its join.
    // @unchecked Sendable: written by the reading thread only between its start and its join.
    private final class OtherHalf: @unchecked Sendable {
        var cache: PreloadFileCache
        let names: [PreloadDirectory.Listed]
        var results: [PreloadFileCache.Loaded] = []

        init(cache: PreloadFileCache, names: [PreloadDirectory.Listed]) {
            (self.cache, self.names) = (cache, names)
        }

        func read(in directoryFD: Int32, directory: PreloadDirectory) {
            results = names.map { cache.load($0, in: directoryFD, directory: directory) }
        }
    }

    /// The thread that reads the second half of the files, kept from scrape to scrape (one
    /// made for each scrape cost its start every time). One load at a time: the collector's
    /// scans take turns under its lock.
    // @unchecked Sendable: `task` is handed over by the semaphores, which order the accesses.
    final class ReadingThread: @unchecked Sendable {
        private let start = Semaphore()
        private let done = Semaphore()
        private var task: (() -> Void)?

        init() throws(SystemError) {
            try Thread.detach(name: "preload-read") { [self] in serve() }
        }

        /// Starts `task` on the thread; ``wait()`` for it to end.
        func run(_ task: @escaping () -> Void) {
            self.task = task
            start.post()
        }

        func wait() {
            done.wait()
        }

        /// Ends the thread (idle, between loads).
        func stop() {
            task = nil
            start.post()
        }

        private func serve() {
            while true {
                start.wait()
                guard let current = task else { return }
                current()
                task = nil
                done.post()
            }
        }
    }
}
