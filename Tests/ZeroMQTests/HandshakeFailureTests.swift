import Posix
import Synchronization
import Testing
import ZeroMQ

// The two security failures the agent reports: a CURVE key mismatch (a ZMTP protocol error) and
// a ZAP handler saying no (an authentication status code).
@Suite struct HandshakeFailureTests {
    @Test(.enabled(if: ZMQ.has("curve"), "libzmq was built without CURVE (ZMQ.has(\"curve\") is false)"))
    func curveClientWithWrongServerKeyFailsWithCryptographicError() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let otherKeys = try CurveKeyPair.generate()
        #expect(serverKeys.publicKey.count == 32 && serverKeys.secretKey.count == 32)
        #expect(serverKeys.publicKey != otherKeys.publicKey)

        let (server, monitor, events) = try monitored(context, .pull)
        defer { monitor.stop(); server.close() }
        try server.setCurveServer(secretKey: serverKeys.secretKey)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint

        let client = try makeSocket(context, .push)
        defer { client.close() }
        try client.setCurveClient(
            serverKey: otherKeys.publicKey, publicKey: clientKeys.publicKey, secretKey: clientKeys.secretKey)
        try client.connect(endpoint)

        let accepted = try events.next(.accepted)
        #expect((accepted.fileDescriptor ?? -1) > 0)
        let failed = try events.next(.handshakeFailedProtocol)
        #expect(failed.detail == .protocolError(.zmtpCryptographic))
        #expect(failed.value == 0x1100_0001)
        #expect(failed.endpoint == endpoint)
        #expect(!events.seen.contains { $0.kind == .handshakeSucceeded })
    }

    // Control for the test above: the same set-up with the right key completes the handshake,
    // so the failure there comes from the key and nothing else.
    @Test(.enabled(if: ZMQ.has("curve"), "libzmq was built without CURVE (ZMQ.has(\"curve\") is false)"))
    func curveClientWithRightServerKeySucceeds() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()

        let (server, monitor, events) = try monitored(context, .pull)
        defer { monitor.stop(); server.close() }
        try server.setCurveServer(secretKey: serverKeys.secretKey)
        try server.bind("tcp://127.0.0.1:*")

        let client = try makeSocket(context, .push)
        defer { client.close() }
        try client.setCurveClient(
            serverKey: serverKeys.publicKey, publicKey: clientKeys.publicKey, secretKey: clientKeys.secretKey)
        try client.connect(try server.lastEndpoint)

        try events.next(.handshakeSucceeded)
        try server.setReceiveTimeout(10_000)
        try client.send("secret")
        #expect(try server.receive().string == "secret")
    }

    @Test func zapHandlerDenyingNullPeerGivesHandshakeFailedAuth400() throws {
        let context = try Context()
        // ZAP 1.0 (RFC 27): the handler is a REP socket on this fixed inproc name, in the
        // server's context. It must be bound before the peer's handshake asks it.
        let handlerSocket = try makeSocket(context, .rep)
        try handlerSocket.bind("inproc://zeromq.zap.01")
        let requests = RequestLog()
        let handler = HelperThread { shouldStop in
            defer { handlerSocket.close() }
            var poller = Poller()
            poller.add(handlerSocket)
            while !shouldStop() {
                guard (try? poller.poll(timeoutMilliseconds: 20)) ?? 0 > 0,
                      let request = try? handlerSocket.receiveMultipart(flags: .dontWait)
                else { continue }
                let frames = request.map(\.bytes)
                requests.append(frames.map { String(decoding: $0, as: UTF8.self) })
                // version, request id, domain, address, identity, mechanism, credentials...
                let requestID = frames.count > 1 ? frames[1] : []
                try? handlerSocket.send(multipart: [
                    Array("1.0".utf8), requestID, Array("400".utf8), Array("denied by test".utf8), [], [],
                ])
            }
        }
        var handlerStopped = false
        defer { if !handlerStopped { _ = handler.stop() } }

        let (server, monitor, events) = try monitored(context, .pull)
        defer { monitor.stop(); server.close() }
        try server.setZAPDomain("zmqtests")
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint

        let client = try makeSocket(context, .push)
        defer { client.close() }
        try client.connect(endpoint)

        let accepted = try events.next(.accepted)
        #expect((accepted.fileDescriptor ?? -1) > 0)
        let denied = try events.next(.handshakeFailedAuth)
        #expect(denied.detail == .zapStatus(400))
        #expect(denied.value == 400)
        #expect(denied.endpoint == endpoint)
        #expect(!events.seen.contains { $0.kind == .handshakeSucceeded })

        handlerStopped = true
        #expect(handler.stop(), "the ZAP handler thread did not finish")
        let first = try #require(requests.all.first)
        #expect(first.count >= 6)
        #expect(first.first == "1.0")
        #expect(first.count > 5 && first[2] == "zmqtests" && first[5] == "NULL")
    }
}

/// ZAP requests the handler thread saw, read by the test thread.
final class RequestLog: Sendable {
    private let requests = Locked<[[String]]>([])
    func append(_ frames: [String]) { requests.withLock { $0.append(frames) } }
    var all: [[String]] { requests.withLock { $0 } }
}
