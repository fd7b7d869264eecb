import Testing
@testable import ZMQExporter
import ZeroMQ

/// Configs that are valid, starting with the issue's example (the contract).
@Suite struct ConfigTests {
    static let issueExample = """
        sockets:
          - name: events
            role: tap
            type: SUB
            connect: [tcp://127.0.0.1:5559]
            subscribe: [""]
            decode: json
            labels: {event: event}
            max_label_values: 100
            timestamp: {field: time, unit: s}
          - name: echo
            role: probe
            type: REQ
            connect: [tcp://127.0.0.1:5555]
            interval: 5s
            timeout: 2500ms
            retries: 3
            request: "Hello"
            expect: "Hello"
          - name: tasks
            role: proxy
            frontend: {type: PULL, bind: ["tcp://127.0.0.1:5557"]}
            backend: {type: PUSH, bind: ["tcp://127.0.0.1:*"], min_peers: 3}
        """

    @Test func issueExampleParses() throws {
        let config = try ConfigLoader.parse(Self.issueExample)
        #expect(config.sockets.map(\.name) == ["events", "echo", "tasks"])

        guard case .tap(let tap) = config.sockets[0].role else { Issue.record("events is not a tap"); return }
        #expect(tap.socket.type == .sub)
        #expect(tap.socket.connect == ["tcp://127.0.0.1:5559"])
        #expect(tap.socket.bind.isEmpty)
        #expect(tap.subscribe == [""])
        #expect(tap.decodeJSON)
        #expect(tap.labels.map(\.label) == ["event"])
        #expect(tap.labels.map(\.field) == ["event"])
        #expect(tap.maxLabelValues == 100)
        #expect(tap.timestamp == TimestampField(field: "time", unit: .s))

        guard case .probe(let probe) = config.sockets[1].role else { Issue.record("echo is not a probe"); return }
        #expect(probe.socket.type == .req)
        #expect(probe.interval == .seconds(5))
        #expect(probe.timeout == .milliseconds(2500))
        #expect(probe.retries == 3)
        #expect(probe.request == Array("Hello".utf8))
        #expect(probe.expect == Array("Hello".utf8))

        guard case .proxy(let proxy) = config.sockets[2].role else { Issue.record("tasks is not a proxy"); return }
        #expect(proxy.kind == .pipeline)
        #expect(proxy.frontend.type == .pull)
        #expect(proxy.frontend.bind == ["tcp://127.0.0.1:5557"])
        #expect(proxy.backend.type == .push)
        #expect(proxy.backend.bind == ["tcp://127.0.0.1:*"])
        #expect(proxy.backend.minPeers == 3)
        #expect(config.sockets[2].sides.map(\.label) == ["tasks.frontend", "tasks.backend"])
    }

    @Test func summaryHasOneLinePerSocket() throws {
        let config = try ConfigLoader.parse(Self.issueExample)
        let lines = config.sockets.map(ConfigSummary.line)
        #expect(lines == [
            "events: tap SUB connect tcp://127.0.0.1:5559 json labels=event<-event",
            "echo: probe REQ connect tcp://127.0.0.1:5555 every 5.0 seconds timeout 2.5 seconds retries 3",
            "tasks: proxy PULL/PUSH frontend bind tcp://127.0.0.1:5557; backend bind tcp://127.0.0.1:*",
        ])
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("5s", .seconds(5)), ("1.5s", .milliseconds(1500)),
        ("2m", .seconds(120)), ("1h", .seconds(3600)), ("100us", .microseconds(100)), ("0s", .zero),
        // Prometheus's forms: several units, largest first; d, w and y.
        ("1m30s", .seconds(90)), ("1h30m", .seconds(5400)), ("2d", .seconds(172_800)), ("1w", .seconds(604_800)),
        ("1y", .seconds(31_536_000)), ("1h0m0s", .seconds(3600)), ("1s500ms", .milliseconds(1500)), ("250µs", .microseconds(250)),
    ])
    func durations(text: String, value: Duration) {
        #expect(ConfigValues.duration(text) == value)
    }

    @Test(arguments: ["5", "s", "ms", "-1s", "1.5.2s", "5 s", "5sec", "1e3ms", "inf s", "", "30s1m", "1s1s", "1m1", "100y"])
    func notDurations(text: String) {
        #expect(ConfigValues.duration(text) == nil)
    }

    @Test(arguments: [
        ("tcp://127.0.0.1:5555", true), ("tcp://*:5555", true), ("tcp://localhost:*", true),
        ("tcp://[::1]:5555", true), ("ipc:///tmp/sock", true), ("inproc://name", true),
    ])
    func validBindEndpoints(endpoint: String, _: Bool) {
        #expect(ConfigValues.endpointProblem(endpoint, mode: .bind) == nil)
    }

    @Test func defaultsAndOptions() throws {
        let config = try ConfigLoader.parse("""
            sockets:
              - name: broker
                role: proxy
                frontend: {type: ROUTER, bind: "tcp://*:5560", sndhwm: 10, linger: 2s}
                backend: {type: DEALER, bind: ["tcp://127.0.0.1:5561"], reconnect_ivl: 100ms, heartbeat_ivl: 250}
                request_timeout: 10s
                max_in_flight: 50
                buckets: [0.001, 0.01, 0.1]
              - name: bus
                role: proxy
                frontend: {type: XSUB, connect: [ipc:///tmp/pub.sock]}
                backend: {type: XPUB, bind: [inproc://bus]}
            """)
        guard case .proxy(let broker) = config.sockets[0].role, case .proxy(let bus) = config.sockets[1].role else {
            Issue.record("not proxies"); return
        }
        #expect(broker.kind == .broker)
        #expect(bus.kind == .bus)
        #expect(broker.frontend.bind == ["tcp://*:5560"])
        #expect(broker.frontend.options.sendHighWaterMark == 10)
        #expect(broker.frontend.options.linger == 2000)
        #expect(broker.backend.options.reconnectInterval == 100)
        #expect(broker.backend.options.heartbeatInterval == 250)
        #expect(broker.requestTimeout == .seconds(10))
        #expect(broker.maxInFlight == 50)
        #expect(config.sockets[0].buckets == [0.001, 0.01, 0.1])
        #expect(config.sockets[1].buckets == SocketConfig.defaultBuckets)
        #expect(bus.requestTimeout == .seconds(30))
    }

    /// Each series carries its own bucket layout, so sockets of one family may differ.
    @Test func socketsOfOneFamilyMayHaveTheirOwnBuckets() throws {
        let config = try ConfigLoader.parse("""
            sockets:
              - name: a
                role: probe
                type: REQ
                connect: [tcp://127.0.0.1:5000]
              - name: b
                role: probe
                type: REQ
                connect: [tcp://127.0.0.1:5001]
                buckets: [0.1, 1]
            """)
        #expect(config.sockets.map(\.buckets) == [SocketConfig.defaultBuckets, [0.1, 1]])
        let metrics = Metrics()
        let a = metrics.histogram(MetricCatalog.probeDuration, [("socket", "a")], buckets: config.sockets[0].buckets)
        let b = metrics.histogram(MetricCatalog.probeDuration, [("socket", "b")], buckets: config.sockets[1].buckets)
        #expect(a.bounds.count == 17 && b.bounds == [0.1, 1])
    }
}
