import Foundation
import Logging
import Posix
import Testing
@testable import ZMQExporter
import ZeroMQ

/// A directory of key files for one test, removed at the end.
final class KeyDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A new key pair written as `NAME.key` and `NAME.key_secret` (pyzmq's names).
    @discardableResult
    func pair(_ name: String) throws -> CurveKeyPair {
        let written = try CurveKeygen.write(prefix: "\(path)/\(name).key")
        let text = try String(contentsOfFile: written.secretPath, encoding: .utf8)
        let cert = try ZCert.parse(text)
        return CurveKeyPair(publicKey: cert.publicKey!, secretKey: cert.secretKey!)
    }

    func write(_ name: String, _ text: String, mode: UInt32) throws {
        if case .failure(let problem) = Files.create("\(path)/\(name)", Array(text.utf8), mode: mode) {
            throw TimedOut(what: problem.message)
        }
    }

    /// The config file name that makes relative key paths resolve here.
    var configFile: String { "\(path)/test.yml" }
}

/// CURVE sockets against real peers: the agent's ZAP handler lets listed clients in and counts
/// every refusal under the reason the monitor gives.
@Suite(.enabled(if: ZMQ.has("curve"), "libzmq was built without CURVE"))
struct CurveTests {
    static func serverYAML(allowed: [String]) -> String {
        """
        sockets:
          - name: secure
            role: tap
            type: PULL
            bind: ["tcp://127.0.0.1:*"]
            curve:
              server: true
              secret_key_file: server.key_secret
              allowed_clients: [\(allowed.map { "\"\($0)\"" }.joined(separator: ", "))]
          - name: plain
            role: tap
            type: PULL
            bind: ["tcp://127.0.0.1:*"]
        """
    }

    /// A PUSH peer with CURVE client keys and no quick reconnect, so one refusal stays one.
    func client(_ peers: Peers, server: [UInt8], keys: CurveKeyPair?) throws -> Socket {
        let push = try peers.socket(.push)
        try push.setReconnectInterval(60_000)
        if let keys { try push.setCurveClient(serverKey: server, publicKey: keys.publicKey, secretKey: keys.secretKey) }
        return push
    }

