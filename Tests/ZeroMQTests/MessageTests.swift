import Testing
import ZeroMQ

// Frames of every awkward size cross real transports with every byte intact.
@Suite struct MessageTests {
    /// The frame sizes of the issue: empty, one byte, 64 KiB and 16 MiB.
    static let frameSizes = [0, 1, 64 * 1024, 16 * 1024 * 1024]

    enum Transport: String, CaseIterable, Sendable { case tcp, inproc }

    /// A connected PUSH -> PULL pair over `transport`; the PULL side gives up after 10 s.
    func pipe(_ context: Context, _ transport: Transport, name: String) throws -> (push: Socket, pull: Socket) {
        let pull = try makeSocket(context, .pull)
        try pull.setReceiveTimeout(10_000)
        switch transport {
        case .tcp: try pull.bind("tcp://127.0.0.1:*")
        case .inproc: try pull.bind("inproc://zmqtests.\(name)")
        }
        let push = try makeSocket(context, .push)
        try push.setSendTimeout(10_000)
        try push.connect(try pull.lastEndpoint)
        return (push, pull)
    }

    @Test(arguments: Transport.allCases)
    func multipartRoundTripKeepsEveryByteOfEveryFrameSize(_ transport: Transport) throws {
        let context = try Context()
        let (push, pull) = try pipe(context, transport, name: "multipart")
        defer { push.close(); pull.close() }

        let frames = Self.frameSizes.enumerated().map { index, size in
            patternBytes(size, seed: UInt32(index + 1))
        }
        try push.send(multipart: frames)
        let received = try pull.receiveMultipart()

        #expect(received.map(\.count) == Self.frameSizes)
        #expect(received.map(\.hasMore) == [true, true, true, false])
        for (got, sent) in zip(received, frames) {
            // One #expect per frame, not per byte: a mismatch reports the frame size only.
            #expect(holds(got, sent), "frame of \(sent.count) bytes differs")
        }
    }

    @Test(arguments: Transport.allCases)
    func eachSizeAloneRoundTripsAsSingleFrame(_ transport: Transport) throws {
        let context = try Context()
        let (push, pull) = try pipe(context, transport, name: "single")
        defer { push.close(); pull.close() }

        for size in Self.frameSizes {
            let sent = patternBytes(size, seed: UInt32(size))
            try push.send(sent)
            let got = try pull.receive()
            #expect(got.count == size)
            #expect(!got.hasMore)
            #expect(try !pull.receiveMore)
            #expect(holds(got, sent), "frame of \(size) bytes differs")
        }
    }

    @Test func forwardingAReceivedMessageMovesItAndEmptiesIt() throws {
        let context = try Context()
        let (push, middle) = try pipe(context, .inproc, name: "forward-in")
        let (relay, sink) = try pipe(context, .inproc, name: "forward-out")
        defer { push.close(); middle.close(); relay.close(); sink.close() }

        let payload = patternBytes(64 * 1024)
        try push.send(payload)
        let message = Message()
        #expect(try middle.receive(into: message) == payload.count)
        try relay.send(message)
        #expect(message.count == 0)
        #expect(holds(try sink.receive(), payload))

        // The emptied message can receive again.
        try push.send("again")
        try middle.receive(into: message)
        #expect(message.string == "again")
        message.reset()
        #expect(message.count == 0)
    }

    @Test func patternDoesNotRepeatAcrossBlocks() {
        let bytes = patternBytes(3 * 64 * 1024 + 5)
        #expect(bytes.count == 3 * 64 * 1024 + 5)
        let blocks = stride(from: 0, to: 3 * 64 * 1024, by: 64 * 1024).map { bytes[$0..<$0 + 64 * 1024] }
        #expect(Set(blocks.map { Array($0) }).count == 3)
        #expect(!holds(Message(bytes), patternBytes(bytes.count, seed: 1)))
        #expect(holds(Message(bytes), bytes))
    }

    @Test func messageInitialisersHoldTheirBytes() {
        #expect(Message().count == 0)
        #expect(Message().bytes == [])
        #expect(Message([]).count == 0)
        #expect(Message([0, 255, 7]).bytes == [0, 255, 7])
        let text = Message(string: "héllo")
        #expect(text.count == 6)
        #expect(text.string == "héllo")
        #expect(text.withUnsafeBytes { $0.first } == UInt8(ascii: "h"))
        #expect(!text.hasMore)
    }

    @Test func stringAndMessageSendVariantsAgree() throws {
        let context = try Context()
        let (push, pull) = try pipe(context, .tcp, name: "variants")
        defer { push.close(); pull.close() }

        try push.send(multipart: [Message(string: "a"), Message([]), Message([1, 2])])
        #expect(try pull.receiveMultipart().map(\.bytes) == [[UInt8(ascii: "a")], [], [1, 2]])
        try push.send("one", flags: .sendMore)
        try push.send([UInt8(2)])
        #expect(try pull.receiveMultipart().map(\.bytes) == [Array("one".utf8), [2]])
    }
}
