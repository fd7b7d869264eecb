import Testing
@testable import ZMQExporter
import ZeroMQ

/// `Agent.apply`: unchanged sockets keep running untouched, changed ones restart keeping their
/// counters, removed ones take their series with them.
@Suite struct ReloadTests {
    static func tap(_ name: String, extra: String = "") -> String {
        """
          - name: \(name)
            role: tap
            type: PULL
            bind: ["tcp://127.0.0.1:*"]
        \(extra)
        """
    }

    @Test func applyKeepsUnchangedRestartsChangedAndRemovesDropped() async throws {
        let before = "sockets:\n" + Self.tap("steady") + "\n" + Self.tap("changing") + "\n" + Self.tap("leaving")
        let agent = try await startAgent(before)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }

        var pushers: [String: Socket] = [:]
        for name in ["steady", "changing", "leaving"] {
            let push = try peers.socket(.push)
            try push.connect(try agent.endpoint(name))
            for index in 0..<5 { try push.send("\(name) \(index)") }
            pushers[name] = push
        }
        try await agent.expectValues(["steady", "changing", "leaving"].map {
            Expectation("zmq_socket_messages_received_total", ["socket": $0], 5)
        } + [Expectation("zmq_socket_connections", ["socket": "steady"], 1)])
        let steadyRunner = try agent.runner("steady")
        let steadyEndpoint = try agent.endpoint("steady")
        let changingEndpoint = try agent.endpoint("changing")

        let after = try ConfigLoader.parse("sockets:\n" + Self.tap("steady") + "\n" + Self.tap("changing", extra: "    rcvhwm: 500"))
        agent.apply(after)
        try await waitUntil("the changed socket to be set up again") { agent.isReady }

        // Unchanged: the very same runner, endpoint, connection and counters.
        #expect(try agent.runner("steady") === steadyRunner)
        #expect(try agent.endpoint("steady") == steadyEndpoint)
        #expect(agent.sockets.map(\.config.name) == ["steady", "changing"])
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_socket_messages_received_total", ["socket": "steady"]) == 5)
        #expect(scrape.value("zmq_socket_connections", ["socket": "steady"]) == 1)
        #expect(scrape.value("zmq_socket_events_total", ["socket": "steady", "event": "accepted"]) == 1)
        // Changed: a new socket (port * picks a new port) whose counters went on from 5.
        #expect(scrape.value("zmq_socket_messages_received_total", ["socket": "changing"]) == 5)
        #expect(try agent.endpoint("changing") != changingEndpoint)
        #expect(scrape.value("zmq_socket_endpoint_info", ["socket": "changing", "endpoint": changingEndpoint, "mode": "bind"]) == nil)
        #expect(scrape.value("zmq_socket_endpoint_info", ["socket": "changing", "endpoint": try agent.endpoint("changing"), "mode": "bind"]) == 1)
        // Removed: no series is left with its label.
        #expect(scrape.samples(withLabel: "socket", "leaving").isEmpty, "left: \(scrape.samples(withLabel: "socket", "leaving"))")
        #expect(scrape.value("zmq_exporter_config_last_reload_successful") == 1)

        // The unchanged socket keeps running: the same connection carries more messages.
        for index in 5..<8 { try pushers["steady"]!.send("steady \(index)") }
        let push = try peers.socket(.push)
        try push.connect(try agent.endpoint("changing"))
        for index in 0..<2 { try push.send("changing again \(index)") }
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "steady"], 8),
            Expectation("zmq_socket_messages_received_total", ["socket": "changing"], 7),
            Expectation("zmq_socket_events_total", ["socket": "steady", "event": "accepted"], 1),
        ])
    }

    @Test func applyingTheSameConfigRestartsNothing() async throws {
        let config = "sockets:\n" + Self.tap("one")
        let agent = try await startAgent(config)
        defer { agent.stop() }
        let runner = try agent.runner("one")
        let endpoint = try agent.endpoint("one")
        agent.apply(try ConfigLoader.parse(config))
        #expect(try agent.runner("one") === runner)
        #expect(try agent.endpoint("one") == endpoint)
        #expect(agent.scrape().value("zmq_socket_events_total", ["socket": "one", "event": "listening"]) == 1)
    }

    @Test func changedSocketCanBindTheOldSocketsPortAgain() async throws {
        let agent = try await startAgent("sockets:\n" + Self.tap("fixed"))
        defer { agent.stop() }
        let endpoint = try agent.endpoint("fixed")
        // The same port, now written out: a changed config, so the socket restarts. The old
        // socket must be closed before the new one binds, or the bind fails with EADDRINUSE.
        let fixed = try ConfigLoader.parse("""
            sockets:
              - name: fixed
                role: tap
                type: PULL
                bind: ["\(endpoint)"]
            """)
        agent.apply(fixed)
        try await waitUntil("the restarted socket to be set up") { agent.isReady }
        #expect(try agent.endpoint("fixed") == endpoint)
        let peers = try Peers()
        defer { peers.close() }
        let push = try peers.socket(.push)
        try push.connect(endpoint)
        try push.send("through the same port")
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "fixed"], 1),
            Expectation("zmq_socket_events_total", ["socket": "fixed", "event": "bind_failed"], 0),
            Expectation("zmq_socket_events_total", ["socket": "fixed", "event": "listening"], 2),
        ])
    }
}
