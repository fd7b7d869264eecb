import Glibc
import Logging
import Testing
import ZeroMQ
@testable import ZMQExporter

/// What a reload leaves in `/metrics`: the series of a changed socket that no longer describe
/// it are gone, the ones that still do go on with their values, and nothing piles up.
@Suite struct ReloadSeriesTests {
    static func jsonTap(_ name: String, labels: String, extra: String = "") -> String {
        """
        sockets:
          - name: \(name)
            role: tap
            type: PULL
            bind: ["tcp://127.0.0.1:*"]
            decode: json
            labels: \(labels)
        \(extra)
        """
    }

    static func send(_ count: Int, _ body: String, to endpoint: String, peers: Peers) throws {
        let push = try peers.socket(.push)
        try push.connect(endpoint)
        for _ in 0..<count { try push.send(body) }
    }

    @Test func changedTapLabelsLeaveNoOldSeries() async throws {
        let agent = try await startAgent(Self.jsonTap("events", labels: "{event: event}"))
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        try Self.send(3, #"{"event": "a", "kind": "x"}"#, to: try agent.endpoint("events"), peers: peers)
        try await agent.expectValues([Expectation("zmq_tap_messages_total", ["socket": "events", "event": "a"], 3)])

        let runner = try agent.runner("events")
        let updated = try ConfigLoader.parse(Self.jsonTap("events", labels: "{kind: kind}"))
        agent.apply(updated)
        // Labels are a tunable: the running tap takes them in place.
        try await waitUntil("the tap to take the new labels") { runner.config == updated.sockets[0] }
        try Self.send(2, #"{"event": "a", "kind": "x"}"#, to: try agent.endpoint("events"), peers: peers)
        try await agent.expectValues([
            Expectation("zmq_tap_messages_total", ["socket": "events", "kind": "x"], 2),
            // The socket's own counters go on: the same socket label, the same messages.
            Expectation("zmq_socket_messages_received_total", ["socket": "events"], 5),
        ])
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_tap_messages_total", ["socket": "events", "event": "a"]) == nil, "\(scrape.samples("zmq_tap_messages_total"))")
        #expect(scrape.samples("zmq_tap_messages_total").count == 1)
    }

    @Test func aRoleChangeTakesTheOldRolesSeriesAway() async throws {
        let agent = try await startAgent(Self.jsonTap("svc", labels: "{event: event}"))
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        try Self.send(2, #"{"event": "a"}"#, to: try agent.endpoint("svc"), peers: peers)
        try await agent.expectValues([Expectation("zmq_socket_messages_received_total", ["socket": "svc"], 2)])
        #expect(agent.scrape().value("zmq_tap_last_message_timestamp_seconds", ["socket": "svc"]) != nil)

        let rep = try peers.socket(.rep)
        try rep.bind("tcp://127.0.0.1:*")
        agent.apply(try ConfigLoader.parse("""
            sockets:
              - name: svc
                role: probe
                type: REQ
                connect: ["\(try rep.lastEndpoint)"]
                interval: 1h
                timeout: 200ms
                retries: 0
            """))
        try await waitUntil("the probe to be set up") { agent.isReady }
        let scrape = agent.scrape()
        for family in ["zmq_tap_messages_total", "zmq_tap_last_message_timestamp_seconds", "zmq_tap_decode_errors_total", "zmq_tap_label_values_dropped_total"] {
            #expect(scrape.samples(family).isEmpty, "\(family) left: \(scrape.samples(family))")
        }
        #expect(scrape.value("zmq_socket_info", ["socket": "svc", "role": "tap", "type": "PULL"]) == nil)
        #expect(scrape.value("zmq_socket_info", ["socket": "svc", "role": "probe", "type": "REQ"]) == 1)
        #expect(scrape.value("zmq_socket_messages_received_total", ["socket": "svc"]) ?? 0 >= 2)
    }

    @Test func changedBucketsKeepEveryCounter() async throws {
        let timestamp = "    timestamp: {field: t, unit: s}"
        let agent = try await startAgent(Self.jsonTap("ages", labels: "{event: event}", extra: timestamp))
        defer { agent.stop() }
        let peers = try Peers()
        defer { peers.close() }
        try Self.send(4, #"{"event": "a", "t": 1}"#, to: try agent.endpoint("ages"), peers: peers)
        try await agent.expectValues([Expectation("zmq_tap_messages_total", ["socket": "ages", "event": "a"], 4)])
        let endpoint = try agent.endpoint("ages")

        let runner = try agent.runner("ages")
        let updated = try ConfigLoader.parse(Self.jsonTap("ages", labels: "{event: event}", extra: timestamp + "\n    buckets: [1, 2]"))
        agent.apply(updated)
        // Buckets are a tunable: the same runner and socket take them in place.
        try await waitUntil("the tap to take the new buckets") { runner.config == updated.sockets[0] }
        #expect(try agent.runner("ages") === runner)
        #expect(try agent.endpoint("ages") == endpoint)
        let scrape = agent.scrape()
        #expect(scrape.value("zmq_tap_messages_total", ["socket": "ages", "event": "a"]) == 4)
        #expect(scrape.value("zmq_socket_messages_received_total", ["socket": "ages"]) == 4)
        // The histogram has the new buckets, and only them.
        #expect(scrape.samples("zmq_tap_message_age_seconds_bucket", matching: ["socket": "ages"]).map { $0.labels["le"]! } == ["1", "2", "+Inf"])
    }

    @Test func restartsDoNotPileUpOwnership() async throws {
        let base = "sockets:\n" + ReloadTests.tap("one") + "\n" + ReloadTests.tap("two")
        let agent = try await startAgent(base)
        defer { agent.stop() }
        let settled = agent.metrics.ownership
        // Per tap: its socket's, its decoder's and its info's.
        #expect(settled.owners == 6)
        for round in 0..<6 {
            let extra = "    rcvhwm: \(1000 + round)"
            agent.apply(try ConfigLoader.parse("sockets:\n" + ReloadTests.tap("one", extra: extra) + "\n" + ReloadTests.tap("two")))
            try await waitUntil("the restarted socket to be set up") { agent.isReady }
        }
        try await waitUntil("the info series to be published again") { agent.metrics.ownership.holds == settled.holds }
        #expect(agent.metrics.ownership.owners == settled.owners)
    }

    @Test func aProbeWhoseSocketCannotBeMadeCountsErrorsAndIsNotReady() async throws {
        // Room for no socket at all: the probe's socket cannot be created.
        let context = try Context(maxSockets: 1)
        let blocker = try context.socket(.pair)
        defer { blocker.close() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let agent = try Agent(configPath: nil, logger: logger, context: context)
        agent.start(try ConfigLoader.parse("""
            sockets:
              - name: echo
                role: probe
                type: REQ
                connect: ["tcp://127.0.0.1:9"]
                interval: 50ms
                timeout: 50ms
                retries: 0
            """))
        defer { agent.stop() }
        try await agent.waitForValue("zmq_probe_attempts_total", ["socket": "echo", "result": "error"], atLeast: 2)
        #expect(!agent.isReady)
        #expect(agent.scrape().value("zmq_probe_success", ["socket": "echo"]) == 0)
    }

    @Test func aTapPastTheContextsSocketLimitSaysWhichLimit() async throws {
        // Room for one tap (its socket and its monitor's two PAIRs), not two.
        let context = try Context(maxSockets: 4)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let agent = try Agent(configPath: nil, logger: logger, context: context)
        agent.start(try ConfigLoader.parse("sockets:\n" + ReloadTests.tap("one") + "\n" + ReloadTests.tap("two")))
        defer { agent.stop() }
        // Which of the two loses the race for the last slots depends on the loops' order.
        try await waitUntil("a tap to fail for the socket limit") {
            let scrape = agent.scrape()
            return ["one", "two"].contains { (scrape.value("zmq_socket_setup_errors_total", ["socket": $0, "reason": "socket_limit"]) ?? 0) >= 1 }
        }
        let problems = agent.readinessProblems.joined(separator: "\n")
        #expect(problems.contains("--zmq.max-sockets"), "\(problems)")
        #expect(problems.contains("RLIMIT_NOFILE"), "\(problems)")
    }

    @Test func aSocketPastTheLimitSaysWhichLimitsToRaise() {
        // Only a create that fails for the socket limit names the two limits.
        let failure = SetupFailure.of(ZMQError(function: "zmq_socket", errno: EMFILE), action: .create, endpoint: "")
        #expect(failure.reason == "socket_limit")
        #expect(failure.message.contains("--zmq.max-sockets") && failure.message.contains("RLIMIT_NOFILE"), "\(failure.message)")
        let bind = SetupFailure.of(ZMQError(function: "zmq_bind", errno: EMFILE), action: .bind, endpoint: "tcp://127.0.0.1:1")
        #expect(!bind.message.contains("--zmq.max-sockets"))
    }

    @Test func theAgentsContextIsSizedForItsConfiguration() throws {
        let small = try ConfigLoader.parse("sockets:\n" + ReloadTests.tap("one"))
        #expect(Agent.maxSockets(for: small) == Agent.minimumMaxSockets)
        let many = try ConfigLoader.parse("sockets:\n" + (0..<1000).map { ReloadTests.tap("t\($0)") }.joined(separator: "\n"))
        #expect(Agent.maxSockets(for: many) == 12_000)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let agent = try Agent(configPath: nil, logger: logger)
        #expect(agent.context.maxSockets == Agent.minimumMaxSockets)
    }
}

/// The catalog is the one way in: every family checks its labels, and series and collector
/// samples of one family render as one block.
@Suite struct MetricCatalogTests {
    @Test func familiesAreUniqueAndCheckTheirLabels() {
        #expect(Set(MetricCatalog.all.map(\.name)).count == MetricCatalog.all.count)
        for family in MetricCatalog.all {
            #expect(family.accepts(labelNames: family.labels), "\(family.name)")
            #expect(!family.accepts(labelNames: family.labels + ["extra"]) || family.configuredLabels, "\(family.name)")
            #expect(!family.accepts(labelNames: ["other"] + family.labels), "\(family.name)")
        }
        #expect(MetricCatalog.tapMessages.accepts(labelNames: ["socket", "event", "kind"]))
        #expect(!MetricCatalog.tapMessages.accepts(labelNames: ["socket", "event", "event"]))
        #expect(!MetricCatalog.tapMessages.accepts(labelNames: ["event", "socket"]))
    }

    final class FixedCollector: Collector {
        func collect(into samples: inout Samples) {
            samples.add(MetricCatalog.messagesSent, [("socket", "app")], Int64(7))
            samples.addHistogram(MetricCatalog.connectionDuration, [("socket", "app")], bounds: [1, 10], counts: [1, 2, 3], sum: 42.5)
        }
    }

    @Test func collectorSamplesJoinTheirFamilysBlock() {
        let metrics = Metrics()
        metrics.counter(MetricCatalog.messagesSent, [("socket", "own")]).increment(by: 3)
        metrics.register(FixedCollector())
        let text = String(decoding: Exposition(metrics: metrics).render(), as: UTF8.self)
        #expect(text.contains("""
            # HELP zmq_socket_messages_sent_total Messages sent; a multipart message counts once.
            # TYPE zmq_socket_messages_sent_total counter
            zmq_socket_messages_sent_total{socket="own"} 3
            zmq_socket_messages_sent_total{socket="app"} 7

            """))
        #expect(text.contains("""
            zmq_socket_connection_duration_seconds_bucket{socket="app",le="1"} 1
            zmq_socket_connection_duration_seconds_bucket{socket="app",le="10"} 3
            zmq_socket_connection_duration_seconds_bucket{socket="app",le="+Inf"} 6
            zmq_socket_connection_duration_seconds_sum{socket="app"} 42.5
            zmq_socket_connection_duration_seconds_count{socket="app"} 6

            """))
        ExpositionTests.expectOneBlockPerFamily(text.split(separator: "\n"))
    }

    final class PartsCollector: Collector {
        func collect(into samples: inout Samples) {
            samples.appendWriter(MetricCatalog.events, parts: 7) { part, out in
                for line in 0..<500 { out.append(Array("zmq_socket_events_total{socket=\"p\(part)\",event=\"e\(line)\"} \(line)\n".utf8)) }
            }
            samples.appendWriter(MetricCatalog.messagesSent, parts: 1) { _, out in out.append(Array("zmq_socket_messages_sent_total{socket=\"w\"} 1\n".utf8)) }
        }
    }

    /// A writer's parts, written by both rendering threads, come out in order after the
    /// family's own series, one block per family, scrape after scrape.
    @Test func writerPartsFollowTheirFamilysSeriesInOrder() {
        let metrics = Metrics()
        metrics.counter(MetricCatalog.events, [("socket", "own"), ("event", "accepted")]).increment(by: 2)
        metrics.counter(MetricCatalog.messagesSent, [("socket", "own")]).increment(by: 3)
        metrics.register(PartsCollector())
        let exposition = Exposition(metrics: metrics, parallel: true)
        for _ in 0..<20 {
            let text = String(decoding: exposition.render(), as: UTF8.self)
            let lines = text.split(separator: "\n")
            let events = lines.filter { $0.hasPrefix("zmq_socket_events_total") }
            #expect(events.first == "zmq_socket_events_total{socket=\"own\",event=\"accepted\"} 2")
            let written = (0..<7).flatMap { part in (0..<500).map { "zmq_socket_events_total{socket=\"p\(part)\",event=\"e\($0)\"} \($0)" } }
            #expect(events.dropFirst().map(String.init) == written)
            #expect(text.contains("zmq_socket_messages_sent_total{socket=\"own\"} 3\nzmq_socket_messages_sent_total{socket=\"w\"} 1\n"))
            ExpositionTests.expectOneBlockPerFamily(lines)
        }
    }

    @Test func samplesPrintInTheirShortestForm() {
        #expect(TextFormat.sampleText(0.00026013800000000004) == "0.00026013800000000004")
        #expect(TextFormat.sampleText(0.1 + 0.2) == "0.30000000000000004")
        #expect(TextFormat.sampleText(3) == "3")
        #expect(TextFormat.sampleText(-2) == "-2")
        #expect(TextFormat.sampleText(.infinity) == "+Inf")
        #expect(TextFormat.sampleText(.nan) == "NaN")
        #expect(TextFormat.sampleText(1e20) == "1e+20")
    }

    @Test func sameSeriesTwiceIsOneSeries() {
        let metrics = Metrics()
        let owner = MetricOwner("x")
        let a = metrics.counter(MetricCatalog.messagesSent, [("socket", "s")], owner: owner)
        let b = metrics.counter(MetricCatalog.messagesSent, [("socket", "s")], owner: owner)
        #expect(a === b)
        #expect(metrics.ownership.holds == 1)
        metrics.remove(owner: owner)
        #expect(metrics.labelSets(MetricCatalog.messagesSent).isEmpty)
        #expect(metrics.ownership.owners == 0)
    }

    @Test func labelsAreReadBackFromTheSeriesTextWithTheirEscapes() {
        let metrics = Metrics()
        let odd = #"a "quoted" \ back, {braced}="#  + "\nnext line"
        _ = metrics.counter(MetricCatalog.tapMessages, [("socket", "s"), ("kind", odd)])
        _ = metrics.counter(MetricCatalog.tapMessages, [("socket", "s"), ("kind", "")])
        _ = metrics.histogram(MetricCatalog.connectionDuration, [("socket", #"h"i"#)])
        let sets = metrics.labelSets(MetricCatalog.tapMessages)
        #expect(sets.count == 2)
        #expect(sets[0].elementsEqual([("socket", "s"), ("kind", odd)], by: ==), "\(sets[0])")
        #expect(sets[1].elementsEqual([("socket", "s"), ("kind", "")], by: ==), "\(sets[1])")
        let histograms = metrics.labelSets(MetricCatalog.connectionDuration)
        #expect(histograms.count == 1 && histograms[0].elementsEqual([("socket", #"h"i"#)], by: ==), "\(histograms)")
    }

    @Test func aSeriesHeldByTwoOwnersStaysUntilBothLetGo() {
        let metrics = Metrics()
        let (first, second) = (MetricOwner("first"), MetricOwner("second"))
        let shared = metrics.counter(MetricCatalog.messagesSent, [("socket", "s")], owner: first)
        _ = metrics.counter(MetricCatalog.messagesSent, [("socket", "only-first")], owner: first)
        #expect(metrics.counter(MetricCatalog.messagesSent, [("socket", "s")], owner: second) === shared)
        #expect(metrics.ownership.owners == 2 && metrics.ownership.holds == 3)
        // Registered again by each, the last holder and then the other: no second hold.
        _ = metrics.counter(MetricCatalog.messagesSent, [("socket", "s")], owner: second)
        _ = metrics.counter(MetricCatalog.messagesSent, [("socket", "s")], owner: first)
        _ = metrics.counter(MetricCatalog.messagesSent, [("socket", "only-first")], owner: first)
        #expect(metrics.ownership.holds == 3)
        metrics.remove(owner: first)
        #expect(metrics.labelSets(MetricCatalog.messagesSent).map { $0[0].1 } == ["s"])
        metrics.remove(owner: second)
        #expect(metrics.labelSets(MetricCatalog.messagesSent).isEmpty)
        #expect(metrics.ownership.owners == 0 && metrics.ownership.holds == 0)
    }

    @Test func adoptionKeepsWhatTheFilterAcceptsAndRebucketingReplacesAHistogram() {
        let metrics = Metrics()
        let (old, new) = (MetricOwner("old"), MetricOwner("new"))
        let kept = metrics.counter(MetricCatalog.tapMessages, [("socket", "t"), ("kind", "keep")], owner: old)
        kept.increment(by: 7)
        _ = metrics.counter(MetricCatalog.tapMessages, [("socket", "t"), ("kind", "drop")], owner: old)
        let histogram = metrics.histogram(MetricCatalog.probeDuration, [("socket", "t")], buckets: [1, 2], owner: old)
        metrics.adopt(from: old, into: new) { family, labels in
            family == MetricCatalog.probeDuration || labels.contains { $0 == ("kind", "keep") }
        }
        // Registered again with other buckets by its new owner: a new, empty series in its place.
        let rebucketed = metrics.histogram(MetricCatalog.probeDuration, [("socket", "t")], buckets: [5], owner: new)
        #expect(rebucketed !== histogram && rebucketed.bounds == [5])
        metrics.remove(owner: old)
        #expect(metrics.labelSets(MetricCatalog.tapMessages).map { $0[1].1 } == ["keep"])
        #expect(metrics.counter(MetricCatalog.tapMessages, [("socket", "t"), ("kind", "keep")]) === kept)
        #expect(metrics.labelSets(MetricCatalog.probeDuration).count == 1)
        #expect(metrics.ownership.holds == 2)
        metrics.remove(owner: new)
        #expect(metrics.labelSets(MetricCatalog.probeDuration).isEmpty)
        // A lookup without an owner takes no hold: the adopted series went with its last holder.
        #expect(metrics.labelSets(MetricCatalog.tapMessages).isEmpty)
    }

    /// A field added to a socket's config takes part in the reload decision without anyone
    /// remembering to add it to a hand-written `==`.
    @Test func configEqualityIsDerived() {
        var a = TapConfig(socket: EndpointConfig(type: .sub))
        var b = a
        #expect(a == b)
        b.maxSeries = 5
        #expect(a != b)
        b = a
        b.labels = [TapLabel(label: "x", field: "y")]
        #expect(a != b)
        a.labels = [TapLabel(label: "x", field: "z")]
        #expect(a != b)
    }
}

/// A tap's label combinations are bounded as a whole, not only per label.
@Suite struct TapSeriesLimitTests {
    static func decoder(maxSeries: Int, metrics: Metrics) -> TapDecoder {
        var tap = TapConfig(socket: EndpointConfig(type: .pull))
        tap.decodeJSON = true
        tap.labels = [TapLabel(label: "a", field: "a"), TapLabel(label: "b", field: "b"), TapLabel(label: "c", field: "c")]
        tap.maxSeries = maxSeries
        return TapDecoder(config: tap, socketLabel: "t", metrics: metrics, owner: MetricOwner("t"), buckets: SocketConfig.defaultBuckets)
    }

    static func observe(_ decoder: TapDecoder, _ json: String) {
        Array(json.utf8).withUnsafeBytes { decoder.observe(body: $0, now: 0) }
    }

    @Test func combinationsBeyondMaxSeriesCountAsOverflow() {
        let metrics = Metrics()
        let decoder = Self.decoder(maxSeries: 5, metrics: metrics)
        // 20 distinct combinations, each within the per-label limit of 100 values.
        for i in 0..<20 { Self.observe(decoder, #"{"a": "\#(i % 4)", "b": "\#(i / 4)", "c": "x"}"#) }
        // A combination seen before the limit still counts under itself.
        Self.observe(decoder, #"{"a": "0", "b": "0", "c": "x"}"#)
        let sets = metrics.labelSets(MetricCatalog.tapMessages)
        #expect(sets.count == 6)
        let overflow = [("socket", "t"), ("a", "__overflow__"), ("b", "__overflow__"), ("c", "__overflow__")]
        #expect(sets.contains { $0.elementsEqual(overflow, by: ==) })
        #expect(metrics.counter(MetricCatalog.tapMessages, overflow).current == 15)
        #expect(metrics.counter(MetricCatalog.tapMessages, [("socket", "t"), ("a", "0"), ("b", "0"), ("c", "x")]).current == 2)
        #expect(decoder.labelValuesDropped.current == 15)
    }

    @Test func theDefaultBoundIsAThousand() {
        #expect(TapConfig(socket: EndpointConfig(type: .sub)).maxSeries == 1000)
        let metrics = Metrics()
        let decoder = Self.decoder(maxSeries: 1000, metrics: metrics)
        for i in 0..<3000 { Self.observe(decoder, #"{"a": "\#(i % 100)", "b": "\#(i / 100)", "c": "\#(i % 7)"}"#) }
        #expect(metrics.labelSets(MetricCatalog.tapMessages).count == 1001)
    }
}
