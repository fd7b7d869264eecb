import Testing
import ZeroMQ

// Failures come back as ZMQError values naming the libzmq function: never a crash or a hang.
@Suite struct ErrorTests {
    @Test func receiveTimeoutThrowsWouldBlock() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        defer { pull.close() }
        try pull.bind("tcp://127.0.0.1:*")
        try pull.setReceiveTimeout(30)

        let error = #expect(throws: ZMQError.self) { _ = try pull.receive() }
        #expect(error?.kind == .wouldBlock)
        #expect(error?.errno == Errno.wouldBlock)
        #expect(error?.function == "zmq_msg_recv")
        // The socket is still usable after a timeout.
        #expect(!pull.isClosed)
        #expect(try pull.lastEndpoint.hasPrefix("tcp://127.0.0.1:"))
    }

    @Test func nonBlockingReceiveAndMonitorReadOnEmptyQueueThrowWouldBlock() throws {
        let context = try Context()
        let (pull, monitor, _) = try monitored(context, .pull)
        defer { monitor.stop(); pull.close() }

        let error = #expect(throws: ZMQError.self) { _ = try pull.receive(flags: .dontWait) }
        #expect(error?.kind == .wouldBlock)
        let monitorError = #expect(throws: ZMQError.self) { _ = try monitor.receive(flags: .dontWait) }
        #expect(monitorError?.kind == .wouldBlock)
        #expect(try monitor.receive(timeoutMilliseconds: 0) == nil)
        #expect(monitor.drain().isEmpty)
    }

    @Test func everyOperationOnAClosedSocketThrowsENOTSOCK() throws {
        let context = try Context()
        let socket = try makeSocket(context, .dealer)
        try socket.bind("tcp://127.0.0.1:*")
        socket.close()
        #expect(socket.isClosed)
        socket.close() // twice is safe

        let operations: [(String, () throws -> Void)] = [
            ("bind", { try socket.bind("tcp://127.0.0.1:*") }),
            ("connect", { try socket.connect("tcp://127.0.0.1:1") }),
            ("unbind", { try socket.unbind("tcp://127.0.0.1:1") }),
            ("disconnect", { try socket.disconnect("tcp://127.0.0.1:1") }),
            ("send", { try socket.send("x") }),
            ("receive", { _ = try socket.receive(flags: .dontWait) }),
            ("setLinger", { try socket.setLinger(0) }),
            ("lastEndpoint", { _ = try socket.lastEndpoint }),
            ("events", { _ = try socket.events }),
            ("monitor", { _ = try SocketMonitor(socket: socket) }),
        ]
        for (name, operation) in operations {
            do {
                try operation()
                Issue.record("\(name) on a closed socket did not throw")
            } catch let error as ZMQError {
                #expect(error.errno == Errno.notSocket, "\(name): \(error)")
                #expect(error.kind == .failed)
            }
        }
    }

    @Test(arguments: ["not-an-endpoint", "tcp://", "tcp://127.0.0.1:notaport", "carrier-pigeon://x"])
    func bindToMalformedEndpointThrowsFailedNamingZmqBind(_ endpoint: String) throws {
        let context = try Context()
        let socket = try makeSocket(context, .pub)
        defer { socket.close() }

        let error = #expect(throws: ZMQError.self) { try socket.bind(endpoint) }
        #expect(error?.kind == .failed)
        #expect(error?.function == "zmq_bind")
        #expect(error?.description.contains("zmq_bind") == true)
        #expect(error?.message.isEmpty == false)
    }

    @Test func shutdownContextMakesBlockingCallsThrowTerminated() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        defer { pull.close() }
        context.shutdown()
        let error = #expect(throws: ZMQError.self) { _ = try pull.receive() }
        #expect(error?.kind == .terminated)
    }

    @Test func errnoMapsToKindAndDescriptionNamesFunction() {
        #expect(ZMQError(function: "f", errno: Errno.wouldBlock).kind == .wouldBlock)
        #expect(ZMQError(function: "f", errno: 4).kind == .interrupted)
        #expect(ZMQError(function: "f", errno: Errno.terminated).kind == .terminated)
        let invalid = ZMQError(function: "zmq_bind", errno: Errno.invalid)
        #expect(invalid.kind == .failed)
        #expect(invalid.description == "zmq_bind: Invalid argument (errno 22)")
        #expect(invalid == ZMQError(function: "zmq_bind", errno: Errno.invalid))
        #expect(invalid != ZMQError(function: "zmq_connect", errno: Errno.invalid))
    }

    @Test func optionsReadBackWhatWasSet() throws {
        let context = try Context()
        let socket = try makeSocket(context, .dealer)
        defer { socket.close() }
        #expect(try socket.linger == 0)
        try socket.setSendHighWaterMark(17)
        try socket.setReceiveHighWaterMark(23)
        #expect(try socket.sendHighWaterMark == 17)
        #expect(try socket.receiveHighWaterMark == 23)
        try socket.setRoutingID([1, 2, 3])
        #expect(try socket.routingID == [1, 2, 3])
        #expect(try socket.lastEndpoint == "")
        #expect(try socket.fileDescriptor > 0)
        // An option libzmq rejects names itself in the error.
        let error = #expect(throws: ZMQError.self) { try socket.setRoutingID([]) }
        #expect(error?.function == "zmq_setsockopt(ZMQ_ROUTING_ID)")
    }

    @Test func socketTypeNamesParseInAnyCase() {
        #expect(SocketType(name: "sub") == .sub)
        #expect(SocketType(name: "Router") == .router)
        #expect(SocketType(name: "XPUB") == .xpub)
        #expect(SocketType(name: "socket") == nil)
        #expect(SocketType.allCases.count == 12)
    }
}
