import Foundation
import Testing
@testable import HTTPServer

/// The real clients Prometheus users point at an exporter: curl, wrk and Python's http.client.
@Suite struct ExternalClientTests {
    @Test(.enabled(if: isInstalled("curl")))
    func curlGetsPlainGzipHeadAndPost() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let base = "http://127.0.0.1:\(port)"

        let plain = try runProcess("curl", ["-sS", "--fail", "\(base)/big?200000"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(Array(plain.stdout) == TestBodies.pattern(200_000))

        let gzip = try runProcess("curl", ["-sS", "--fail", "--compressed", "-D", "/dev/stderr", "\(base)/big?200000"])
        #expect(gzip.status == 0)
        #expect(gzip.stderr.lowercased().contains("content-encoding: gzip"))
        #expect(Array(gzip.stdout) == TestBodies.pattern(200_000))

        let head = try runProcess("curl", ["-sS", "--fail", "-I", "\(base)/big?5000"])
        #expect(head.status == 0)
        #expect(head.output.contains("Content-Length: 5000"))

        let post = try runProcess("curl", ["-sS", "--fail", "--data-binary", "@-", "\(base)/echo"], stdin: "posted body")
        #expect(post.output == "posted body")

        let chunked = try runProcess("curl", [
            "-sS", "--fail", "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue",
            "--data-binary", "@-", "\(base)/echo",
        ], stdin: String(repeating: "z", count: 100_000))
        #expect(chunked.status == 0, "\(chunked.stderr)")
        #expect(chunked.stdout.count == 100_000)

        let missing = try runProcess("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "\(base)/missing"])
        #expect(missing.output == "404")
    }

    @Test(.enabled(if: isInstalled("curl")))
    func curlReusesTheConnection() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(port)/hello"
        let result = try runProcess("curl", ["-sS", "-v", "--fail", url, url, url])
        #expect(result.status == 0)
        #expect(result.output == "hello\nhello\nhello\n")
        #expect(result.stderr.contains("Re-using existing connection") || result.stderr.contains("Reusing existing"))
    }

    @Test(.enabled(if: isInstalled("wrk")))
    func wrkRunsWithoutErrors() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let result = try runProcess("wrk", ["-t2", "-c16", "-d2s", "http://127.0.0.1:\(port)/big?2000"], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.output.contains("Socket errors"), "\(result.output)")
        #expect(!result.output.contains("Non-2xx"), "\(result.output)")
        let line = result.output.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }
        let rate = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        // Requests went through; how fast is make bench's business, not a test's.
        #expect(rate > 0, "\(result.output)")
        #expect(server.statistics.requestsByStatus.keys.sorted() == [200])
    }

    @Test(.enabled(if: isInstalled("python3")))
    func pythonHTTPClientTalksToIt() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let script = """
        import gzip, http.client
        conn = http.client.HTTPConnection("127.0.0.1", \(port), timeout=10)
        for i in range(100):
            conn.request("GET", "/hello")
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b"hello\\n", i
        sock = conn.sock
        conn.request("HEAD", "/big?5000")
        r = conn.getresponse()
        assert r.getheader("Content-Length") == "5000" and r.read() == b""
        conn.request("GET", "/big?50000", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        assert r.getheader("Content-Encoding") == "gzip"
        body = gzip.decompress(r.read())
        assert len(body) == 50000, len(body)
        conn.request("POST", "/echo", body=b"x" * 1000)
        r = conn.getresponse()
        assert r.read() == b"x" * 1000
        assert conn.sock is sock, "connection was not kept alive"
        conn.request("PUT", "/hello")
        r = conn.getresponse()
        assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"
        r.read()
        print("ok")
        """
        let result = try runProcess("python3", ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output == "ok\n")
    }
}
