import Glibc
import Testing
@testable import ZMQExporter

/// process_open_fds: the one-poll count and the /proc/self/fd walk it falls back to, against a
/// listing of /proc/self/fd made here.
@Suite(.serialized) struct OpenDescriptorTests {
    /// The descriptors /proc/self/fd lists, without the listing's own.
    static func listed() -> Set<Int32> {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var result: Set<Int32> = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd != own { result.insert(fd) }
        }
        return result
    }

    /// Counts with both ways between two listings until no other test opened or closed a
    /// descriptor meanwhile (suites run in parallel and make sockets), then expects them all to
    /// agree. Returns the listing.
    @discardableResult
    static func expectCountsMatchListing(sourceLocation: SourceLocation = #_sourceLocation) -> Set<Int32> {
        var last: (before: Int, counted: Int, statted: Int?, polled: Int?, walked: Int, after: Int) = (0, 0, nil, nil, 0, 0)
        for _ in 0..<200 {
            let before = listed()
            let counted = ProcessMetrics.countOpenFileDescriptors()
            let statted = ProcessMetrics.countByStat()
            let polled = ProcessMetrics.countByPolling()
            let walked = ProcessMetrics.countByListing()
            let after = listed()
            last = (before.count, counted, statted, polled, walked, after.count)
            // Kernels before 6.2 report no size for /proc/self/fd: the stat path then stands aside.
            if before == after && [counted, statted ?? before.count, polled, walked].allSatisfy({ $0 == before.count }) {
                return before
            }
            usleep(2_000)
        }
        Issue.record("no quiet moment where the counts matched the listing: \(last)", sourceLocation: sourceLocation)
        return []
    }

    @Test func pollingCountsWhatTheListingShows() throws {
        #expect(ProcessMetrics.countByPolling() != nil, "the poll path should apply in the tests")
        Self.expectCountsMatchListing()

        var pipes: [Int32] = []
        defer { for fd in pipes { close(fd) } }
        for _ in 0..<300 {
            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)
            pipes += ends
        }
        let open = Self.expectCountsMatchListing()
        #expect(open.isSuperset(of: pipes))
        let tableSize = try #require(ProcessMetrics.descriptorTableSize())
        #expect(Int(open.max() ?? 0) < tableSize)

        for fd in pipes { close(fd) }
        pipes = []
        Self.expectCountsMatchListing()
    }

    @Test func tableSizeIsReadFromStatus() throws {
        let size = try #require(ProcessMetrics.descriptorTableSize())
        // The kernel sizes the table in powers of two, at least 64 slots (BITS_PER_LONG).
        #expect(size >= 64 && size & (size - 1) == 0)
    }

    @Test func largeTablesFallBackToTheListing() {
        #expect(ProcessMetrics.canPoll(tableSize: 1024, softLimit: 1024))
        #expect(!ProcessMetrics.canPoll(tableSize: 2048, softLimit: 1024))
        #expect(ProcessMetrics.canPoll(tableSize: 65_536, softLimit: rlim_t.max))
        #expect(!ProcessMetrics.canPoll(tableSize: 131_072, softLimit: rlim_t.max))
        #expect(!ProcessMetrics.canPoll(tableSize: 0, softLimit: 1024))
    }

    @Test func statusValuesAreFoundAtLineStarts() {
        let status = Array("Name:\tzmq-exporter\nXFDSize: 1\nFDSize:\t 256\nGroups:\n".utf8)
        #expect(ProcessMetrics.value(of: "FDSize:", in: status) == 256)
        #expect(ProcessMetrics.value(of: "Groups:", in: status) == nil)
        #expect(ProcessMetrics.value(of: "VmRSS:", in: status) == nil)
    }
}
