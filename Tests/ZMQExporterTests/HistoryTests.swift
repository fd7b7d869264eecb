import Testing
@testable import ZMQExporter

/// The landing page's history, checked against a plain list of every sample.
@Suite struct HistoryTests {
    static func recorder(_ label: String, _ metrics: Metrics) -> MonitorRecorder {
        MonitorRecorder(metrics: SocketMetrics(metrics: metrics, label: label, owner: MetricOwner(label)))
    }

    /// Every field of a sample, so that a field read back from the wrong place shows.
    static func fields(_ sample: History.Sample) -> [Double] {
        [sample.time, Double(sample.messagesIn), Double(sample.bytesIn), Double(sample.messagesOut), Double(sample.bytesOut),
         Double(sample.connections), Double(sample.handshakeFailures), Double(sample.sendFailures)]
    }

    @Test func runsOfEqualSamplesReadBackAsEverySampleInOrder() throws {
        let metrics = Metrics()
        let busy = Self.recorder("busy", metrics), idle = Self.recorder("idle", metrics), bursty = Self.recorder("bursty", metrics)
        let late = Self.recorder("late", metrics)
        let history = History()
        var expected: [String: [History.Sample]] = [:]
        for step in 0..<150 {
            busy.metrics.totalMessagesIn.add(step + 1, ordering: .relaxed)
            if step % 17 < 3 { bursty.metrics.totalBytesOut.add(1000, ordering: .relaxed) }
            if step % 23 == 5 {
                bursty.metrics.totalBytesIn.add(7, ordering: .relaxed)
                bursty.metrics.totalMessagesOut.add(3, ordering: .relaxed)
                bursty.metrics.totalHandshakeFailures.add(1, ordering: .relaxed)
                bursty.metrics.sendError.increment()
            }
            var recorders = [busy, idle, bursty]
            // A socket that comes and goes starts its history again.
            if (40..<70).contains(step) || step >= 100 { recorders.append(late) } else { expected["late"] = nil }
            let now = 1000 + Double(step) * 5.25
            history.sample(recorders, now: now)
            for recorder in recorders {
                let t = recorder.metrics.totals
                expected[recorder.metrics.label, default: []].append(History.Sample(
                    time: now, messagesIn: t.messagesIn, bytesIn: t.bytesIn, messagesOut: t.messagesOut, bytesOut: t.bytesOut,
                    connections: 0, handshakeFailures: recorder.metrics.totalHandshakeFailures.load(ordering: .relaxed),
                    sendFailures: recorder.metrics.totalSendFailures))
                if expected[recorder.metrics.label]!.count > History.keep { expected[recorder.metrics.label]!.removeFirst() }
            }
            for label in ["busy", "idle", "bursty", "late"] {
                let got = history.samples(for: label)
                let want = expected[label] ?? []
                #expect(got.map(Self.fields) == want.map(Self.fields), "\(label) at step \(step)")
            }
        }
        #expect(history.samples(for: "idle").count == History.keep)
        #expect(history.runCount(for: "idle") == 1)
        #expect(history.runCount(for: "busy") == History.keep)
        let rates = try #require(history.rates(for: "busy"))
        // 12 intervals of 5.25 s back from the last step: messages grew by steps 138...149 + 1.
        #expect(abs(rates.messagesIn - Double((139...150).reduce(0, +)) / 63) < 1e-9)
        #expect(history.recentFailures(for: bursty) == (handshake: 3, send: 3))
    }
}
