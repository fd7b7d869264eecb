import Glibc
import Testing
import ZeroMQ

@Suite struct PollerTests {
    @Test func pollReportsReadableOnlyWhenAFrameIsQueued() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        defer { push.close(); pull.close() }
        try pull.bind("inproc://zmqtests.poller")
        try push.connect("inproc://zmqtests.poller")

        var poller = Poller()
        let index = poller.add(pull)
        #expect(poller.count == 1)
        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
        #expect(!poller.isReadable(index))

        try push.send("x")
        #expect(try poller.poll(timeoutMilliseconds: 10_000) == 1)
        #expect(poller.isReadable(index))
        #expect(try pull.events.contains(.readable))
        #expect(try pull.receive().string == "x")
        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
    }

    @Test func pollWatchesPlainFileDescriptors() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }

        var poller = Poller()
        let index = poller.add(fileDescriptor: fds[0])
        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(try poller.poll(timeoutMilliseconds: 10_000) == 1)
        #expect(poller.isReadable(index))
    }

    // A socket closed after it was registered must not reach zmq_poll as a stale handle, and
    // one closed before must not be silently skipped: both throw ENOTSOCK.
    @Test func pollingAClosedSocketThrowsInsteadOfWaiting() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        var poller = Poller()
        poller.add(pull)
        pull.close()
        let error = #expect(throws: ZMQError.self) { try poller.poll(timeoutMilliseconds: 0) }
        #expect(error?.errno == Errno.notSocket)
        #expect(error?.function == "zmq_poll")

        var late = Poller()
        late.add(pull)
        let lateError = #expect(throws: ZMQError.self) { try late.poll(timeoutMilliseconds: 10_000) }
        #expect(lateError?.errno == Errno.notSocket)
    }
}
