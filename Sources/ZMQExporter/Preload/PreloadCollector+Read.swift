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
                     caches: inout [PreloadFileCache]) -> [PreloadFileCache.Loaded] {
        let halves = names.map { half($0.name) }
        guard names.count >= filesPerThread, parallelReads else {
            return zip(names, halves).map { name, half in caches[half].load(name, in: directoryFD, directory: directory) }
        }
        let other = OtherHalf(cache: caches[1], names: zip(names, halves).filter { $0.1 == 1 }.map(\.0))
        let thread = try? Thread(name: "preload-read") { other.read(in: directoryFD, directory: directory) }
        var mine: [PreloadFileCache.Loaded] = []
        for (name, half) in zip(names, halves) where half == 0 {
            mine.append(caches[0].load(name, in: directoryFD, directory: directory))
        }
        if let thread { thread.join() } else { other.read(in: directoryFD, directory: directory) }
        caches[1] = other.cache
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
}
