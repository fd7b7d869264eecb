import Testing
@testable import ZMQExporter

/// The landing page's history, checked against a plain list of every sample.
@Suite struct HistoryTests {
    static func recorder(_ label: String, _ metrics: Metrics) -> MonitorRecorder {
        MonitorRecorder(metrics: SocketMetrics(metrics: metrics, label: label, owner: MetricOwner(label)))
    }

    @Test func runsOfEqualSamplesReadBackAsEverySampleInOrder() {
        let metrics = Metrics()
        let busy = Self.recorder("busy", metrics), idle = Self.recorder("idle", metrics), bursty = Self.recorder("bursty", metrics)
        let late = Self.recorder("late", metrics)
        let history = History()
        var expected: [String: [History.Sample]] = [:]
        for step in 0..<150 {
            busy.metrics.totalMessagesIn.add(step + 1, ordering: .relaxed)
            if step % 17 < 3 { bursty.metrics.totalBytesOut.add(1000, ordering: .relaxed) }
            var recorders = [busy, idle, bursty]
            // A socket that comes and goes starts its history again.
            if (40..<70).contains(step) || step >= 100 { recorders.append(late) } else { expected["late"] = nil }
            let now = 1000 + Double(step) * 5.25
            history.sample(recorders, now: now)
            for recorder in recorders {
                let t = recorder.metrics.totals
                expected[recorder.metrics.label, default: []].append(History.Sample(
                    time: now, messagesIn: t.messagesIn, bytesIn: t.bytesIn, messagesOut: t.messagesOut, bytesOut: t.bytesOut,
                    connections: 0))
                if expected[recorder.metrics.label]!.count > History.keep { expected[recorder.metrics.label]!.removeFirst() }
            }
            for label in ["busy", "idle", "bursty", "late"] {
                let got = history.samples(for: label)
                let want = expected[label] ?? []
                #expect(got.map(\.time) == want.map(\.time), "\(label) at step \(step)")
                #expect(got.map(\.messagesIn) == want.map(\.messagesIn) && got.map(\.bytesOut) == want.map(\.bytesOut), "\(label) at step \(step)")
            }
        }
        #expect(history.samples(for: "idle").count == History.keep)
        #expect(history.runCount(for: "idle") == 1)
        #expect(history.runCount(for: "busy") == History.keep)
        let rates = try? #require(history.rates(for: "busy"))
        // 12 intervals of 5.25 s back from the last step: messages grew by steps 138...149 + 1.
        #expect(rates.map { abs($0.messagesIn - Double((139...150).reduce(0, +)) / 63) < 1e-9 } == true)
    }
}
