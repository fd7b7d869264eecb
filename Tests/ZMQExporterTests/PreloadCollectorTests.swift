import Glibc
import Posix
import Testing
@testable import ZMQExporter

/// A directory of stats files for one test, removed with everything in it.
final class StatsDirectory {
    let path: String
    /// Descriptors holding LOCK_EX, by file name: those writers are alive.
    private var holders: [String: Int32] = [:]

    init() {
        var template = Array("/tmp/preload-collector-XXXXXX".utf8CString)
        path = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
    }

    deinit {
        for fd in holders.values { close(fd) }
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(directory)
        }
        rmdir(path)
    }

    /// Writes `bytes` to `name` in place (same inode if it exists), as the library's mapping would.
    func write(_ bytes: [UInt8], to name: String) {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        close(fd)
    }

    /// Writes `bytes` to a new file and renames it over `name`: a new inode, as a new process's file.
    func replace(_ name: String, with bytes: [UInt8]) {
        write(bytes, to: name + ".tmp")
        rename(path + "/" + name + ".tmp", path + "/" + name)
    }

    func truncate(_ name: String, to size: Int) {
        Glibc.truncate(path + "/" + name, off_t(size))
    }

    /// Holds the file's lock as its live writer does.
    func holdLock(_ name: String) {
        let fd = open(path + "/" + name, O_RDONLY | O_CLOEXEC)
        precondition(fd >= 0 && flock(fd, LOCK_EX) == 0)
        releaseLock(name)
        holders[name] = fd
    }

    /// The writer exits: its lock goes.
    func releaseLock(_ name: String) {
        if let fd = holders.removeValue(forKey: name) { close(fd) }
    }

    func exists(_ name: String) -> Bool { access(path + "/" + name, F_OK) == 0 }
}

extension SampleStatsFile {
    /// `good` with another pid, process name and slot 1 socket name (lengths set to match).
    static func process(pid: Int32, name: String, socket: String = "tasks") -> SampleStatsFile {
        var f = good
        f.put(pid, at: 24)
        for offset in 84..<208 { f.bytes[offset] = 0 }
        f.put(UInt32(name.utf8.count), at: 80)
        f.put(name, at: 84)
        f.renameSlot(1, to: socket)
        return f
    }

    mutating func renameSlot(_ slot: Int, to name: String) {
        let s = Self.slot(slot)
        for offset in (s + 480)..<(s + 576) { bytes[offset] = 0 }
        put(UInt32(name.utf8.count), at: s + 20)
        put(name, at: s + 480)
    }
}

/// The collector of --preload.dir on real files: its exact exposition, and a cached file read
/// again whenever it changed, was replaced or truncated, or its writer exited.
@Suite struct PreloadCollectorTests {
    /// What the collector adds to /metrics, as the exposition renders it.
    static func render(_ collector: PreloadCollector) -> String {
        var samples = Samples()
        collector.collect(into: &samples)
        return String(decoding: RenderJob(families: Metrics().snapshot().families, samples: samples).render(), as: UTF8.self)
    }

    static func collector(_ directory: StatsDirectory, grace: Duration = .seconds(300)) -> PreloadCollector {
        var options = PreloadCollector.Options()
        options.directory = directory.path
        options.grace = grace
        return PreloadCollector(options: options)
    }

    @Test func exportsEveryFamilyExactly() {
        let directory = StatsDirectory()
        var file = SampleStatsFile.process(pid: 17, name: "quote\"back\\slash", socket: "new\nline")
        file.put(UInt64(0xFFFF_FFFF_FFFF_FFF0), at: SampleStatsFile.slot(1) + 32)  // sent: above Int64.max
        file.put(UInt64(2), at: SampleStatsFile.slot(1) + 104)                     // handshake overflow
        // Slot 3: a second closed PULL without a name, summed with slot 2.
        file.put(UInt32(2), at: SampleStatsFile.slot(3))
        file.put(Int32(7), at: SampleStatsFile.slot(3) + 12)
        file.put(UInt32(8), at: SampleStatsFile.slot(3) + 28)
        file.put(UInt64(1), at: SampleStatsFile.slot(3) + 40)
        directory.write(file.bytes, to: "zmq-17-00000002.zmqstats")
        let text = Self.render(Self.collector(directory))
        // Exited (no lock held): process_up 0, kept for its grace.
        #expect(text == Self.expected)
    }

