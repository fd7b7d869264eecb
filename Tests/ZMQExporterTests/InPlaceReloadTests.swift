import Foundation
import Synchronization
import Testing
@testable import ZMQExporter
import ZeroMQ

/// A reload that changes only tunables (``SocketConfig/tunables``) applies in place under
/// traffic: the same runner, no socket closed, no peer disconnected, counters going on.
@Suite struct InPlaceReloadTests {
    /// One setting to change: on which socket, as which YAML lines.
    struct Change: CustomTestStringConvertible, Sendable {
        let setting: String
        let socket: String
        let yaml: String
        var testDescription: String { setting }
    }

    static let changes: [Change] = [
        Change(setting: "min_peers", socket: "tap", yaml: "    min_peers: 2"),
        Change(setting: "labels", socket: "tap", yaml: "    labels: {kind: kind}"),
        Change(setting: "max_label_values", socket: "tap", yaml: "    max_label_values: 5"),
        Change(setting: "max_series", socket: "tap", yaml: "    max_series: 10"),
        Change(setting: "buckets", socket: "tap", yaml: "    buckets: [0.1, 1]"),
        Change(setting: "timestamp", socket: "tap", yaml: "    timestamp: {field: t, unit: s}"),
        Change(setting: "interval", socket: "probe", yaml: "    interval: 80ms"),
        Change(setting: "timeout", socket: "probe", yaml: "    timeout: 400ms"),
        Change(setting: "retries", socket: "probe", yaml: "    retries: 1"),
        Change(setting: "expect", socket: "probe", yaml: "    expect: \"ping\""),
        Change(setting: "request", socket: "probe", yaml: "    request: \"hello\""),
        Change(setting: "request_timeout", socket: "proxy", yaml: "    request_timeout: 10s"),
        Change(setting: "max_in_flight", socket: "proxy", yaml: "    max_in_flight: 50"),
    ]

    static func config(repEndpoint: String, change: Change?) -> String {
        func extra(_ socket: String) -> String { change?.socket == socket ? change!.yaml + "\n" : "" }
        func base(_ setting: String, _ line: String) -> String { change?.setting == setting ? "" : line + "\n" }
        let labels = base("labels", "    labels: {event: event}")
        return """
        sockets:
          - name: tap
            role: tap
            type: PULL
            bind: ["tcp://127.0.0.1:*"]
            decode: json
        \(labels)\(extra("tap"))  - name: probe
            role: probe
            type: REQ
            connect: ["\(repEndpoint)"]
        \(base("interval", "    interval: 50ms"))\(base("timeout", "    timeout: 500ms"))\(extra("probe"))  - name: proxy
            role: proxy
            frontend: {type: ROUTER, bind: ["tcp://127.0.0.1:*"]}
            backend: {type: DEALER, bind: ["tcp://127.0.0.1:*"]}
        \(extra("proxy"))
        """
    }

    /// The connection events of every socket side: what must not move.
    static func connectionEvents(_ scrape: Scrape) -> [String: Double] {
        var events: [String: Double] = [:]
        for socket in ["tap", "probe", "proxy.frontend", "proxy.backend"] {
            for event in ["accepted", "connected", "disconnected", "closed"] {
                events["\(socket) \(event)"] = scrape.value("zmq_socket_events_total", ["socket": socket, "event": event]) ?? -1
            }
        }
        return events
    }

