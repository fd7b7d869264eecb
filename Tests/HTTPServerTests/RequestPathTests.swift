import Testing
@testable import HTTPServer

/// Paths are matched the way Go's net/http matches them: decoded, cleaned, redirected when
/// they were not clean, refused when an escape is broken.
@Suite struct RequestPathTests {
    @Test(arguments: [
        ("/metrics", RequestPath.Outcome.canonical("/metrics")),
        ("/%6Detrics", .canonical("/metrics")),
        ("/%6detrics", .canonical("/metrics")),
        ("/a%20b/", .canonical("/a b/")),
        ("/", .canonical("/")),
        ("//metrics", .redirect("/metrics")),
        ("/./metrics", .redirect("/metrics")),
        ("/a/../metrics", .redirect("/metrics")),
        ("/../../metrics", .redirect("/metrics")),
        ("/metrics/.", .redirect("/metrics")),
        ("/metrics//", .redirect("/metrics/")),
        ("/%2E%2E/metrics", .redirect("/metrics")),
        ("/%zz", .invalid("invalid URL escape in \"/%zz\"")),
        ("/metrics%", .invalid("invalid URL escape in \"/metrics%\"")),
        ("/metrics%4", .invalid("invalid URL escape in \"/metrics%4\"")),
    ])
    func resolves(_ raw: String, _ expected: RequestPath.Outcome) {
        #expect(RequestPath.resolve(raw) == expected)
    }

    @Test func locationsAreEscapedAgain() {
        #expect(RequestPath.escaped("/a b/ü?") == "/a%20b/%C3%BC%3F")
        #expect(RequestPath.escaped("/metrics") == "/metrics")
    }

    @Test func theServerDecodesRedirectsAndRefusesAsGoDoes() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /%68ello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().text == "hello\n")

        try client.send("GET //hello?x=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        let moved = try client.readResponse()
        #expect(moved.status == 301)
        #expect(moved.headers["location"] == "/hello?x=1")
        #expect(moved.headers["connection"] == nil, "a redirect keeps the connection")
        try client.send("GET /a/../hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().headers["location"] == "/hello")

        try client.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n")
        let options = try client.readResponse()
        #expect(options.status == 200)
        #expect(options.headers["content-length"] == "0")
        #expect(options.headers["allow"] == "GET, HEAD, OPTIONS, POST")

        // A HEAD that gets a server-made answer gets no body either: the next response follows the head.
        try client.send("HEAD /missing HTTP/1.1\r\nHost: t\r\n\r\n")
        let missing = try client.readResponse(head: true)
        #expect(missing.status == 404)
        #expect(missing.headers["connection"] == "close")
        var after: [UInt8] = []
        while let bytes = try? client.receive(), !bytes.isEmpty { after += bytes }
        #expect(after.isEmpty, "body bytes after a HEAD's head: \(after.count)")

        let other = try TestClient(port: port)
        try other.send("GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n")
        let bad = try other.readResponse()
        #expect(bad.status == 400)
        #expect(bad.text == "invalid URL escape in \"/%zz\"\n")
    }
}
