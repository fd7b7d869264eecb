import Foundation
import Synchronization
import Testing
@testable import ZMQExporter
import ZeroMQ

/// The timer heap of the socket loops: order, ties, cancellation.
@Suite struct TimerHeapTests {
    @Test func timersFireInDeadlineOrderAndTiesInScheduleOrder() {
        var heap = TimerHeap()
        let start = ContinuousClock.now
        var fired: [Int] = []
        for (index, offset) in [5, 1, 3, 1, 4, 2].enumerated() {
            _ = heap.schedule(at: start + .milliseconds(offset)) { fired.append(index) }
        }
        let cancelled = heap.schedule(at: start + .milliseconds(2)) { fired.append(99) }
        heap.cancel(cancelled)
        #expect(heap.count == 6)
        #expect(heap.nextDeadline() == start + .milliseconds(1))
        while let action = heap.popDue(now: start + .milliseconds(3)) { action() }
        #expect(fired == [1, 3, 5, 2])
        #expect(heap.nextDeadline() == start + .milliseconds(4))
        while let action = heap.popDue(now: start + .seconds(1)) { action() }
        #expect(fired == [1, 3, 5, 2, 4, 0])
        #expect(heap.count == 0 && heap.nextDeadline() == nil)
    }
}

/// Messages a flooding peer has sent, read by the test's thread.
final class SentCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Many sockets on few socket loops, against real peers (issue 16).
@Suite(.serialized) struct SocketLoopTests {
    /// The threads of this process whose names start with `prefix`.
    static func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix(prefix)
        }.count
    }

    static func openDescriptors() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    /// Sends up to `count` messages of `size` bytes as fast as the socket takes them, until
    /// stopped, counting them in `sent`; waits for the socket to be writable when it is full.
    static func flood(_ push: Socket, count: Int = .max, size: Int, sent: SentCount? = nil) -> PeerThread {
        let body = [UInt8](repeating: 0x2A, count: size)
        return PeerThread("flood") { shouldStop in
            var poller = Poller()
            poller.add(push, events: .writable)
            var done = 0
            while done < count, !shouldStop() {
                if (try? push.send(body, flags: .dontWait)) != nil {
                    done += 1
                    sent?.add()
                } else {
                    _ = try? poller.poll(timeoutMilliseconds: 100)
                }
            }
        }
    }

    @Test func aProbeKeepsItsTimingWhileATapOnTheSameLoopIsFlooded() async throws {
        let peers = try Peers()
        defer { peers.close() }
        let silent = try peers.socket(.rep)
        try silent.bind("tcp://127.0.0.1:*")
        let silentEndpoint = try silent.lastEndpoint
        let echo = try peers.socket(.rep)
        try echo.bind("tcp://127.0.0.1:*")
        let echoEndpoint = try echo.lastEndpoint
        let replier = Replier(echo)
        defer { replier.stop() }
        // One loop: the flooded tap and both probes share its thread.
        let agent = try await startAgent("""
            sockets:
              - name: flooded
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*"]
              - name: timing
                role: probe
                type: REQ
                connect: ["\(silentEndpoint)"]
                interval: 200ms
                timeout: 100ms
                retries: 0
              - name: answering
                role: probe
                type: REQ
                connect: ["\(echoEndpoint)"]
                interval: 100ms
                timeout: 2s
                retries: 0
            """, loops: 1)
        defer { agent.stop() }
        #expect(agent.loops.loops.count == 1)
        let push = try peers.socket(.push)
        try push.connect(try agent.endpoint("flooded"))
        let timeouts = ["socket": "timing", "result": "timeout"]
        let answered = ["socket": "answering", "result": "success"]
        let sent = SentCount()
        let flooder = Self.flood(push, size: 64, sent: sent)
        // The flood must be running: the tap is busy before the window opens.
        try await agent.waitForValue("zmq_socket_messages_received_total", ["socket": "flooded"], atLeast: 10_000, within: .seconds(30))
        let before = agent.scrape()
        let started = ContinuousClock.now
        let first = before.value("zmq_probe_attempts_total", timeouts) ?? 0
        // About 2 s of flood, measured by the probe's own timeouts (a condition, not a sleep).
        try await agent.waitForValue("zmq_probe_attempts_total", timeouts, atLeast: first + 10, within: .seconds(60))
        let after = agent.scrape()
        let elapsed = (ContinuousClock.now - started).seconds
        flooder.stop()
        let received = { (scrape: Scrape) in scrape.value("zmq_socket_messages_received_total", ["socket": "flooded"]) ?? 0 }
        #expect(received(after) - received(before) > 10_000, "the tap was not flooded during the window")
        // Each cycle of the silent probe is a 100 ms timeout, then the next cycle 200 ms after the
        // last one began: 10 cycles take about 2 s when the loop serves its timers on time, and
        // a loop starved by the flood would take far longer.
        let cycles = (after.value("zmq_probe_attempts_total", timeouts) ?? 0) - first
        #expect(elapsed <= cycles * 0.2 + 1.0, "\(cycles) probe cycles took \(elapsed) s, expected about \(cycles * 0.2) s")
        // The answering probe never timed out behind the flood, and kept answering.
        #expect(after.value("zmq_probe_attempts_total", ["socket": "answering", "result": "timeout"]) == 0)
        #expect((after.value("zmq_probe_attempts_total", answered) ?? 0) >= (before.value("zmq_probe_attempts_total", answered) ?? 0) + 5)
        // And the tap lost nothing.
        try await agent.expectValues([Expectation("zmq_socket_messages_received_total", ["socket": "flooded"], Double(sent.value))], within: .seconds(60))
    }

    @Test func aReloadUnderTrafficRemovesOneSocketAndAddsAnotherOnABusyLoop() async throws {
        let yaml = { (names: [String]) in
            "sockets:\n" + names.map { "  - name: \($0)\n    role: tap\n    type: PULL\n    bind: [\"tcp://127.0.0.1:*\"]\n" }.joined()
        }
        let agent = try await startAgent(yaml(["busy", "leaving"]), loops: 1)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let busy = try peers.socket(.push)
        try busy.connect(try agent.endpoint("busy"))
        let total = 400_000
        let flooder = Self.flood(busy, count: total, size: 64)
        defer { flooder.stop() }
        try await agent.waitForValue("zmq_socket_messages_received_total", ["socket": "busy"], atLeast: 1_000)
        agent.apply(try ConfigLoader.parse(yaml(["busy", "arriving"]), file: "test.yml"))
        try await waitUntil("the new tap to be up") { agent.isReady && agent.sockets.map(\.config.name) == ["busy", "arriving"] }
        let arriving = try peers.socket(.push)
        try arriving.connect(try agent.endpoint("arriving"))
        for index in 0..<100 { try arriving.send("message \(index)") }
        let busyCount = agent.scrape().value("zmq_socket_messages_received_total", ["socket": "busy"]) ?? 0
        #expect(busyCount < Double(total), "the reload should happen while the flood still runs")
        try await agent.expectValues([
            Expectation("zmq_socket_messages_received_total", ["socket": "arriving"], 100),
            Expectation("zmq_socket_messages_received_total", ["socket": "busy"], Double(total)),
        ], within: .seconds(60))
        let scrape = agent.scrape()
        #expect(!scrape.text.contains("socket=\"leaving\""), "the removed tap's series stay")
        #expect(scrape.value("zmq_socket_up", ["socket": "arriving"]) == 1)
    }

    @Test func aThousandSocketsRunOnTheLoopsAndStopTogether() async throws {
        let count = 1_000
        let descriptorsBefore = Self.openDescriptors()
        var yaml = "sockets:\n"
        for index in 0..<count {
            yaml += "  - name: idle\(index)\n    role: tap\n    type: PULL\n    bind: [\"tcp://127.0.0.1:*\"]\n"
        }
        var agent: Agent? = try await startAgent(yaml, loops: 2, within: .seconds(120))
        // Two loop threads run every socket: no thread per socket ("zmq-<name>"). (Other tests'
        // agents run their own loops in this process meanwhile.)
        #expect(agent!.loops.loops.count == 2)
        #expect(Self.threads(named: "zmq-idle") == 0)
        #expect(agent!.loops.loops.map { $0.memberCount.load(ordering: .relaxed) } == [count / 2, count / 2])
        let endpoints = try (0..<count).map { try agent!.endpoint("idle\($0)") }
        let started = ContinuousClock.now
        agent!.stop(timeout: .seconds(30))
        let stopping = ContinuousClock.now - started
        // The stop closes every socket on the loops at once: 1 s in BENCHMARKS.md (make bench);
        // here only bounded loosely, the machine being shared (and sanitizers slow it 10x).
        #expect(stopping < .seconds(20), "1,000 taps took \(stopping) to stop")
        #expect(agent!.sockets.isEmpty)
        for loop in agent!.loops.loops {
            #expect(loop.memberCount.load(ordering: .relaxed) == 0)
        }
        // Every port is free again as soon as stop returns.
        let peers = try Peers()
        defer { peers.close() }
        let check = try peers.socket(.pull)
        for endpoint in endpoints.prefix(50) {
            try check.bind(endpoint)
            try check.unbind(endpoint)
        }
        let loops = agent!.loops
        agent = nil
        let stopped = loops.loops.allSatisfy { $0.hasStopped }
        #expect(stopped, "the agent's loop threads end with it")
        // Nothing leaks: the agent's 4,000 descriptors go back when its context ends. (Tests
        // running beside this one open and close a few of their own: a leak of one descriptor
        // per tap still shows.)
        try await waitUntil("the descriptors to be closed", within: .seconds(20)) {
            Self.openDescriptors() <= descriptorsBefore + 200
        }
    }

    @Test func noMonitorEventIsLostUnderAOneMebibyteFlood() async throws {
        let agent = try await startAgent("""
            sockets:
              - name: heavy
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*"]
            """, loops: 1)
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        let endpoint = try agent.endpoint("heavy")
        let push = try peers.socket(.push)
        try push.connect(endpoint)
        let messages = 3_000
        let flooder = Self.flood(push, count: messages, size: 1 << 20)
        defer { flooder.stop() }
        // Peers come and go while the 1-MiB messages pour in: each connection is an accepted
        // event and, once closed, a disconnected one.
        let cycles = 40
        func event(_ name: String) -> [String: String] { ["socket": "heavy", "event": name] }
        for cycle in 0..<cycles {
            let peer = try peers.socket(.push)
            try peer.connect(endpoint)
            try await agent.waitForValue("zmq_socket_events_total", event("accepted"), atLeast: Double(cycle + 2))
            peer.close()
        }
        let during = agent.scrape().value("zmq_socket_messages_received_total", ["socket": "heavy"]) ?? 0
        #expect(during < Double(messages), "the churn should happen while the 1-MiB flood still runs")
        try await agent.expectValues([
            Expectation("zmq_socket_events_total", event("accepted"), Double(cycles + 1)),
            Expectation("zmq_socket_events_total", event("disconnected"), Double(cycles)),
            Expectation("zmq_socket_connections", ["socket": "heavy"], 1),
            Expectation("zmq_socket_messages_received_total", ["socket": "heavy"], Double(messages)),
        ], within: .seconds(60))
    }
}