    // One case at a time: thirteen agents with traffic at once starved each other under
    // ThreadSanitizer on two cores, and the last messages took longer than any sane deadline.
    @Test(.serialized, arguments: changes)
    func changingOnlyThisSettingKeepsEverySocketAndPeer(_ change: Change) async throws {
        let peers = try Peers()
        defer { peers.close() }
        let (replier, repEndpoint) = try ProbeTests.boundReplier(peers)
        defer { replier.stop() }
        let agent = try await startAgent(Self.config(repEndpoint: repEndpoint, change: nil))
        defer { agent.stop() }

        // Traffic: a pusher into the tap, and a REQ client through the proxy to a REP worker.
        let tapEndpoint = try agent.endpoint("tap")
        let sent = Atomic<Int>(0)
        let pusher = PeerThread("pusher") { shouldStop in
            guard let push = try? peers.socket(.push), (try? push.connect(tapEndpoint)) != nil else { return }
            while !shouldStop() {
                let now = Date().timeIntervalSince1970
                if (try? push.send(#"{"event": "e", "kind": "k", "t": \#(now)}"#, flags: .dontWait)) != nil { sent.add(1, ordering: .relaxed) }
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
        let worker = try peers.socket(.rep)
        try worker.connect(try agent.endpoint("proxy", side: 1))
        let workerReplier = Replier(worker)
        defer { workerReplier.stop() }
        let client = try peers.socket(.req)
        try client.connect(try agent.endpoint("proxy", side: 0))
        func roundTrip(_ text: String) throws {
            try client.send(text)
            #expect(try receive(client).last?.string == text)
        }
        try roundTrip("before")
        try await agent.waitForValue("zmq_probe_attempts_total", ["socket": "probe", "result": "success"], atLeast: 2)
        try await agent.waitForValue("zmq_socket_messages_received_total", ["socket": "tap"], atLeast: 20)

        let runners = try ["tap", "probe", "proxy"].map { try agent.runner($0) }
        let before = agent.scrape()
        let eventsBefore = Self.connectionEvents(before)
        let updated = try ConfigLoader.parse(Self.config(repEndpoint: repEndpoint, change: change))
        agent.apply(updated)
        let changed = try agent.runner(change.socket)
        try await waitUntil("\(change.socket) to take the new \(change.setting)") {
            changed.config == updated.sockets.first { $0.name == change.socket }
        }

        // Traffic goes on through the same sockets.
        try roundTrip("after")
        let received = before.value("zmq_socket_messages_received_total", ["socket": "tap"]) ?? 0
        try await agent.waitForValue("zmq_socket_messages_received_total", ["socket": "tap"], atLeast: received + 20)
        let successes = before.value("zmq_probe_attempts_total", ["socket": "probe", "result": "success"]) ?? 0
        try await agent.waitForValue("zmq_probe_attempts_total", ["socket": "probe", "result": "success"], atLeast: successes + 2)
        #expect(pusher.stop())
        try await waitUntil("every pushed message counted", within: .seconds(60)) {
            agent.scrape().value("zmq_socket_messages_received_total", ["socket": "tap"]) == Double(sent.load(ordering: .relaxed))
        }

        let after = agent.scrape()
        #expect(Self.connectionEvents(after) == eventsBefore)
        for (name, runner) in zip(["tap", "probe", "proxy"], runners) {
            #expect(try agent.runner(name) === runner, "\(name) was restarted")
        }
        #expect(after.value("zmq_proxy_requests_in_flight", ["socket": "proxy"]) == 0)
        #expect((after.value("zmq_socket_messages_received_total", ["socket": "proxy.frontend"]) ?? 0) == 2)
        #expect(after.value("zmq_exporter_config_last_reload_successful") == 1)
        switch change.setting {
        case "min_peers":
            #expect(after.value("zmq_socket_expected_peers", ["socket": "tap"]) == 2)
        case "labels":
            #expect(after.samples("zmq_tap_messages_total", matching: ["socket": "tap"]).allSatisfy { $0.labels["event"] == nil && $0.labels["kind"] != nil })
        case "timestamp":
            #expect((after.value("zmq_tap_message_age_seconds_count", ["socket": "tap"]) ?? 0) > 0)
        default:
            break
        }
    }

    @Test func changingAnEndpointRestartsTheSocketAndTheLogSaysWhy() async throws {
        let agent = try await startAgent("sockets:\n" + ReloadTests.tap("one"))
        defer { agent.stop() }
        let runner = try agent.runner("one")
        let old = runner.config
        let new = try ConfigLoader.parse("sockets:\n" + ReloadTests.tap("one", extra: "    rcvhwm: 10\n    min_peers: 1")).sockets[0]
        #expect(old.wire != new.wire)
        #expect(new.wire.changedFields(from: old.wire) == ["role.tap.socket.options.receiveHighWaterMark"])
        #expect(new.changedFields(from: old).contains { $0.hasSuffix("minPeers") })
        agent.apply(ExporterConfig(sockets: [new]))
        try await waitUntil("the restarted socket") { agent.isReady && (try? agent.runner("one")) !== runner }
    }
}
