import Glibc
import Posix
import Synchronization
import Testing
@testable import ZMQExporter
@testable import ZMQExporterDemo

/// The small system helpers that stand in for Foundation: the texts they make must stay the ones
/// the landing page, the log and the demo have always shown.
@Suite struct SupportTests {
    @Test func printfFormatsRoundAsPrintfDoes() {
        #expect(String(cFormat: "%.1f", 0.25) == "0.2")
        #expect(String(cFormat: "%.0f", 2.5) == "2")
        #expect(String(cFormat: "%.0f", 3.5) == "4")
        #expect(String(cFormat: "%.2f", 1.005) == "1.00")
        #expect(String(cFormat: "%02d:%02d", Int32(7), Int32(45)) == "07:45")
        #expect(String(cFormat: "\\u%04x", UInt32(0x1f)) == "\\u001f")
        // Longer than the first buffer: the text is made again at its full length.
        let long = String(cFormat: "%.0f", 1e300)
        #expect(long == "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160")
    }

    @Test func landingPageNumbers() {
        #expect(LandingPage.number(1234) == "1.2k")
        #expect(LandingPage.number(5) == "5.00")
        #expect(LandingPage.number(14.5) == "14")
        #expect(LandingPage.number(15.5) == "16")
        #expect(LandingPage.bytes(2_000_000) == "1.9 MiB")
        #expect(LandingPage.bytes(1536) == "1.5 KiB")
        #expect(LandingPage.bytes(12) == "12 B")
        #expect(LandingPage.duration(0.0005) == "500 µs")
        #expect(LandingPage.duration(0.0123) == "12.3 ms")
        #expect(LandingPage.duration(2) == "2.00 s")
    }

    @Test func utcTimes() {
        #expect(LandingPage.clockTime(0) == "00:00:00")
        #expect(LandingPage.clockTime(1_700_000_000.999) == "22:13:20")
        #expect(WallClock.iso8601(1_700_000_000.999) == "2023-11-14T22:13:20Z")
        #expect(WallClock.iso8601(951_782_400) == "2000-02-29T00:00:00Z")
        let now = WallClock.now()
        #expect(now > 1_700_000_000 && now < 4_000_000_000)
    }

    @Test func controlCharactersInLogValues() {
        #expect(ExporterLogHandler.jsonString("a\u{01}b\u{1f}\n") == "\"a\\u0001b\\u001f\\n\"")
        #expect(ExporterLogHandler.logfmtValue("two words") == "\"two words\"")
    }

    @Test func demoPlaceholdersAndTaskIDs() {
        let endpoints = DemoEndpoints(base: 20000)
        #expect(endpoints.render("a tcp://127.0.0.1:15550 b tcp://127.0.0.1:15550 tcp://127.0.0.1:15555")
                == "a tcp://127.0.0.1:20000 b tcp://127.0.0.1:20000 tcp://127.0.0.1:20005")
        // Moved once: base 15551 puts tasks frontend on 15551, which is not moved again to 15552.
        #expect(DemoEndpoints(base: 15551).render("tcp://127.0.0.1:15550 tcp://127.0.0.1:15551")
                == "tcp://127.0.0.1:15551 tcp://127.0.0.1:15552")
        #expect(endpoints.render("tcp://127.0.0.1:15556") == "tcp://127.0.0.1:20006")
        #expect(endpoints.collectorBind == "tcp://127.0.0.1:20007")
        let file = DemoConfigFile(text: "tcp://127.0.0.1:15551 ${NOPE} ${NOPE} ${ALSO", source: "test")
        #expect(file.unknownPlaceholders == ["${NOPE}"])
        #expect(PipelineWorker.taskID("{\"id\":42,\"work\":3}") == 42)
        #expect(PipelineWorker.taskID("{\"task\":1}") == nil)
    }

    @Test func demoConfigCandidates() {
        #expect(DemoConfigFile.candidates(workingDirectory: "/w", executablePath: "/no/such/a/b/c/bin/zmq-exporter") == [
            "/w/examples/demo.yml", "/no/such/a/b/c/examples/demo.yml", "/no/such/a/b/examples/demo.yml",
            "/no/such/a/examples/demo.yml", "/no/such/examples/demo.yml",
        ])
        #expect(DemoConfigFile.candidates(workingDirectory: "/", executablePath: "/no-such-dir/zmq-exporter") == ["/examples/demo.yml"])
        #expect(DemoConfigFile.candidates(workingDirectory: "/w", executablePath: nil) == ["/w/examples/demo.yml"])
        #expect(DemoConfigFile.executablePath()?.hasPrefix("/") == true)
    }

    @Test func pathParents() {
        #expect(Path.parent("/a/b/c") == "/a/b")
        #expect(Path.parent("/a/b/") == "/a")
        #expect(Path.parent("/a") == "/")
        #expect(Path.parent("/") == "/")
        #expect(Path.join("/", "x") == "/x")
        #expect(Path.join("/a", "x/y") == "/a/x/y")
        #expect(Path.realPath("/proc/self/exe")?.hasPrefix("/") == true)
        #expect(Path.currentDirectory()?.hasPrefix("/") == true)
    }

    @Test func filesAreReadWhole() throws {
        let stat = try #require(Files.readText("/proc/self/status"))
        #expect(stat.hasPrefix("Name:") && stat.contains("FDSize:"))
        #expect(Files.read("/no/such/file") == nil)
        #expect(Files.read("/proc") == nil)
    }

    @Test func procNumbersLoseTheirBlanks() {
        #expect(ProcessMetrics.trimmingBlanks(" \t 1024\t ") == "1024")
        #expect(ProcessMetrics.trimmingBlanks("\t") == "")
        #expect(ProcessMetrics.trimmingBlanks("1 2") == "1 2")
    }

    @Test func textFilesLoseTheirByteOrderMark() throws {
        let path = "/tmp/zmq-exporter-support-test-\(getpid()).txt"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF, 0x61, 0xC3, 0xA9]
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        close(fd)
        #expect(Files.readText(path) == "aé")
        #expect(Files.read(path) == bytes)
    }

    @Test func tickerCallsUntilStopped() throws {
        let calls = Atomic<Int>(0)
        let ticker = try Ticker(name: "ticker-test", every: .milliseconds(10)) {
            calls.add(1, ordering: .relaxed)
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while calls.load(ordering: .relaxed) < 3 && ContinuousClock.now < deadline { Thread.sleep(.milliseconds(5)) }
        ticker.stop()
        let stopped = calls.load(ordering: .relaxed)
        #expect(stopped >= 3)
        Thread.sleep(.milliseconds(50))
        #expect(calls.load(ordering: .relaxed) == stopped)
    }

}
