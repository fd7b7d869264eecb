import Foundation
import Testing
@testable import ZMQExporter
import ZeroMQ

/// Probes against a real REP peer that answers, goes silent, or answers wrongly.
@Suite struct ProbeTests {
    /// - Parameter timeout: 300ms where a test wants timeouts; tests of answers give the peer
    ///   5s, so a reply slowed by a loaded machine (sanitizers, parallel tests) is no timeout.
    static func config(_ endpoint: String, expect: String? = nil, retries: Int = 1, timeout: String = "300ms") -> String {
        """
        sockets:
          - name: echo
            role: probe
            type: REQ
            connect: ["\(endpoint)"]
            interval: 50ms
            timeout: \(timeout)
            retries: \(retries)
            request: "Hello"
        \(expect.map { "    expect: \"\($0)\"" } ?? "")
        """
    }

    let s = ["socket": "echo"]
    func result(_ name: String) -> [String: String] { ["socket": "echo", "result": name] }

    @Test func answeredProbeSucceeds() async throws {
        let peers = try Peers()
        defer { peers.close() }
        let (replier, endpoint) = try Self.boundReplier(peers)
        defer { replier.stop() }

        let agent = try await startAgent(Self.config(endpoint, expect: "Hello", timeout: "5s"))
        defer { agent.stop() }
        let live = try await agent.waitForValue("zmq_probe_attempts_total", result("success"), atLeast: 2)
        #expect(live.value("zmq_socket_connections", s) == 1)
        // Stopped, so no probe runs between the two families' renders of one scrape.
        agent.stop()
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_probe_success", s) == 1)
        #expect((scrape.value("zmq_probe_duration_seconds_count", s) ?? 0) >= 2)
        #expect(scrape.value("zmq_probe_duration_seconds_count", s) == scrape.value("zmq_probe_attempts_total", result("success")))
        #expect(scrape.value("zmq_probe_attempts_total", result("timeout")) == 0)
        #expect(scrape.value("zmq_probe_attempts_total", result("mismatch")) == 0)
        #expect((scrape.value("zmq_probe_last_success_timestamp_seconds", s) ?? 0) > 1_600_000_000)
    }

    @Test func silentPeerTimesOutAndSocketIsRecreated() async throws {
        let peers = try Peers()
        defer { peers.close() }
        let (replier, endpoint) = try Self.boundReplier(peers)
        defer { replier.stop() }

        let agent = try await startAgent(Self.config(endpoint, retries: 1))
        defer { agent.stop() }
        // First the peer answers, so the success gauge must really fall to 0 below.
        try await agent.waitForValue("zmq_probe_success", s, atLeast: 1)
        let connectedBefore = agent.scrape().value("zmq_socket_events_total", ["socket": "echo", "event": "connected"]) ?? 0

        replier.set(.silent)
        // retries 1: a failing cycle is two timed-out attempts, each on a socket of its own.
        let scrape = try await agent.waitForValue("zmq_probe_attempts_total", result("timeout"), atLeast: 4)
        try await waitUntil("zmq_probe_success 0") { agent.scrape().value("zmq_probe_success", s) == 0 }
        let after = agent.scrape()
        #expect(after.value("zmq_probe_success", s) == 0)
        #expect(scrape.value("zmq_probe_attempts_total", result("mismatch")) == 0)
        // Every timed-out attempt closed its REQ socket; the next one connected a new one.
        let connected = after.value("zmq_socket_events_total", ["socket": "echo", "event": "connected"]) ?? 0
        #expect(connected >= connectedBefore + 3)
        #expect((after.value("zmq_socket_events_total", ["socket": "echo", "event": "monitor_stopped"]) ?? 0) >= 3)
        #expect((after.value("zmq_socket_connections", s) ?? -1) <= 1)
    }

    @Test func wrongAnswerIsAMismatch() async throws {
        let peers = try Peers()
        defer { peers.close() }
        let (replier, endpoint) = try Self.boundReplier(peers, mode: .wrong)
        defer { replier.stop() }

        let agent = try await startAgent(Self.config(endpoint, expect: "Hello", retries: 2, timeout: "5s"))
        defer { agent.stop() }
        let scrape = try await agent.waitForValue("zmq_probe_attempts_total", result("mismatch"), atLeast: 2)
        #expect(scrape.value("zmq_probe_success", s) == 0)
        // A mismatch is an answer: no retry, no timeout, no success.
        #expect(scrape.value("zmq_probe_attempts_total", result("timeout")) == 0)
        #expect(scrape.value("zmq_probe_attempts_total", result("success")) == 0)
        #expect(scrape.value("zmq_probe_duration_seconds_count", s) == 0)
    }

    @Test func dealerProbeSendsTheDelimiterARepPeerNeeds() async throws {
        let peers = try Peers()
        defer { peers.close() }
        let (replier, endpoint) = try Self.boundReplier(peers)
        defer { replier.stop() }

        let agent = try await startAgent(Self.config(endpoint, expect: "Hello").replacingOccurrences(of: "type: REQ", with: "type: DEALER"))
        defer { agent.stop() }
        let scrape = try await agent.waitForValue("zmq_probe_attempts_total", result("success"), atLeast: 2)
        #expect(scrape.value("zmq_probe_success", s) == 1)
        #expect(scrape.value("zmq_probe_attempts_total", result("mismatch")) == 0)
        #expect(scrape.value("zmq_socket_info", ["socket": "echo", "role": "probe", "type": "DEALER"]) == 1)
    }

    /// A REP peer bound on a free port, answering as `mode` says, and its endpoint.
    static func boundReplier(_ peers: Peers, mode: ReplyMode = .echo) throws -> (Replier, String) {
        let rep = try peers.socket(.rep)
        try rep.bind("tcp://127.0.0.1:*")
        let endpoint = try rep.lastEndpoint
        return (Replier(rep, mode: mode), endpoint)
    }
}
