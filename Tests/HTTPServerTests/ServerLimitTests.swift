import Foundation
import Glibc
import Synchronization
import Testing
@testable import HTTPServer

/// Each limit over a real socket: the right status, a short text body, `Connection: close`, then EOF.
@Suite struct ServerLimitTests {
    func expectRefusal(_ response: TestResponse, _ status: Int, _ client: TestClient) {
        #expect(response.status == status)
        #expect(response.headers["connection"] == "close")
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(!response.body.isEmpty && response.body.count < 200)
        #expect(client.waitForClose(), "connection must close after \(status)")
    }

    @Test func slowHeadersGet408ThenClose() throws {
        let limits = Limits(headerReadTimeout: .milliseconds(300))
        let (server, port) = try startServer(limits: limits)
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n")
        let started = Date()
        expectRefusal(try client.readResponse(), 408, client)
        #expect(Date().timeIntervalSince(started) >= 0.25)
        #expect(server.statistics.requestsByStatus[408] == 1)
    }

    @Test func slowBodyGets408() throws {
        let limits = Limits(bodyReadTimeout: .milliseconds(300))
        let (server, port) = try startServer(limits: limits)
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        expectRefusal(try client.readResponse(), 408, client)
    }

    @Test func silentNewConnectionIsClosedWithoutAResponse() throws {
        let (server, port) = try startServer(limits: Limits(headerReadTimeout: .milliseconds(200)))
        defer { server.stop() }
        let client = try TestClient(port: port)
        #expect(try client.receive() == [])
    }

    @Test func idleKeepAliveConnectionIsClosedAfterIdleTimeout() throws {
        let (server, port) = try startServer(limits: Limits(idleTimeout: .milliseconds(300)))
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let started = Date()
        #expect(try client.receive() == [])
        #expect(Date().timeIntervalSince(started) >= 0.25)
        #expect(waitUntil { server.statistics.openConnections == 0 })
    }

    @Test func bodyAtLimitIsServedAndOneOverGets413() throws {
        let (server, port) = try startServer(limits: Limits(maxBodyBytes: 1000))
        defer { server.stop() }
        let client = try TestClient(port: port)
        let body = String(repeating: "x", count: 1000)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + body)
        #expect(try client.readResponse().body.count == 1000)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n" + body + "x")
        expectRefusal(try client.readResponse(), 413, client)
    }

    @Test func requestLineAtLimitIsServedAndOneOverGets414() throws {
        let (server, port) = try startServer(limits: Limits(maxRequestLineBytes: 100))
        defer { server.stop() }
        func line(_ length: Int) -> String {
            let fixed = "GET /hello? HTTP/1.1".utf8.count
            return "GET /hello?" + String(repeating: "q", count: length - fixed) + " HTTP/1.1\r\nHost: t\r\n\r\n"
        }
        let client = try TestClient(port: port)
        try client.send(line(100))
        #expect(try client.readResponse().status == 200)
        try client.send(line(101))
        expectRefusal(try client.readResponse(), 414, client)
    }

    @Test func headersAtLimitAreServedAndOneOverGets431() throws {
        let (server, port) = try startServer(limits: Limits(maxHeaderBytes: 200, maxHeaderCount: 4))
        defer { server.stop() }
        func request(headerBytes: Int) -> String {
            let fixed = "Host: t\r\nX: \r\n".utf8.count
            return "GET /hello HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "v", count: headerBytes - fixed) + "\r\n\r\n"
        }
        let client = try TestClient(port: port)
        try client.send(request(headerBytes: 200))
        #expect(try client.readResponse().status == 200)
        try client.send(request(headerBytes: 201))
        expectRefusal(try client.readResponse(), 431, client)

        let counted = try TestClient(port: port)
        try counted.send("GET /hello HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
        #expect(try counted.readResponse().status == 200)
        try counted.send("GET /hello HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")
        expectRefusal(try counted.readResponse(), 431, counted)
    }

    @Test func http2PrefaceGets505() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        expectRefusal(try client.readResponse(), 505, client)
    }

    @Test func garbageGets400() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\u{0}\u{1}\u{fc}\u{3}\u{3}\r\n\r\n")
        expectRefusal(try client.readResponse(), 400, client)
    }

    @Test func connectionsOverTheLimitGet503() throws {
        let (server, port) = try startServer(limits: Limits(maxConnections: 3))
        defer { server.stop() }
        var open: [TestClient] = []
        for _ in 0..<3 {
            let client = try TestClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            open.append(client)
        }
        let extra = try TestClient(port: port)
        try extra.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        expectRefusal(try extra.readResponse(), 503, extra)
        open.removeLast().close()
        #expect(waitUntil { server.statistics.openConnections == 2 })
        let again = try TestClient(port: port)
        try again.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try again.readResponse().status == 200)
    }

    @Test func handlerCallsOverMaxRequestsGet503AtOnce() throws {
        let release = Atomic<Bool>(false)
        let entered = Atomic<Int>(0)
        let (server, port) = try startServer(maxConcurrentHandlers: 1) { server in
            server.addRoute("/slow") { _ in
                entered.add(1, ordering: .relaxed)
                _ = waitUntil(10) { release.load(ordering: .relaxed) }
                return .text("done")
            }
        }
        defer { server.stop() }
        let busy = try TestClient(port: port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(waitUntil { entered.load(ordering: .relaxed) == 1 })
        #expect(server.statistics.handlersInFlight == 1)
        let refused = try TestClient(port: port, timeout: 3)
        try refused.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        expectRefusal(try refused.readResponse(), 503, refused)
        release.store(true, ordering: .relaxed)
        #expect(try busy.readResponse().text == "done")
        #expect(waitUntil { server.statistics.handlersInFlight == 0 })
    }
}
