import Foundation
import Testing
@testable import ZMQExporter
import ZeroMQ

/// Proxies with real clients and workers on both sides; every counter must match the traffic.
@Suite struct ProxyTests {
    @Test func brokerAnswersEveryRequestAndTimesEach() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: broker
                role: proxy
                frontend: {type: ROUTER, bind: ["tcp://127.0.0.1:*"]}
                backend: {type: DEALER, bind: ["tcp://127.0.0.1:*"]}
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        var workers: [Replier] = []
        defer { for worker in workers { worker.stop() } }
        for _ in 0..<2 {
            let rep = try peers.socket(.rep)
            try rep.connect(try agent.endpoint("broker", side: 1))
            workers.append(Replier(rep))
        }
        try await waitUntil("both workers connected") {
            agent.scrape().value("zmq_socket_events_total", ["socket": "broker.backend", "event": "handshake_succeeded"]) == 2
        }

        let clients = try (0..<3).map { _ in try peers.socket(.req) }
        for client in clients { try client.connect(try agent.endpoint("broker")) }
        let rounds = 8
        for round in 0..<rounds {
            for (index, client) in clients.enumerated() { try client.send("request \(round) from \(index)") }
            for (index, client) in clients.enumerated() {
                let reply = try receive(client)
                #expect(reply.last?.string == "request \(round) from \(index)")
            }
        }
        let n = Double(rounds * clients.count)
        try await agent.expectValues([
            Expectation("zmq_proxy_request_duration_seconds_count", ["socket": "broker"], n),
            Expectation("zmq_proxy_requests_in_flight", ["socket": "broker"], 0),
            Expectation("zmq_proxy_requests_unanswered_total", ["socket": "broker"], 0),
            Expectation("zmq_socket_messages_received_total", ["socket": "broker.frontend"], n),
            Expectation("zmq_socket_messages_sent_total", ["socket": "broker.backend"], n),
            Expectation("zmq_socket_messages_received_total", ["socket": "broker.backend"], n),
            Expectation("zmq_socket_messages_sent_total", ["socket": "broker.frontend"], n),
            Expectation("zmq_socket_connections", ["socket": "broker.frontend"], 3),
            Expectation("zmq_socket_connections", ["socket": "broker.backend"], 2),
        ])
        let scrape = agent.scrape()
        // The envelope is added by ROUTER and removed before the reply leaves: bytes match both ways.
        #expect(scrape.value("zmq_socket_received_bytes_total", ["socket": "broker.frontend"])
            == scrape.value("zmq_socket_sent_bytes_total", ["socket": "broker.backend"]))
        #expect(scrape.value("zmq_socket_received_bytes_total", ["socket": "broker.backend"])
            == scrape.value("zmq_socket_sent_bytes_total", ["socket": "broker.frontend"]))
        #expect(workers.reduce(0) { $0 + $1.answered } == rounds * clients.count)
    }

    @Test func silentWorkerLeavesRequestsUnanswered() async throws {
        let agent = try await startBroker(requestTimeout: "200ms")
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let worker = try await connectWorker(to: agent, peers: peers, mode: .silent)
        defer { worker.stop() }
        for index in 0..<3 {
            let client = try peers.socket(.req)
            try client.connect(try agent.endpoint("broker"))
            try client.send("never answered \(index)")
        }
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "broker.frontend"], 3),
            Expectation("zmq_socket_messages_sent_total", ["socket": "broker.backend"], 3),
            Expectation("zmq_proxy_requests_unanswered_total", ["socket": "broker"], 3),
            Expectation("zmq_proxy_requests_in_flight", ["socket": "broker"], 0),
            Expectation("zmq_proxy_request_duration_seconds_count", ["socket": "broker"], 0),
            Expectation("zmq_socket_messages_sent_total", ["socket": "broker.frontend"], 0),
        ])
    }

    /// With no worker, a broker waits one request timeout for its backend, then keeps reading
    /// its frontend and drops what it cannot pass on: libzmq would otherwise keep every request
    /// of every client that gave up (Lazy Pirate) until the frontend is read again.
    @Test func brokerWithoutWorkersKeepsReadingItsFrontend() async throws {
        let agent = try await startBroker(requestTimeout: "300ms")
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let clients = 30
        for index in 0..<clients {
            // A client that gives up and comes back on a new socket, as Lazy Pirate does.
            let client = try peers.socket(.req)
            try client.setLinger(0)
            try client.connect(try agent.endpoint("broker"))
            try client.send("request \(index)")
            // Without the change the proxy stops reading after the first request and this times out.
            try await waitUntil("the proxy read request \(index)") {
                agent.scrape().value("zmq_socket_messages_received_total", ["socket": "broker.frontend"]) == Double(index + 1)
            }
            client.close()
        }
        let n = Double(clients)
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "broker.frontend"], n),
            Expectation("zmq_socket_send_failures_total", ["socket": "broker.backend", "reason": "would_block"], n),
            Expectation("zmq_socket_messages_sent_total", ["socket": "broker.backend"], 0),
            Expectation("zmq_proxy_requests_unanswered_total", ["socket": "broker"], n),
            Expectation("zmq_proxy_requests_in_flight", ["socket": "broker"], 0),
        ])

        // A worker comes back: the next request goes through and is answered.
        let worker = try await connectWorker(to: agent, peers: peers)
        defer { worker.stop() }
        let client = try peers.socket(.req)
        try client.connect(try agent.endpoint("broker"))
        try client.send("after the outage")
        #expect(try receive(client).last?.string == "after the outage")
        try await agent.expectValues([
            Expectation("zmq_socket_messages_sent_total", ["socket": "broker.backend"], 1),
            Expectation("zmq_proxy_request_duration_seconds_count", ["socket": "broker"], 1),
        ])
    }

    @Test func busCountsSubscriptionsAndForwardedMessages() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: bus
                role: proxy
                frontend: {type: XSUB, bind: ["tcp://127.0.0.1:*"]}
                backend: {type: XPUB, bind: ["tcp://127.0.0.1:*"]}
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        // An XPUB publisher receives the subscriptions the proxy passes up, so it knows when to start.
        let publisher = try peers.socket(.xpub)
        try publisher.connect(try agent.endpoint("bus"))
        let subA = try peers.socket(.sub)
        let subB = try peers.socket(.sub)
        try subA.subscribe("alpha")
        try subB.subscribe("beta")
        try subA.connect(try agent.endpoint("bus", side: 1))
        try subB.connect(try agent.endpoint("bus", side: 1))
        try await agent.expectValues([Expectation("zmq_proxy_subscriptions", ["socket": "bus"], 2)])
        var upstream: Set<String> = []
        while upstream.count < 2 {
            let frame = try receive(publisher)[0].bytes
            #expect(frame.first == 1)
            upstream.insert(String(decoding: frame.dropFirst(), as: UTF8.self))
        }
        #expect(upstream == ["alpha", "beta"])

        for index in 0..<5 {
            try publisher.send("alpha \(index)")
            try publisher.send("beta \(index)")
            try publisher.send("gamma \(index)") // nobody subscribed: filtered at the publisher
        }
        for index in 0..<5 {
            #expect(try receive(subA).last?.string == "alpha \(index)")
            #expect(try receive(subB).last?.string == "beta \(index)")
        }
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "bus.frontend"], 10),
            Expectation("zmq_socket_messages_sent_total", ["socket": "bus.backend"], 10),
            // Backward: the two subscriptions.
            Expectation("zmq_socket_messages_received_total", ["socket": "bus.backend"], 2),
            Expectation("zmq_socket_messages_sent_total", ["socket": "bus.frontend"], 2),
        ])

        subB.close()
        try await agent.expectValues([
            Expectation("zmq_proxy_subscriptions", ["socket": "bus"], 1),
            Expectation("zmq_socket_connections", ["socket": "bus.backend"], 1),
        ])
    }

    @Test func pipelineKeepsOrderAndMultipartWhole() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: tasks
                role: proxy
                frontend: {type: PULL, bind: ["tcp://127.0.0.1:*"]}
                backend: {type: PUSH, bind: ["tcp://127.0.0.1:*"], min_peers: 1}
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let sink = try peers.socket(.pull)
        try sink.connect(try agent.endpoint("tasks", side: 1))
        let source = try peers.socket(.push)
        try source.connect(try agent.endpoint("tasks"))

        let count = 2000
        var bytes = 0
        for sequence in 0..<count {
            var frames: [[UInt8]] = [Array(String(sequence).utf8)]
            if sequence % 3 == 0 { frames += [[], Array(repeating: UInt8(sequence % 251), count: sequence % 97)] }
            bytes += frames.reduce(0) { $0 + $1.count }
            try source.send(multipart: frames)
        }
        for sequence in 0..<count {
            let message = try receive(sink)
            let got = Int(message[0].string)
            if got != sequence {
                Issue.record("message \(sequence) arrived as \(got.map(String.init) ?? "?")")
                break
            }
            if sequence % 3 == 0 {
                #expect(message.count == 3)
                #expect(message.last?.bytes == Array(repeating: UInt8(sequence % 251), count: sequence % 97))
            } else {
                #expect(message.count == 1)
            }
        }
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "tasks.frontend"], Double(count)),
            Expectation("zmq_socket_messages_sent_total", ["socket": "tasks.backend"], Double(count)),
            Expectation("zmq_socket_received_bytes_total", ["socket": "tasks.frontend"], Double(bytes)),
            Expectation("zmq_socket_sent_bytes_total", ["socket": "tasks.backend"], Double(bytes)),
            Expectation("zmq_socket_expected_peers", ["socket": "tasks.backend"], 1),
            Expectation("zmq_socket_send_failures_total", ["socket": "tasks.backend", "reason": "error"], 0),
        ])
    }

    /// An agent running one ROUTER/DEALER proxy named "broker".
    func startBroker(requestTimeout: String) async throws -> Agent {
        try await startAgent("""
            sockets:
              - name: broker
                role: proxy
                frontend: {type: ROUTER, bind: ["tcp://127.0.0.1:*"]}
                backend: {type: DEALER, bind: ["tcp://127.0.0.1:*"]}
                request_timeout: \(requestTimeout)
            """)
    }

    /// A REP worker on the broker's backend, once the broker has seen its handshake.
    func connectWorker(to agent: Agent, peers: Peers, mode: ReplyMode = .echo) async throws -> Replier {
        let rep = try peers.socket(.rep)
        try rep.connect(try agent.endpoint("broker", side: 1))
        let worker = Replier(rep, mode: mode)
        try await waitUntil("the worker connected") {
            agent.scrape().value("zmq_socket_events_total", ["socket": "broker.backend", "event": "handshake_succeeded"]) == 1
        }
        return worker
    }
}