    /// The value of the line that starts with `series` (name and labels), nil when absent.
    static func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    static let tasksSent = #"zmq_socket_messages_sent_total{socket="tasks",process="worker",pid="4242"}"#
    static let name = "zmq-4242-00000001.zmqstats"

    @Test func changedCountersAreReadWithoutDecodingTheFileAgain() {
        let directory = StatsDirectory()
        var file = SampleStatsFile.good
        directory.write(file.bytes, to: Self.name)
        directory.holdLock(Self.name)
        let collector = Self.collector(directory)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "100")
        file.put(UInt64(150), at: SampleStatsFile.slot(1) + 32)
        file.put(UInt64(9), at: SampleStatsFile.slot(1) + 104)  // handshake overflow: a reason appears
        directory.write(file.bytes, to: Self.name)
        let text = Self.render(collector)
        #expect(Self.value(text, Self.tasksSent) == "150")
        #expect(Self.value(text, #"zmq_socket_handshake_failures_total{socket="tasks",reason="other",process="worker",pid="4242"}"#) == "9")
        #expect(collector.decodes == 1)
        #expect(text == Self.render(Self.collector(directory)))  // what a collector without a cache says
        // The same bytes again give the kept text; a value back to an earlier one is written anew.
        #expect(Self.render(collector) == text)
        file.put(UInt64(100), at: SampleStatsFile.slot(1) + 32)
        directory.write(file.bytes, to: Self.name)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "100")
        file.put(UInt64(101), at: SampleStatsFile.slot(1) + 32)
        directory.write(file.bytes, to: Self.name)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "101")
    }

    @Test func replacedFileIsDecodedAgain() {
        let directory = StatsDirectory()
        directory.write(SampleStatsFile.good.bytes, to: Self.name)
        directory.holdLock(Self.name)
        let collector = Self.collector(directory)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "100")
        // The same bytes in a new inode, then another process's file under the same name.
        directory.replace(Self.name, with: SampleStatsFile.good.bytes)
        directory.holdLock(Self.name)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "100")
        #expect(collector.decodes == 2)
        directory.replace(Self.name, with: SampleStatsFile.process(pid: 4242, name: "renamed").bytes)
        directory.holdLock(Self.name)
        let text = Self.render(collector)
        #expect(Self.value(text, Self.tasksSent) == nil)
        #expect(Self.value(text, #"zmq_socket_messages_sent_total{socket="tasks",process="renamed",pid="4242"}"#) == "100")
        #expect(collector.decodes == 3)
    }

    @Test func slotTakenByANewSocketIsDecodedAgain() {
        let directory = StatsDirectory()
        var file = SampleStatsFile.good
        directory.write(file.bytes, to: Self.name)
        directory.holdLock(Self.name)
        let collector = Self.collector(directory)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "100")
        // Slot 1 gets a new owner in place: a PULL named "results", counting from zero.
        let s = SampleStatsFile.slot(1)
        file.put(UInt32(3), at: s + 4)
        file.put(UInt32(6), at: s + 8)
        file.put(Int32(7), at: s + 12)
        file.renameSlot(1, to: "results")
        for offset in stride(from: s + 32, to: s + 480, by: 8) { file.put(UInt64(0), at: offset) }
        file.put(UInt64(4), at: s + 40)
        directory.write(file.bytes, to: Self.name)
        var text = Self.render(collector)
        #expect(Self.value(text, Self.tasksSent) == nil)
        #expect(Self.value(text, #"zmq_socket_info{socket="results",role="app",type="PULL",process="worker",pid="4242"}"#) == "1")
        #expect(Self.value(text, #"zmq_socket_messages_received_total{socket="results",process="worker",pid="4242"}"#) == "4")
        #expect(collector.decodes == 2)
        // A writer that changes a name without its sequence: still seen, byte for byte.
        file.put("resulTs", at: s + 480)
        file.put(UInt32(7), at: s + 20)
        directory.write(file.bytes, to: Self.name)
        text = Self.render(collector)
        #expect(Self.value(text, #"zmq_socket_messages_received_total{socket="resulTs",process="worker",pid="4242"}"#) == "4")
        #expect(collector.decodes == 3)
    }

    @Test func truncatedFileIsInvalidUntilItIsWholeAgain() {
        let directory = StatsDirectory()
        directory.write(SampleStatsFile.good.bytes, to: Self.name)
        directory.holdLock(Self.name)
        let collector = Self.collector(directory)
        #expect(Self.value(Self.render(collector), Self.tasksSent) == "100")
        directory.truncate(Self.name, to: 5000)
        var text = Self.render(collector)
        #expect(Self.value(text, Self.tasksSent) == nil)
        #expect(Self.value(text, #"zmq_exporter_preload_files{state="invalid"}"#) == "1")
        #expect(Self.value(text, #"zmq_exporter_preload_files{state="live"}"#) == "0")
        directory.write(SampleStatsFile.good.bytes, to: Self.name)
        text = Self.render(collector)
        #expect(Self.value(text, Self.tasksSent) == "100")
        #expect(Self.value(text, #"zmq_exporter_preload_files{state="live"}"#) == "1")
    }

    @Test func exitedProcessKeepsItsCountsForItsGraceThenGoes() {
        let directory = StatsDirectory()
        directory.write(SampleStatsFile.good.bytes, to: Self.name)
        directory.holdLock(Self.name)
        let now = Locked(1000.0)
        var options = PreloadCollector.Options()
        options.directory = directory.path
        options.grace = .seconds(60)
        let collector = PreloadCollector(options: options, clock: { now.withLock { $0 } })
        let up = #"zmq_app_process_up{process="worker",pid="4242"}"#
        var text = Self.render(collector)
        #expect(Self.value(text, up) == "1" && Self.value(text, Self.tasksSent) == "100")
        directory.releaseLock(Self.name)
        text = Self.render(collector)
        #expect(Self.value(text, up) == "0" && Self.value(text, Self.tasksSent) == "100")
        #expect(Self.value(text, #"zmq_exporter_preload_files{state="exited"}"#) == "1")
        now.withLock { $0 += 59 }
        #expect(Self.value(Self.render(collector), up) == "0")
        #expect(directory.exists(Self.name))
        // The collector keeps the file open meanwhile, and closes it with the file's series.
        #expect(PreloadDirectoryTests.openDescriptors(under: directory.path) == 1)
        now.withLock { $0 += 1 }
        text = Self.render(collector)
        #expect(Self.value(text, up) == nil && Self.value(text, Self.tasksSent) == nil)
        #expect(Self.value(text, #"zmq_exporter_preload_files{state="exited"}"#) == "0")
        #expect(!directory.exists(Self.name))
        #expect(PreloadDirectoryTests.openDescriptors(under: directory.path) == 0)
        #expect(collector.decodes == 1)
    }

    @Test func manyFilesAreReadOnTwoThreadsAndExportedInPidOrder() {
        let directory = StatsDirectory()
        let pids: [Int32] = (0..<(PreloadCollector.filesPerThread + 9)).map { 1000 + 37 * Int32($0) % 500 }
        for pid in pids {
            let name = "zmq-\(pid)-0000abcd.zmqstats"
            directory.write(SampleStatsFile.process(pid: pid, name: "p\(pid)").bytes, to: name)
            directory.holdLock(name)
        }
        #expect(Set(pids.map { PreloadCollector.half("zmq-\($0)-0000abcd.zmqstats") }) == [0, 1])
        let collector = Self.collector(directory)
        let first = Self.render(collector)
        let up = first.split(separator: "\n").filter { $0.hasPrefix("zmq_app_process_up{") }
        #expect(up == pids.sorted().map { #"zmq_app_process_up{process="p\#($0)",pid="\#($0)"} 1"#[...] })
        #expect(Self.render(collector) == first)
        #expect(collector.decodes == pids.count)
    }

    /// Slot 1 named and escaped, sent above Int64.max (clamped), three handshake reasons; slots 2
    /// and 3 summed under one label; written by the collector before its per-file cache.
    static let expected =
            #"""
            # HELP zmq_socket_info A configured ZeroMQ socket, its role and type; always 1.
            # TYPE zmq_socket_info gauge
            zmq_socket_info{socket="_other",role="app",type="type--1",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_info{socket="new\nline",role="app",type="PUSH",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_info{socket="PULL",role="app",type="PULL",process="quote\"back\\slash",pid="17"} 1
            # HELP zmq_socket_endpoint_info An endpoint a socket binds or connects to (the address libzmq resolved); always 1.
            # TYPE zmq_socket_endpoint_info gauge
            zmq_socket_endpoint_info{socket="new\nline",endpoint="tcp://127.0.0.1:5557",mode="bind",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_endpoint_info{socket="new\nline",endpoint="ipc:///tmp/x",mode="connect",process="quote\"back\\slash",pid="17"} 1
            # HELP zmq_socket_events_total Socket monitor events by kind.
            # TYPE zmq_socket_events_total counter
            zmq_socket_events_total{socket="_other",event="connected",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="connect_delayed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="connect_retried",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="listening",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="bind_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="accepted",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="accept_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="closed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="close_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="disconnected",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="monitor_stopped",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="handshake_failed_no_detail",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="handshake_succeeded",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="handshake_failed_protocol",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="_other",event="handshake_failed_auth",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="connected",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="connect_delayed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="connect_retried",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="listening",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="bind_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="accepted",process="quote\"back\\slash",pid="17"} 5
            zmq_socket_events_total{socket="new\nline",event="accept_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="closed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="close_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="disconnected",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="monitor_stopped",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="handshake_failed_no_detail",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="handshake_succeeded",process="quote\"back\\slash",pid="17"} 4
            zmq_socket_events_total{socket="new\nline",event="handshake_failed_protocol",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="new\nline",event="handshake_failed_auth",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="connected",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="connect_delayed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="connect_retried",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="listening",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="bind_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="accepted",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="accept_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="closed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="close_failed",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="disconnected",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="monitor_stopped",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="handshake_failed_no_detail",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="handshake_succeeded",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="handshake_failed_protocol",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_events_total{socket="PULL",event="handshake_failed_auth",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_socket_connections Peer connections open now, tracked by file descriptor from monitor events.
            # TYPE zmq_socket_connections gauge
            zmq_socket_connections{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connections{socket="new\nline",process="quote\"back\\slash",pid="17"} 2
            zmq_socket_connections{socket="PULL",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_socket_connection_duration_seconds Lifetime of each closed peer connection, in seconds.
            # TYPE zmq_socket_connection_duration_seconds histogram
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="0.001",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="0.01",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="0.1",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="1",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="10",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="60",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="300",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="1800",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="3600",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="21600",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="86400",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="_other",le="+Inf",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_sum{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_count{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="0.001",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="0.01",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="0.1",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="1",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="10",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="60",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="300",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="1800",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="3600",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="21600",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="86400",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="new\nline",le="+Inf",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_sum{socket="new\nline",process="quote\"back\\slash",pid="17"} 0.05
            zmq_socket_connection_duration_seconds_count{socket="new\nline",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="0.001",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="0.01",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="0.1",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="1",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="10",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="60",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="300",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="1800",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="3600",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="21600",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="86400",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_bucket{socket="PULL",le="+Inf",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_sum{socket="PULL",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_connection_duration_seconds_count{socket="PULL",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_socket_handshake_failures_total ZMTP handshakes that failed, by reason (protocol error, ZAP status, or closed_before_handshake).
            # TYPE zmq_socket_handshake_failures_total counter
            zmq_socket_handshake_failures_total{socket="new\nline",reason="closed_before_handshake",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_handshake_failures_total{socket="new\nline",reason="other",process="quote\"back\\slash",pid="17"} 2
            zmq_socket_handshake_failures_total{socket="new\nline",reason="zmtp_cryptographic",process="quote\"back\\slash",pid="17"} 3
            # HELP zmq_socket_messages_received_total Messages received; a multipart message counts once.
            # TYPE zmq_socket_messages_received_total counter
            zmq_socket_messages_received_total{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_messages_received_total{socket="new\nline",process="quote\"back\\slash",pid="17"} 2
            zmq_socket_messages_received_total{socket="PULL",process="quote\"back\\slash",pid="17"} 10
            # HELP zmq_socket_messages_sent_total Messages sent; a multipart message counts once.
            # TYPE zmq_socket_messages_sent_total counter
            zmq_socket_messages_sent_total{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_messages_sent_total{socket="new\nline",process="quote\"back\\slash",pid="17"} 9223372036854775807
            zmq_socket_messages_sent_total{socket="PULL",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_socket_received_bytes_total Bytes received, all frames of each message.
            # TYPE zmq_socket_received_bytes_total counter
            zmq_socket_received_bytes_total{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_received_bytes_total{socket="new\nline",process="quote\"back\\slash",pid="17"} 128
            zmq_socket_received_bytes_total{socket="PULL",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_socket_sent_bytes_total Bytes sent, all frames of each message.
            # TYPE zmq_socket_sent_bytes_total counter
            zmq_socket_sent_bytes_total{socket="_other",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_sent_bytes_total{socket="new\nline",process="quote\"back\\slash",pid="17"} 6400
            zmq_socket_sent_bytes_total{socket="PULL",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_socket_send_failures_total Sends that failed or had to wait, by reason (would_block at the high-water mark, unroutable, error).
            # TYPE zmq_socket_send_failures_total counter
            zmq_socket_send_failures_total{socket="_other",reason="would_block",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_send_failures_total{socket="_other",reason="unroutable",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_send_failures_total{socket="_other",reason="error",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_send_failures_total{socket="new\nline",reason="would_block",process="quote\"back\\slash",pid="17"} 3
            zmq_socket_send_failures_total{socket="new\nline",reason="unroutable",process="quote\"back\\slash",pid="17"} 1
            zmq_socket_send_failures_total{socket="new\nline",reason="error",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_send_failures_total{socket="PULL",reason="would_block",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_send_failures_total{socket="PULL",reason="unroutable",process="quote\"back\\slash",pid="17"} 0
            zmq_socket_send_failures_total{socket="PULL",reason="error",process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_app_process_up A process seen through the preload library: 1 while it runs, 0 for an exited one kept for its grace period.
            # TYPE zmq_app_process_up gauge
            zmq_app_process_up{process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_app_monitor_events_dropped_total Monitor events the preload library dropped in a process rather than stall libzmq (its reader fell behind).
            # TYPE zmq_app_monitor_events_dropped_total counter
            zmq_app_monitor_events_dropped_total{process="quote\"back\\slash",pid="17"} 7
            # HELP zmq_app_sockets_unmonitored Sockets of a process counted without a monitor (past its descriptor budget, or the application installed its own monitor).
            # TYPE zmq_app_sockets_unmonitored gauge
            zmq_app_sockets_unmonitored{process="quote\"back\\slash",pid="17"} 0
            # HELP zmq_exporter_preload_files Stats files in --preload.dir at the last scrape, by state (live, exited, invalid, refused, over_limit).
            # TYPE zmq_exporter_preload_files gauge
            zmq_exporter_preload_files{state="exited"} 1
            zmq_exporter_preload_files{state="invalid"} 0
            zmq_exporter_preload_files{state="live"} 0
            zmq_exporter_preload_files{state="over_limit"} 0
            zmq_exporter_preload_files{state="refused"} 0

            """#
}
