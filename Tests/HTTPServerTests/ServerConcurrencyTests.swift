import Foundation
import Glibc
import Posix
import Synchronization
import Testing
@testable import HTTPServer

@Suite struct ServerConcurrencyTests {
    @Test func scrapeAnswersInTimeWhileTwoHundredConnectionsIdle() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        var idle: [TestClient] = []
        for index in 0..<200 {
            let client = try TestClient(port: port)
            // Half say nothing, half stall in the middle of their headers (slowloris).
            if index % 2 == 1 { try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Partial: ") }
            idle.append(client)
        }
        #expect(waitUntil { server.statistics.openConnections == 200 })
        let scraper = try TestClient(port: port, timeout: 5)
        let started = Date()
        try scraper.send("GET /big?300000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try scraper.readResponse()
        #expect(response.body.count == 300_000)
        // Without the event loop this would hang for the 10 s header timeout; 5 s leaves room for
        // a loaded machine under ThreadSanitizer and still tells the two apart.
        #expect(Date().timeIntervalSince(started) < 5)
        withExtendedLifetime(idle) {}
    }

    @Test func slowReaderOfALargeBodyDoesNotStallOthersAndGetsEveryByte() throws {
        let size = 10 << 20
        let (server, port) = try startServer()
        defer { server.stop() }
        let slow = try TestClient(port: port, timeout: 20, receiveBuffer: 4096)
        try slow.send("GET /big?\(size) HTTP/1.1\r\nHost: t\r\n\r\n")
        var received = try slow.receive(max: 1)

        // While the slow client reads one byte per millisecond, others are served promptly.
        let fast = try TestClient(port: port, timeout: 5)
        var slowest = 0.0
        for _ in 0..<100 {
            received += try slow.receive(max: 1)
            usleep(1000)
            let started = Date()
            try fast.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try fast.readResponse().status == 200)
            slowest = max(slowest, Date().timeIntervalSince(started))
        }
        // Blocked behind the slow reader, a request would wait for it (seconds); 5 s allows for a
        // loaded machine under ThreadSanitizer.
        #expect(slowest < 5, "slowest fast request took \(slowest) s")

        // Then the slow client drains the rest: nothing was truncated.
        while true {
            let chunk = try slow.receive(max: 1 << 20)
            received += chunk
            guard let end = received.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
            if received.count - end.upperBound >= size { break }
            #expect(!chunk.isEmpty, "connection closed early")
            if chunk.isEmpty { return }
        }
        let end = try #require(received.firstRange(of: Array("\r\n\r\n".utf8)))
        #expect(String(decoding: received[..<end.lowerBound], as: UTF8.self).contains("Content-Length: \(size)"))
        #expect(Array(received[end.upperBound...]) == TestBodies.pattern(size))
    }

    @Test func clientsVanishingMidResponseAreCleanedUpQuietly() throws {
        let capture = LogCapture()
        let (server, port) = try startServer(capture: capture)
        defer { server.stop() }
        for _ in 0..<20 {
            // A generous timeout: under ThreadSanitizer on a loaded 2-core machine the first bytes of
            // a 4-MiB body have taken over 10 s.
            let client = try TestClient(port: port, timeout: 60, receiveBuffer: 4096)
            try client.send("GET /big?\(4 << 20) HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try client.receive(max: 1000)
            // Reset instead of FIN: the server's next write fails with ECONNRESET or EPIPE.
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            client.close()
        }
        #expect(waitUntil { server.statistics.openConnections == 0 })
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(capture.count(atLeast: .warning) == 0, "\(capture.messages.filter { !$0.hasPrefix("debug") })")
        #expect(capture.messages.contains { $0.hasPrefix("debug: client went away") })
    }

    @Test func gracefulStopFinishesInFlightResponses() throws {
        let release = Locked(false)
        let (server, port) = try startServer { server in
            server.addRoute("/slow") { _ in
                _ = waitUntil(10) { release.withLock { $0 } }
                return .text("finished")
            }
        }
        defer { release.withLock { $0 = true } }
        let client = try TestClient(port: port)
        try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(waitUntil { server.statistics.handlersInFlight == 1 })
        let idle = try TestClient(port: port)
        #expect(waitUntil { server.statistics.openConnections == 2 })
        let stopper = Thread { server.stop(gracePeriod: .seconds(5)) }
        stopper.start()
        // Once new connections are refused the loop is stopping; only then may the handler finish.
        #expect(waitUntil { (try? TestClient(port: port)) == nil })
        release.withLock { $0 = true }
        let response = try client.readResponse()
        #expect(response.text == "finished")
        #expect(response.headers["connection"] == "close")
        #expect(idle.waitForClose())
        #expect(waitUntil { stopper.isFinished })
    }

    @Test func stopGivesUpOnAHungHandlerAfterTheGracePeriod() throws {
        let release = Atomic<Bool>(false)
        let (server, port) = try startServer { server in
            server.addRoute("/hang") { _ in
                _ = waitUntil(10) { release.load(ordering: .relaxed) }
                return .text("late")
            }
        }
        defer { release.store(true, ordering: .relaxed) }
        let client = try TestClient(port: port)
        try client.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(waitUntil { server.statistics.handlersInFlight == 1 })
        let started = Date()
        server.stop(gracePeriod: .milliseconds(200))
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(client.waitForClose())
    }

    @Test func manyConcurrentClientsAllGetTheirAnswers() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            do {
                let client = try TestClient(port: port)
                for _ in 0..<50 {
                    try client.send("GET /big?3000 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
                    let response = try client.readResponse()
                    if try response.status != 200 || gunzip(response.body) != TestBodies.pattern(3000) {
                        failures.add(1, ordering: .relaxed)
                    }
                }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(server.statistics.requestsByStatus[200] == 800)
    }

    @Test func aClientStreamingALargeBodyDoesNotStarveOthers() throws {
        let (server, port) = try startServer(limits: Limits(maxBodyBytes: 8 << 20))
        defer { server.stop() }
        let body = [UInt8](repeating: UInt8(ascii: "s"), count: 8 << 20)
        let streamer = try TestClient(port: port, timeout: 20)
        let sent = Locked(false)
        let fd = streamer.fd
        let request = Array("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        let thread = Thread {
            var offset = 0
            while offset < request.count {
                let count = request[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if count <= 0 { break }
                offset += count
            }
            sent.withLock { $0 = offset == request.count }
        }
        thread.start()
        let other = try TestClient(port: port, timeout: 5)
        for _ in 0..<20 {
            try other.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try other.readResponse().status == 200)
        }
        #expect(try streamer.readResponse().body.count == body.count)
        #expect(waitUntil { sent.withLock { $0 } })
    }
}
