import Glibc
import Posix
import Testing
@testable import ZMQExporter

/// A stats file built by hand, field by field at the offsets of docs/zero-code.md.
struct SampleStatsFile {
    static let slots = 4
    var bytes = [UInt8](repeating: 0, count: 4096 + slots * 1024)

    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value) { raw in
            for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
        }
    }

    mutating func put(_ text: String, at offset: Int) {
        for (index, byte) in text.utf8.enumerated() { bytes[offset + index] = byte }
    }

    static func slot(_ index: Int) -> Int { 4096 + index * 1024 }

    /// A process with the aggregate slot, a live PUSH named "tasks" and a closed PULL.
    static var good: SampleStatsFile {
        var f = SampleStatsFile()
        f.put("ZMQXSTAT", at: 0)
        f.put(UInt32(1), at: 8)
        f.put(UInt32(4096), at: 12)
        f.put(UInt32(1024), at: 16)
        f.put(UInt32(slots), at: 20)
        f.put(Int32(4242), at: 24)
        f.put(UInt64(987_654), at: 32)
        f.put("0f3c1f8e-6a43-4a5e-9d53-3f0c3e3b7c11", at: 40)
        f.put(UInt32(6), at: 80)
        f.put("worker", at: 84)
        f.put(Int32(4), at: 208)
        f.put(Int32(3), at: 212)
        f.put(Int32(5), at: 216)
        f.put(UInt32(11), at: 220)
        for (index, bound) in [0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400].enumerated() {
            f.put(bound.bitPattern, at: 224 + 8 * index)
        }
        f.put(UInt64(7), at: 312)  // dropped events
        f.put(Int64(-1), at: 344)  // max sockets never set
        f.put(Int64(3069), at: 352)
        f.put(UInt64(2), at: 360)
        f.put(UInt64(1), at: 368)
        // Slot 0: the aggregate.
        f.put(UInt32(3), at: slot(0))
        f.put(Int32(-1), at: slot(0) + 12)
        f.put(UInt32(6), at: slot(0) + 20)
        f.put(UInt32(8), at: slot(0) + 28)
        f.put("_other", at: slot(0) + 480)
        // Slot 1: live PUSH "tasks", bound.
        let s = slot(1)
        f.put(UInt32(1), at: s)
        f.put(UInt32(2), at: s + 4)
        f.put(UInt32(4), at: s + 8)
        f.put(Int32(8), at: s + 12)
        f.put(UInt32(1 | 4), at: s + 16)
        f.put(UInt32(5), at: s + 20)
        let endpoints = "bind tcp://127.0.0.1:5557\nconnect ipc:///tmp/x\n"
        f.put(UInt32(endpoints.utf8.count), at: s + 24)
        f.put(UInt32(8), at: s + 28)
        for (index, value) in [100, 2, 6400, 128, 3, 1, 0].enumerated() { f.put(UInt64(value), at: s + 32 + 8 * index) }
        f.put(Int64(2), at: s + 88)
        f.put(UInt64(1), at: s + 96)
        f.put(UInt64(5), at: s + 112 + 8 * 5)   // accepted
        f.put(UInt64(4), at: s + 112 + 8 * 12)  // handshake_succeeded
        f.put(UInt64(1), at: s + 240 + 8 * 2)   // one lifetime in (0.01, 0.1]
        f.put(UInt64(50_000_000), at: s + 336)
        f.put(UInt64(1), at: s + 344)
        f.put(UInt32(0x2000), at: s + 352)
        f.put(UInt32(0x1100_0001), at: s + 356)
        f.put(UInt64(3), at: s + 360)
        f.put("tasks", at: s + 480)
        f.put(endpoints, at: s + 576)
        // Slot 2: closed PULL without a name. Slot 3: free.
        f.put(UInt32(2), at: slot(2))
        f.put(Int32(7), at: slot(2) + 12)
        f.put(UInt32(8), at: slot(2) + 28)
        f.put(UInt64(9), at: slot(2) + 40)
        return f
    }
}

