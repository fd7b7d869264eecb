import Glibc
import Posix

/// The standard `process_*` metrics, read from /proc at scrape time (as the Go client does).
public final class ProcessCollector: Collector {
    public init() {}

    public func collect(into samples: inout Samples) {
        ProcessMetrics.collect(into: &samples)
    }
}

/// How the `process_*` figures are read.
enum ProcessMetrics {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
    static let bootTime: Double = {
        guard let stat = Files.readText("/proc/stat") else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(trimmingBlanks(line.dropFirst(6))) ?? 0
        }
        return 0
    }()

    /// Adds the `process_*` samples.
    static func collect(into samples: inout Samples) {
        guard let stat = Files.readText("/proc/self/stat"),
              let close = stat.lastIndex(of: ")") else { return }
        // Fields after "(comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double { Double(fields[n - 3]) ?? 0 }
        guard fields.count > 21 else { return }
        let cpu = (field(14) + field(15)) / ticksPerSecond
        let start = bootTime + field(22) / ticksPerSecond
        let openFDs = countOpenFileDescriptors()
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        samples.add(MetricCatalog.processCPU, [], cpu)
        samples.add(MetricCatalog.processResident, [], field(24) * pageSize)
        samples.add(MetricCatalog.processVirtual, [], field(23))
        samples.add(MetricCatalog.processOpenFDs, [], Int64(openFDs))
        samples.add(MetricCatalog.processMaxFDs, [], Double(limit.rlim_cur))
        samples.add(MetricCatalog.processStart, [], start)
    }

    /// Open descriptors: the size the kernel reports for /proc/self/fd (Linux 6.2 and later),
    /// else one poll(2) over the descriptor table when it is small enough, else a walk of the
    /// directory.
    static func countOpenFileDescriptors() -> Int {
        countByStat() ?? countByPolling() ?? countByListing()
    }

    /// Since Linux 6.2 the size /proc/self/fd reports is the number of open descriptors, counted
    /// by the kernel from its bitmap: one stat(2) whatever the count, where the poll below calls
    /// every open file's poll method (figures in BENCHMARKS.md). Older kernels report 0: nil.
    static func countByStat() -> Int? {
        var info = stat()
        guard stat("/proc/self/fd", &info) == 0, info.st_size > 0 else { return nil }
        return Int(info.st_size)
    }

    /// The largest descriptor table ``countByPolling()`` takes on (8 bytes a slot, so 512 KiB).
    static let maxPolledDescriptors = 65_536

    /// Polls every slot of the descriptor table for no events: the kernel answers POLLNVAL for a
    /// closed slot and leaves an open one alone. One system call instead of the /proc/self/fd
    /// walk, for which the kernel builds a directory entry per descriptor (several times slower at
    /// 1,000 descriptors: BENCHMARKS.md). Descriptors opened with O_PATH are invisible to poll; the agent has none.
    /// Nil when the table's size is unknown or too large (``canPoll(tableSize:softLimit:)``), or
    /// when poll fails.
    static func countByPolling() -> Int? {
        var limit = rlimit()
        // The status file's descriptor is closed again before the poll, so it is not counted.
        guard let size = descriptorTableSize(), getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0,
              canPoll(tableSize: size, softLimit: limit.rlim_cur) else { return nil }
        return withUnsafeTemporaryAllocation(of: pollfd.self, capacity: size) { slots -> Int? in
            for fd in 0..<size {
                slots[fd] = pollfd(fd: Int32(fd), events: 0, revents: 0)
            }
            var result: Int32
            repeat {
                result = poll(slots.baseAddress, nfds_t(size), 0)
            } while result == -1 && errno == EINTR
            guard result >= 0 else { return nil }
            return slots.count { $0.revents & Int16(POLLNVAL) == 0 }
        }
    }

    /// Whether one poll can take the whole table: poll refuses more entries than the soft
    /// RLIMIT_NOFILE, and above ``maxPolledDescriptors`` the array would cost too much.
    static func canPoll(tableSize: Int, softLimit: rlim_t) -> Bool {
        tableSize > 0 && tableSize <= maxPolledDescriptors && rlim_t(tableSize) <= softLimit
    }

    /// The `FDSize:` of /proc/self/status: how many slots the descriptor table has, so every
    /// open descriptor is below it. Read as bytes: the file is 1.5 KB and this runs every scrape.
    static func descriptorTableSize() -> Int? {
        guard let status = Files.read("/proc/self/status") else { return nil }
        return value(of: "FDSize:", in: status)
    }

    /// The whole number after `key` at the start of a line of `text` (`FDSize:\t256`), blanks skipped.
    static func value(of key: String, in text: [UInt8]) -> Int? {
        let key = Array(key.utf8)
        var lineStart = 0
        while lineStart < text.count {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            let line = text[lineStart..<lineEnd]
            if line.starts(with: key) {
                let digits = line.dropFirst(key.count).drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                return Int(String(decoding: digits, as: UTF8.self))
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// Counts /proc/self/fd entries without making a string per descriptor (a scrape of an agent
    /// with hundreds of sockets lists hundreds of them). The directory's own descriptor is not counted.
    static func countByListing() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        return max(0, count - 1)
    }

    /// `text` without the spaces and tabs around it (/proc pads its numbers with both).
    static func trimmingBlanks(_ text: Substring) -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }) else { return "" }
        return text[first...last]
    }
}
