import Foundation
import Testing
@testable import ZMQExporter
import ZeroMQ

/// `zmq_socket_up`, `zmq_socket_setup_errors_total` and the readiness lines: a socket whose bind
/// or connect fails shows up 0 with the reason, keeps retrying, and comes up on its own.
@Suite struct SocketUpTests {
    @Test func aTakenPortShowsDownWithItsReasonAndComesUpWhenFreed() async throws {
        let peers = try Peers()
        defer { peers.close() }
        let holder = try peers.socket(.pull)
        try holder.bind("tcp://127.0.0.1:*")
        let taken = try holder.lastEndpoint
        let agent = try await startAgent("""
        sockets:
          - name: taken
            role: tap
            type: PULL
            bind: ["\(taken)"]
          - name: fine
            role: tap
            type: PULL
            bind: ["tcp://127.0.0.1:*"]
        """)
        defer { agent.stop() }
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_socket_up", ["socket": "taken"]) == 0)
        #expect(scrape.value("zmq_socket_up", ["socket": "fine"]) == 1)
        #expect((scrape.value("zmq_socket_setup_errors_total", ["socket": "taken", "reason": "address_in_use"]) ?? 0) >= 1)
        #expect(agent.readinessProblems == ["taken: bind \(taken): Address already in use"])

        holder.close()
        // Retries come 1 s apart, then 2, 4, 8 and 16 s: under a loaded test run the one after
        // the port is free may be the 16-second one.
        try await agent.expectValues([Expectation("zmq_socket_up", ["socket": "taken"], 1)], within: .seconds(45))
        #expect(agent.readinessProblems.isEmpty)
        #expect(try agent.endpoint("taken") == taken)
        // Bound for real now: a peer's message arrives.
        let push = try peers.socket(.push)
        try push.connect(taken)
        try push.send("after the port was freed")
        try await agent.expectValues([Expectation("zmq_socket_messages_received_total", ["socket": "taken"], 1)])
    }

    @Test func anUnresolvableHostSaysWhatTheResolverSays() async throws {
        let agent = try await startAgent("""
        sockets:
          - name: nowhere
            role: tap
            type: SUB
            connect: ["tcp://no-such-host.invalid:5555"]
        """)
        defer { agent.stop() }
        #expect(agent.scrape().value("zmq_socket_up", ["socket": "nowhere"]) == 0)
        #expect((agent.scrape().value("zmq_socket_setup_errors_total", ["socket": "nowhere", "reason": "unresolvable_host"]) ?? 0) >= 1)
        let problems = agent.readinessProblems
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("nowhere: connect tcp://no-such-host.invalid:5555: cannot resolve 'no-such-host.invalid': ") == true, "\(problems)")
        #expect(problems.first?.contains("errno") == false)
    }

    @Test func aMissingIpcDirectoryIsNoSuchDirectory() async throws {
        let directory = NSTemporaryDirectory() + "zmq-exporter-missing-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let agent = try await startAgent("""
        sockets:
          - name: ipc
            role: tap
            type: PULL
            bind: ["ipc://\(directory)/bound.sock"]
        """)
        defer { agent.stop() }
        #expect(agent.scrape().value("zmq_socket_up", ["socket": "ipc"]) == 0)
        #expect((agent.scrape().value("zmq_socket_setup_errors_total", ["socket": "ipc", "reason": "no_such_directory"]) ?? 0) >= 1)
        #expect(agent.readinessProblems.first?.hasPrefix("ipc: bind ipc://\(directory)/bound.sock: No such file or directory") == true)
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func bothProxySidesOnOnePortLeaveOneSideDown() async throws {
        // A port that was free a moment ago (the config checker refuses the clash; Agent.apply
        // is given it anyway, as a config built in code could be).
        let peers = try Peers()
        let probe = try peers.socket(.pull)
        try probe.bind("tcp://127.0.0.1:*")
        let endpoint = try probe.lastEndpoint
        peers.close()
        let config = ExporterConfig(sockets: [
            SocketConfig(name: "both", role: .proxy(ProxyConfig(
                frontend: { var e = EndpointConfig(type: .pull); e.bind = [endpoint]; return e }(),
                backend: { var e = EndpointConfig(type: .push); e.bind = [endpoint]; return e }())),
                buckets: SocketConfig.defaultBuckets),
        ])
        let agent = try Agent(configPath: nil, logger: .init(label: "test"), context: try Context())
        agent.start(config)
        defer { agent.stop() }
        try await waitUntil("the proxy to be set up") { agent.isReady }
        // The backend binds second and finds the port taken by the frontend, unless the test's
        // own socket still held it (libzmq closes listeners asynchronously): then the frontend
        // failed and the backend took the port, or both failed and the first retry takes it.
        // Either way, once settled, exactly one side is down.
        var up: [Double?] = []
        try await waitUntil("exactly one side of the proxy up") {
            up = ["both.frontend", "both.backend"].map { agent.scrape().value("zmq_socket_up", ["socket": $0]) }
            return up.sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 1]
        }
        let down = up[0] == 0 ? "both.frontend" : "both.backend"
        #expect(agent.readinessProblems == ["\(down): bind \(endpoint): Address already in use"])
    }
}