@Suite struct PreloadFileTests {
    @Test func goodFileDecodesEveryField() throws {
        let process = try PreloadFile.parse(SampleStatsFile.good.bytes)
        #expect(process.pid == 4242)
        #expect(process.startTime == 987_654)
        #expect(process.bootID == "0f3c1f8e-6a43-4a5e-9d53-3f0c3e3b7c11")
        #expect(process.name == "worker")
        #expect(process.libzmqVersion == "4.3.5")
        #expect(process.bucketBounds == [0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400])
        #expect(process.droppedEvents == 7)
        #expect(process.maxSocketsRequested == nil)
        #expect(process.maxSocketsEffective == 3069)
        #expect(process.socketsCreated == 2 && process.socketsClosed == 1)
        #expect(process.sockets.map(\.slot) == [0, 1, 2])
        #expect(process.sockets[0].isOverflow && process.sockets[0].name == "_other" && process.sockets[0].type == -1)
        let tasks = process.sockets[1]
        #expect(tasks.state == .live && tasks.type == 8 && tasks.name == "tasks" && tasks.generation == 2)
        #expect(tasks.monitored && tasks.named && !tasks.monitorLost && !tasks.unmonitored && !tasks.endpointsTruncated)
        #expect(tasks.endpoints == [.init(mode: .bind, address: "tcp://127.0.0.1:5557"), .init(mode: .connect, address: "ipc:///tmp/x")])
        #expect(tasks.messagesSent == 100 && tasks.messagesReceived == 2 && tasks.bytesSent == 6400 && tasks.bytesReceived == 128)
        #expect(tasks.sendWouldBlock == 3 && tasks.sendUnroutable == 1 && tasks.sendError == 0)
        #expect(tasks.connections == 2 && tasks.closedBeforeHandshake == 1)
        #expect(tasks.events.count == 16 && tasks.events[5] == 5 && tasks.events[12] == 4)
        #expect(tasks.lifetimeBuckets.count == 12 && tasks.lifetimeBuckets[2] == 1)
        #expect(tasks.lifetimeSumSeconds == 0.05 && tasks.lifetimeCount == 1)
        #expect(tasks.handshakeFailures == [.init(event: 0x2000, value: 0x1100_0001, count: 3)])
        #expect(process.sockets[2].state == .closed && process.sockets[2].messagesReceived == 9)
    }

    @Test func everyTruncationIsAnErrorNeverACrash() {
        let good = SampleStatsFile.good.bytes
        for length in 0..<good.count {
            #expect(throws: PreloadFileError.self) { try PreloadFile.parse(Array(good[0..<length])) }
        }
        #expect(throws: PreloadFileError.empty) { try PreloadFile.parse([]) }
        #expect(throws: PreloadFileError.truncated(expected: 4096 + 4 * 1024, actual: 5000)) {
            try PreloadFile.parse(Array(good[0..<5000]))
        }
    }

    /// One field overwritten, and the error it must give.
    struct Corruption: Sendable, CustomStringConvertible {
        let description: String
        let offset: Int
        let bytes: [UInt8]
        let expected: PreloadFileError

        init(_ what: String, at offset: Int, _ bytes: [UInt8], _ expected: PreloadFileError) {
            (description, self.offset, self.bytes, self.expected) = (what, offset, bytes, expected)
        }
    }

    static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    static func le64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    static let slot1 = 4096 + 1024

    static let corruptions: [Corruption] = [
        Corruption("unfinished", at: 0, le64(0), .notFinished),
        Corruption("magic", at: 0, Array("ZMQXSTAU".utf8), .badMagic),
        Corruption("version", at: 8, le32(2), .unsupportedVersion(2)),
        Corruption("header size", at: 12, le32(100), .badHeader("header size 100")),
        Corruption("slot size", at: 16, le32(512), .badHeader("slot size 512")),
        Corruption("no slots", at: 20, le32(0), .badHeader("slot count 0")),
        Corruption("huge slot count", at: 20, le32(.max), .badHeader("slot count 4294967295")),
        Corruption("more slots than bytes", at: 20, le32(5), .truncated(expected: 4096 + 5 * 1024, actual: 4096 + 4 * 1024)),
        Corruption("bucket count", at: 220, le32(12), .badHeader("bucket count")),
        Corruption("bounds order", at: 232, le64((0.5).bitPattern), .badHeader("bucket bounds not increasing")),
        Corruption("bound not a number", at: 224, le64(Double.nan.bitPattern), .badHeader("bucket bounds not increasing")),
        Corruption("name length", at: 80, le32(124), .badHeader("process name length 124")),
        Corruption("name UTF-8", at: 84, [0xFF], .badHeader("process name is not UTF-8")),
        Corruption("slot state", at: slot1, le32(9), .badSlot(1, "state 9")),
        Corruption("aggregate elsewhere", at: slot1 + 1024, le32(3), .badSlot(2, "state 3")),
        Corruption("odd sequence", at: slot1 + 8, le32(5), .slotBeingWritten(1)),
        Corruption("slot name length", at: slot1 + 20, le32(96), .badHeader("slot 1 name length 96")),
        Corruption("endpoints length", at: slot1 + 24, le32(.max), .badHeader("slot 1 endpoints length 4294967295")),
        Corruption("endpoint mode", at: slot1 + 576, Array("bond".utf8), .badSlot(1, "endpoint line")),
        Corruption("handshake entries", at: slot1 + 28, le32(9), .badSlot(1, "handshake entries 9")),
    ]

    @Test(arguments: corruptions)
    func badFieldIsRefusedWithItsReason(_ corruption: Corruption) {
        var file = SampleStatsFile.good
        for (index, byte) in corruption.bytes.enumerated() { file.bytes[corruption.offset + index] = byte }
        #expect(throws: corruption.expected) { try PreloadFile.parse(file.bytes) }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let good = SampleStatsFile.good.bytes
        for round in 0..<600 { // the libFuzzer target (Fuzz/PreloadFile) goes much further
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...9000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                // A valid header with random bytes flipped anywhere.
                bytes = good
                for _ in 0..<Int.random(in: 1...16, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            _ = try? PreloadFile.parse(bytes)
            _ = PreloadFile.sequences(bytes)
        }
    }
}