    @Test func allowedClientKeySendsMessagesThatAreCounted() async throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let byZ85 = try keys.pair("client")
        let byFile = try keys.pair("other")
        let agent = try await startAgent(Self.serverYAML(allowed: [byZ85.publicCurveKey.z85, "other.key"]), file: keys.configFile)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        for clientKeys in [byZ85, byFile] {
            let push = try client(peers, server: server.publicKey, keys: clientKeys)
            try push.connect(try agent.endpoint("secure"))
            for _ in 0..<3 { try push.send("sealed") }
        }
        // The NULL tap in the same context is not asked about (it sets no ZAP domain).
        let plain = try client(peers, server: [], keys: nil)
        try plain.connect(try agent.endpoint("plain"))
        try plain.send("open")
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "secure"], 6),
            Expectation("zmq_socket_messages_received_total", ["socket": "plain"], 1),
            Expectation("zmq_exporter_zap_requests_total", ["status": "200"], 2),
            Expectation("zmq_exporter_zap_requests_total", ["status": "400"], 0),
            Expectation("zmq_socket_events_total", ["socket": "secure", "event": "handshake_succeeded"], 2),
        ])
    }

    @Test func unknownClientKeyIsRefusedWithZAP400() async throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let listed = try keys.pair("client")
        let stranger = try CurveKeyPair.generate()
        let agent = try await startAgent(Self.serverYAML(allowed: [listed.publicCurveKey.z85]), file: keys.configFile)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let push = try client(peers, server: server.publicKey, keys: stranger)
        try push.connect(try agent.endpoint("secure"))
        try await agent.expectValues([
            Expectation("zmq_socket_handshake_failures_total", ["socket": "secure", "reason": "zap_400"], 1),
            Expectation("zmq_exporter_zap_requests_total", ["status": "400"], 1),
            Expectation("zmq_exporter_zap_requests_total", ["status": "200"], 0),
            Expectation("zmq_socket_messages_received_total", ["socket": "secure"], 0),
        ])
    }

    @Test func clientWithWrongServerKeyFailsCryptographically() async throws {
        let keys = try KeyDirectory()
        try keys.pair("server")
        let listed = try keys.pair("client")
        let impostor = try CurveKeyPair.generate()
        let agent = try await startAgent(Self.serverYAML(allowed: [listed.publicCurveKey.z85]), file: keys.configFile)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let push = try client(peers, server: impostor.publicKey, keys: listed)
        try push.connect(try agent.endpoint("secure"))
        try await agent.expectValues([
            Expectation("zmq_socket_handshake_failures_total", ["socket": "secure", "reason": "zmtp_cryptographic"], 1),
            Expectation("zmq_exporter_zap_requests_total", ["status": "200"], 0),
        ])
    }

    @Test func nullClientAgainstCurveServerIsAMechanismMismatch() async throws {
        let keys = try KeyDirectory()
        try keys.pair("server")
        let listed = try keys.pair("client")
        let agent = try await startAgent(Self.serverYAML(allowed: [listed.publicCurveKey.z85]), file: keys.configFile)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        // Each attempt is a race: whichever end reads the other's mechanism first reports the
        // mismatch and closes. When the server wins it counts the mismatch; when the client wins
        // the server sees no_detail and the client gives up for good (a protocol error ends its
        // session). So fresh clients try, one at a time, until the server has counted one.
        let mismatch = ["socket": "secure", "reason": "zmtp_mechanism_mismatch"]
        let deadline = ContinuousClock.now + .seconds(30)
        var attempts = 0
        while (agent.scrape().value("zmq_socket_handshake_failures_total", mismatch) ?? 0) < 1 {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: "a mechanism mismatch after \(attempts) NULL clients") }
            attempts += 1
            let push = try peers.socket(.push)
            try push.connect(try agent.endpoint("secure"))
            let closed = Double(attempts)
            try await waitUntil("attempt \(attempts) to end on the server") {
                (agent.scrape().value("zmq_socket_events_total", ["socket": "secure", "event": "disconnected"]) ?? 0) >= closed
            }
            push.close()
        }
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_socket_handshake_failures_total", ["socket": "secure", "reason": "zap_400"]) == nil)
        #expect(scrape.value("zmq_exporter_zap_requests_total", ["status": "400"]) == 0)
    }

    @Test func probeIsACurveClientWithKeysFromFiles() async throws {
        // A CURVE REP echo server in the test's own context (no ZAP handler there): the
        // agent's probe is the client and must present the server's key from a zcert file.
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        try keys.pair("probe")
        let peers = try Peers()
        defer { peers.close() }
        let rep = try peers.socket(.rep)
        try rep.setCurveServer(secretKey: server.secretKey)
        try rep.bind("tcp://127.0.0.1:*")
        let endpoint = try rep.lastEndpoint
        let echo = PeerThread("echo") { shouldStop in
            var poller = Poller()
            poller.add(rep)
            while !shouldStop() {
                guard (try? poller.poll(timeoutMilliseconds: 50)) ?? 0 > 0 else { continue }
                if let frames = try? rep.receiveMultipart(flags: .dontWait) { try? rep.send(multipart: frames.map(\.bytes)) }
            }
        }
        defer { _ = echo.stop() }
        let agent = try await startAgent("""
            sockets:
              - name: ping
                role: probe
                type: REQ
                connect: ["\(endpoint)"]
                interval: 50ms
                curve: {server_key: server.key, secret_key_file: probe.key_secret}
            """, file: keys.configFile)
        defer { agent.stop() }
        try await agent.waitForValue("zmq_probe_attempts_total", ["socket": "ping", "result": "success"], atLeast: 1)
    }

    @Test func reloadSwapsTheAllowList() async throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let first = try keys.pair("first")
        let second = try keys.pair("second")
        let agent = try await startAgent(Self.serverYAML(allowed: [first.publicCurveKey.z85]), file: keys.configFile)
        defer { agent.stop() }
        agent.apply(try ConfigLoader.parse(Self.serverYAML(allowed: [second.publicCurveKey.z85]), file: keys.configFile))
        try await waitUntil("the restarted socket") { agent.isReady }
        let peers = try Peers()
        defer { peers.close() }
        let refused = try client(peers, server: server.publicKey, keys: first)
        try refused.connect(try agent.endpoint("secure"))
        try await agent.waitForValue("zmq_exporter_zap_requests_total", ["status": "400"], atLeast: 1)
        let allowed = try client(peers, server: server.publicKey, keys: second)
        try allowed.connect(try agent.endpoint("secure"))
        try allowed.send("after reload")
        try await agent.expectValues([
            Expectation("zmq_exporter_zap_requests_total", ["status": "200"], 1),
            Expectation("zmq_exporter_zap_requests_total", ["status": "400"], 1),
            Expectation("zmq_socket_messages_received_total", ["socket": "secure"], 1),
        ])
    }

    @Test func curveServerIsRefusedWithoutAZAPHandler() throws {
        let context = try Context()
        let socket = try context.socket(.pull)
        defer { socket.close() }
        let pair = try CurveKeyPair.generate()
        let curve = CurveConfig(mode: .server(allowedClients: []), publicKey: pair.publicCurveKey, secretKey: pair.secretCurveKey)
        #expect(throws: ZMQError.accessDenied("CURVE server 'lonely' without the agent's ZAP handler (refused: libzmq would accept any client key)")) {
            try MonitoredSocket.apply(curve, to: socket, domain: "lonely")
        }
    }
}

