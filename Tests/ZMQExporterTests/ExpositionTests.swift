import Glibc
import Posix
import Synchronization
import Testing
@testable import ZMQExporter

/// The exposition rendered on two threads says what one thread says, one block per family,
/// under concurrent scrapes too; the helper thread ends with its exposition.
@Suite struct ExpositionTests {
    /// A registry with the shape of many sockets: counters, gauges and histograms in several families.
    static func populated(sockets: Int) -> Metrics {
        let metrics = Metrics()
        for i in 0..<sockets {
            let socket = "s\(i)"
            for event in ["accepted", "connected", "disconnected"] {
                metrics.counter(MetricCatalog.events, [("socket", socket), ("event", event)]).increment(by: Int64(i))
            }
            metrics.gauge(MetricCatalog.connections, [("socket", socket)]).set(Double(i % 7))
            metrics.counter(MetricCatalog.messagesReceived, [("socket", socket)]).increment(by: Int64(i * 3))
            metrics.histogram(MetricCatalog.connectionDuration, [("socket", socket)]).record(Double(i) / 10)
        }
        return metrics
    }

    /// The exposition without the lines that change between two renders (timings, /proc).
    static func stableLines(_ bytes: [UInt8]) -> [Substring] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { line in
            !line.contains("zmq_exporter_scrape_render_seconds") && !line.contains("process_")
        }
    }

    @Test func twoThreadsRenderWhatOneDoes() throws {
        let metrics = Self.populated(sockets: 300)
        let sequential = Exposition(metrics: metrics, parallel: false)
        let parallel = Exposition(metrics: metrics, parallel: true)
        let one = Self.stableLines(sequential.render())
        let two = Self.stableLines(parallel.render())
        #expect(one.count >= 300 * 11)
        #expect(one.sorted() == two.sorted())
        Self.expectOneBlockPerFamily(two)
    }

    @Test func concurrentScrapesAllGetTheWholeExposition() throws {
        let metrics = Self.populated(sockets: 100)
        let exposition = Exposition(metrics: metrics, parallel: true)
        let expected = Self.stableLines(exposition.render()).sorted()
        let mismatches = Atomic<Int>(0)
        let threads = 4
        let done = Atomic<Int>(0)
        for _ in 0..<threads {
            try Thread.detach(name: "scraper") {
                for _ in 0..<20 where Self.stableLines(exposition.render()).sorted() != expected {
                    mismatches.add(1, ordering: .relaxed)
                }
                done.add(1, ordering: .releasing)
            }
        }
        // Generous: under ThreadSanitizer on a loaded machine 4 x 20 renders took over a minute.
        let deadline = ContinuousClock.now + .seconds(300)
        while done.load(ordering: .acquiring) < threads, ContinuousClock.now < deadline { Thread.sleep(.milliseconds(5)) }
        #expect(done.load(ordering: .acquiring) == threads)
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }

    @Test func theHelperThreadEndsWithItsExposition() throws {
        var exposition: Exposition? = Exposition(metrics: Self.populated(sockets: 10), parallel: true)
        let helper = try #require(exposition?.helper)
        _ = exposition?.render()
        let runningAtFirst = helper.running.load(ordering: .acquiring)
        #expect(runningAtFirst)
        exposition = nil
        let deadline = ContinuousClock.now + .seconds(10)
        while helper.running.load(ordering: .acquiring), ContinuousClock.now < deadline { Thread.sleep(.milliseconds(5)) }
        let runningAtEnd = helper.running.load(ordering: .acquiring)
        #expect(!runningAtEnd)
    }

    /// Each family's HELP once, and its samples right after it, not split by another family.
    static func expectOneBlockPerFamily(_ lines: [Substring]) {
        var seen = Set<Substring>()
        var current: Substring?
        for line in lines {
            if line.hasPrefix("# HELP ") {
                let name = line.split(separator: " ")[2]
                #expect(!seen.contains(name), "\(name) appears twice")
                seen.insert(name)
                current = name
            } else if !line.hasPrefix("#"), let current {
                #expect(line.hasPrefix(current), "\(line) inside the block of \(current)")
            }
        }
    }
}
