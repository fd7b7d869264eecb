import Foundation
import Testing
@testable import ZMQExporter
import ZeroMQ

/// Taps against real peers on 127.0.0.1: the exposition must hold exactly the known workload.
@Suite struct TapTests {
    @Test func pullTapCountsMessagesOnceAndBytesOfAllFrames() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: jobs
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*"]
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let push = try peers.socket(.push)
        try push.connect(try agent.endpoint("jobs"))

        var bytes = 0
        for index in 0..<40 {
            if index % 4 == 0 {
                // Multipart: three frames, one message.
                let frames: [[UInt8]] = [Array("head-\(index)".utf8), [], Array(repeating: 7, count: index)]
                try push.send(multipart: frames)
                bytes += frames.reduce(0) { $0 + $1.count }
            } else {
                let body = Array("message number \(index)".utf8)
                try push.send(body)
                bytes += body.count
            }
        }
        let s = ["socket": "jobs"]
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", s, 40),
            Expectation("zmq_socket_received_bytes_total", s, Double(bytes)),
            Expectation("zmq_tap_messages_total", s, 40),
            Expectation("zmq_socket_messages_sent_total", s, 0),
            Expectation("zmq_tap_decode_errors_total", s, 0),
        ])
    }

    @Test func connectionsFollowPeersComingAndGoing() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: sink
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*"]
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let endpoint = try agent.endpoint("sink")
        let s = ["socket": "sink"]
        func event(_ name: String) -> [String: String] { ["socket": "sink", "event": name] }

        let first = try peers.socket(.push)
        let second = try peers.socket(.push)
        try first.connect(endpoint)
        try second.connect(endpoint)
        try await agent.expectValues([
            Expectation("zmq_socket_connections", s, 2),
            Expectation("zmq_socket_events_total", event("accepted"), 2),
            Expectation("zmq_socket_events_total", event("handshake_succeeded"), 2),
            Expectation("zmq_socket_events_total", event("listening"), 1),
        ])

        first.close()
        try await agent.expectValues([
            Expectation("zmq_socket_connections", s, 1),
            Expectation("zmq_socket_events_total", event("disconnected"), 1),
        ])
        second.close()
        try await agent.expectValues([
            Expectation("zmq_socket_connections", s, 0),
            Expectation("zmq_socket_events_total", event("accepted"), 2),
            Expectation("zmq_socket_events_total", event("disconnected"), 2),
            Expectation("zmq_socket_connection_duration_seconds_count", s, 2),
            Expectation("zmq_socket_handshake_failures_total", ["socket": "sink", "reason": "closed_before_handshake"], 0),
        ])
    }

    @Test func subTapCountsPerLabelValueAndDecodeErrors() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: events
                role: tap
                type: SUB
                bind: ["tcp://127.0.0.1:*"]
                subscribe: [""]
                decode: json
                labels: {event: event}
                max_label_values: 100
                timestamp: {field: time, unit: s}
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        // An XPUB publisher sees the tap's subscription arrive, so nothing is published too early.
        let publisher = try peers.socket(.xpub)
        try publisher.connect(try agent.endpoint("events"))
        let subscription = try receive(publisher)
        #expect(subscription.first?.bytes == [1])

        let now = Date().timeIntervalSince1970
        for _ in 0..<3 { try publisher.send(#"{"event":"login","time":\#(now - 2),"user":"a"}"#) }
        for _ in 0..<2 { try publisher.send(#"{"time":\#(now - 1), "event":"logout"}"#) }
        try publisher.send("this is not JSON")
        try publisher.send(#"{"event":"login""#) // truncated: invalid too

        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "events"], 7),
            Expectation("zmq_tap_messages_total", ["socket": "events", "event": "login"], 3),
            Expectation("zmq_tap_messages_total", ["socket": "events", "event": "logout"], 2),
            // Undecodable messages still count, under an empty label value.
            Expectation("zmq_tap_messages_total", ["socket": "events", "event": ""], 2),
            Expectation("zmq_tap_decode_errors_total", ["socket": "events"], 2),
            Expectation("zmq_tap_message_age_seconds_count", ["socket": "events"], 5),
            Expectation("zmq_tap_label_values_dropped_total", ["socket": "events"], 0),
        ])
        let scrape = agent.scrape()
        // Ages were 1 s and 2 s at sending: all five are under the 10 s bucket, none under 0.5 s.
        #expect(scrape.value("zmq_tap_message_age_seconds_bucket", ["socket": "events", "le": "10"]) == 5)
        #expect(scrape.value("zmq_tap_message_age_seconds_bucket", ["socket": "events", "le": "0.5"]) == 0)
        #expect(scrape.samples("zmq_tap_messages_total", matching: ["socket": "events"]).count == 3)
    }

    @Test func labelValuesBeyondTheLimitOverflow() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: kinds
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*"]
                decode: json
                labels: {kind: type}
                max_label_values: 2
            """)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let push = try peers.socket(.push)
        try push.connect(try agent.endpoint("kinds"))
        for kind in ["a", "b", "c", "a", "d", "b", "c"] {
            try push.send(#"{"type":"\#(kind)"}"#)
        }
        func kind(_ value: String) -> [String: String] { ["socket": "kinds", "kind": value] }
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "kinds"], 7),
            Expectation("zmq_tap_messages_total", kind("a"), 2),
            Expectation("zmq_tap_messages_total", kind("b"), 2),
            Expectation("zmq_tap_messages_total", kind(TapDecoder.overflowValue), 3),
            Expectation("zmq_tap_label_values_dropped_total", ["socket": "kinds"], 3),
            Expectation("zmq_tap_decode_errors_total", ["socket": "kinds"], 0),
        ])
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_tap_messages_total", kind("c")) == nil)
        #expect(scrape.value("zmq_tap_messages_total", kind("d")) == nil)
    }
}