/// The ZAP answers of RFC 27, from frames alone.
@Suite struct ZAPReplyTests {
    let key = try! CurveKeyPair.generate().publicCurveKey

    func request(version: String = "1.0", domain: String = "secure", mechanism: String = "CURVE", credentials: [[UInt8]]? = nil) -> [[UInt8]] {
        [Array(version.utf8), Array("1".utf8), Array(domain.utf8), Array("127.0.0.1".utf8), [], Array(mechanism.utf8)] + (credentials ?? [key.bytes])
    }

    @Test func listedKeyIsAllowedWithItsZ85AsUserID() {
        let reply = ZAPReply.answer(request()) { domain, candidate in domain == "secure" && candidate == key }
        #expect(reply.status == .allowed)
        #expect(reply.frames == [Array("1.0".utf8), Array("1".utf8), Array("200".utf8), Array("OK".utf8), Array(key.z85.utf8), []])
    }

    @Test func unlistedKeyOrOtherDomainIsDenied() {
        #expect(ZAPReply.answer(request()) { _, _ in false }.status == .denied)
        #expect(ZAPReply.answer(request(domain: "other")) { domain, _ in domain == "secure" }.status == .denied)
    }

    @Test func otherMechanismsAreDenied() {
        #expect(ZAPReply.answer(request(mechanism: "NULL", credentials: [])) { _, _ in true }.status == .denied)
        #expect(ZAPReply.answer(request(mechanism: "PLAIN", credentials: [Array("u".utf8), Array("p".utf8)])) { _, _ in true }.status == .denied)
    }

    @Test func malformedRequestsGet500() {
        #expect(ZAPReply.answer(request(version: "2.0")) { _, _ in true }.status == .malformed)
        #expect(ZAPReply.answer(Array(request().prefix(4))) { _, _ in true }.status == .malformed)
        #expect(ZAPReply.answer(request(credentials: [[1, 2, 3]])) { _, _ in true }.status == .malformed)
        #expect(ZAPReply.answer([]) { _, _ in true }.frames[1] == [])
    }
}

extension CurveTests {
    @Test func proxyFrontendChecksClientsUnderItsSideLabel() async throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let clientKeys = try keys.pair("client")
        let agent = try await startAgent("""
            sockets:
              - name: relay
                role: proxy
                frontend:
                  type: PULL
                  bind: ["tcp://127.0.0.1:*"]
                  curve: {server: true, secret_key_file: server.key_secret, allowed_clients: [client.key]}
                backend: {type: PUSH, bind: ["tcp://127.0.0.1:*"]}
            """, file: keys.configFile)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let sink = try peers.socket(.pull)
        try sink.connect(try agent.endpoint("relay", side: 1))
        let push = try client(peers, server: server.publicKey, keys: clientKeys)
        try push.connect(try agent.endpoint("relay"))
        try push.send("through")
        #expect(try receive(sink).map(\.string) == ["through"])
        try await agent.expectValues([
            Expectation("zmq_exporter_zap_requests_total", ["status": "200"], 1),
            Expectation("zmq_socket_events_total", ["socket": "relay.frontend", "event": "handshake_succeeded"], 1),
        ])
    }

    @Test func curveServerStaysDownWhenTheZAPEndpointIsTaken() async throws {
        // Another handler already holds the endpoint in the agent's context: the agent's own
        // cannot bind, so it refuses to run the CURVE server rather than trust a stranger.
        let keys = try KeyDirectory()
        try keys.pair("server")
        let client = try keys.pair("client")
        let context = try Context()
        let foreign = try context.socket(.rep)
        try foreign.setLinger(0)
        try foreign.bind("inproc://zeromq.zap.01")
        defer { foreign.close() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let agent = try Agent(configPath: nil, logger: logger, context: context)
        defer { agent.stop() }
        agent.start(try ConfigLoader.parse(Self.serverYAML(allowed: [client.publicCurveKey.z85]), file: keys.configFile))
        try await waitUntil("the NULL tap to be ready") { (try? agent.runner("plain").isReady) == true }
        // MonitoredSocket refuses a CURVE server while no handler serves the context
        // (curveServerIsRefusedWithoutAZAPHandler); here none does.
        #expect(!ZAPHandler.isServing(context))
        #expect(try agent.runner("secure").isReady == false)
        #expect(agent.scrape().value("zmq_exporter_zap_requests_total", ["status": "400"]) == nil)
    }
}