@Suite struct PreloadDirectoryTests {
    /// Descriptors of this process open on files under `path`. Other tests run in parallel
    /// and open and close descriptors of their own, so only the ones into the test's own
    /// directory say whether the scan leaked.
    static func openDescriptors(under path: String) -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var target = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            guard length > 0 else { continue }
            if String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self).hasPrefix(path) { count += 1 }
        }
        return count
    }

    func makeDirectory() -> String {
        var template = Array("/tmp/preload-scan-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: made!)
    }

    func write(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    @Test func scanReadsGoodFilesReportsBadOnesAndLeaksNoDescriptor() throws {
        let dir = makeDirectory()
        let names = ["a.zmqstats", "b.zmqstats", "c.zmqstats.tmp", "d.zmqstats", "e.txt"]
        defer {
            for name in names { unlink(dir + "/" + name) }
            rmdir(dir)
        }
        write(SampleStatsFile.good.bytes, to: dir + "/a.zmqstats")
        write([], to: dir + "/b.zmqstats")
        write(SampleStatsFile.good.bytes, to: dir + "/c.zmqstats.tmp")
        symlink(dir + "/a.zmqstats", dir + "/d.zmqstats")
        write(Array("hello".utf8), to: dir + "/e.txt")
        let before = Self.openDescriptors(under: dir)
        #expect(before == 0)
        let entries = try PreloadDirectory(path: dir).scan()
        #expect(Self.openDescriptors(under: dir) == 0)
        #expect(entries.map(\.fileName) == ["a.zmqstats", "b.zmqstats", "d.zmqstats"])
        #expect(try entries[0].result.get().pid == 4242)
        #expect(entries[0].writerAlive == false)
        #expect(entries[1].result == .failure(.invalid(.empty)))
        #expect(entries[2].result == .failure(.cannotOpen(errno: ELOOP)))

        // A writer holding LOCK_EX is alive.
        let holder = open(dir + "/a.zmqstats", O_RDONLY | O_CLOEXEC)
        #expect(flock(holder, LOCK_EX) == 0)
        #expect(try PreloadDirectory(path: dir).scan()[0].writerAlive)
        close(holder)

        // Files of other owners are refused.
        let strict = try PreloadDirectory(path: dir, allowedOwners: [54321]).scan()
        #expect(strict[0].result == .failure(.notAllowedOwner(getuid())))
        #expect(Self.openDescriptors(under: dir) == 0)
    }

    @Test func missingDirectoryThrows() {
        #expect(throws: PreloadDirectory.ScanError.cannotOpenDirectory(errno: ENOENT)) {
            try PreloadDirectory(path: "/nonexistent/zmq-exporter").scan()
        }
    }
}

/// A file the C library wrote (`zmqprog apis` under LD_PRELOAD with ZMQ_EXPORTER_SLOTS=8,
/// ZMQ_EXPORTER_PROCESS_NAME=apis-fixture and tcp://127.0.0.1:*=tasks): the Swift reader and
/// the library agree on the layout. Tests/system/test_preload_c.py checks the same counts live.
@Suite struct PreloadWrittenFileTests {
    static let path = String(#filePath).replacingLastPathComponents(2, with: "system/fixtures/preload-apis.zmqstats")

    @Test func fileWrittenByTheLibraryDecodes() throws {
        let bytes = try #require(Files.read(Self.path))
        let process = try PreloadFile.parse(bytes)
        #expect(process.name == "apis-fixture" && process.libzmqVersion == "4.3.4" && process.bootID.count == 36)
        #expect(process.socketsCreated == 2 && process.socketsClosed == 2)
        let push = try #require(process.sockets.first { $0.type == 8 })
        let pull = try #require(process.sockets.first { $0.type == 7 })
        #expect(push.name == "tasks" && push.named && push.state == .closed)
        #expect(push.endpoints.map(\.mode) == [.bind] && push.endpoints[0].address.hasPrefix("tcp://127.0.0.1:"))
        #expect(pull.name == push.endpoints[0].address && pull.endpoints.map(\.mode) == [.connect])
        #expect((push.messagesSent, push.bytesSent, push.messagesReceived) == (8, 128, 0))
        #expect((pull.messagesReceived, pull.bytesReceived, pull.messagesSent) == (8, 128, 0))
        #expect(push.events[3] == 1 && push.events[5] == 1 && push.events[12] == 1)  // listening, accepted, handshake
        #expect(pull.events[0] == 1 && pull.events[12] == 1)                        // connected, handshake
    }
}

private extension String {
    /// This path with its last `count` components replaced by `tail`.
    func replacingLastPathComponents(_ count: Int, with tail: String) -> String {
        var parts = split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(count)
        return parts.joined(separator: "/") + "/" + tail
    }
}
