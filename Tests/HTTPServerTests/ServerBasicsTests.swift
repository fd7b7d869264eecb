import CZlib
import Foundation
import Glibc
import Testing
@testable import HTTPServer

@Suite struct ServerBasicsTests {
    @Test func keepAliveServesAThousandSequentialRequestsOnOneConnection() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        for index in 0..<1000 {
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200, "request \(index)")
            #expect(response.text == "hello\n")
            #expect(response.headers["connection"] == nil)
        }
        #expect(server.statistics.requestsByStatus[200] == 1000)
    }

    @Test func tenPipelinedRequestsInOneWriteAreAnsweredInOrder() throws {
        let (server, port) = try startServer { server in
            server.addRoute("/n") { request in .text("n=\(request.query)") }
        }
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send((0..<10).map { "GET /n?\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        for index in 0..<10 {
            let response = try client.readResponse()
            #expect(response.text == "n=\(index)")
        }
    }

    @Test func headGetsTheSameHeadersWithoutABody() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /big?5000 HTTP/1.1\r\nHost: t\r\n\r\n")
        let get = try client.readResponse()
        try client.send("HEAD /big?5000 HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "5000")
        #expect(head.headers["content-type"] == get.headers["content-type"])
        #expect(head.headers["vary"] == get.headers["vary"])
        // The next response starts right after the head: no body bytes were sent for HEAD.
        #expect(try client.readResponse().text == "hello\n")
    }

    @Test func responsesCarryDateContentTypeAndLength() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(response.headers["content-length"] == "6")
        let date = try #require(response.headers["date"])
        #expect(date.hasSuffix(" GMT") && date.count == 29, "\(date)")
        #expect(response.headers["transfer-encoding"] == nil)
    }

    @Test func unknownPathGets404AndClose() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.headers["connection"] == "close")
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(client.waitForClose())
    }

    @Test func otherMethodGets405WithAllow() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET, HEAD")
        #expect(response.headers["connection"] == "close")
    }

    @Test func postOnlyWhereTheRouteAcceptsIt() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().text == "hello")
        try client.send("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx")
        #expect(try client.readResponse().status == 405)
    }

    @Test func connectionCloseIsHonoured() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["connection"] == "close")
        #expect(client.waitForClose())
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let keepAlive = try TestClient(port: port)
        try keepAlive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try keepAlive.readResponse().headers["connection"] == "keep-alive")
        try keepAlive.send("GET /hello HTTP/1.0\r\n\r\n")
        #expect(try keepAlive.readResponse().headers["connection"] == "close")
        #expect(keepAlive.waitForClose())
    }

    @Test func gzipRoundTripsWhenAccepted() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /big?200000 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: deflate, gzip;q=0.8\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["content-encoding"] == "gzip")
        #expect(response.headers["vary"] == "Accept-Encoding")
        #expect(response.body.count < 200_000 / 4)
        #expect(try gunzip(response.body) == TestBodies.pattern(200_000))
    }

    /// A body in parts (one of them empty) goes out as one body, plain or gzipped; 3 MB fills
    /// the socket, so writes resume in the middle of a part.
    @Test(arguments: [5000, 3_000_000])
    func aBodyInPartsIsSentAsOne(_ size: Int) throws {
        let whole = TestBodies.pattern(size)
        let (server, port) = try startServer { server in
            server.addRoute("/parts") { _ in
                let third = whole.count / 3
                return HTTPResponse(status: 200, contentType: "text/plain",
                                    bodyParts: [Array(whole[..<third]), [], Array(whole[third..<(2 * third)]), Array(whole[(2 * third)...])])
            }
        }
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /parts HTTP/1.1\r\nHost: t\r\n\r\n")
        let plain = try client.readResponse()
        #expect(plain.headers["content-length"] == String(whole.count))
        #expect(plain.body == whole)
        try client.send("GET /parts HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
        let zipped = try client.readResponse()
        #expect(zipped.headers["content-encoding"] == "gzip")
        #expect(try gunzip(zipped.body) == whole)
        try client.send("HEAD /parts HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.headers["content-length"] == String(whole.count) && head.body.isEmpty)
    }

    @Test func aBodyOfMorePartsThanOneSendTakesArrivesWhole() throws {
        let parts = (0..<3000).map { Array("part \($0)\n".utf8) }
        let (server, port) = try startServer { server in
            server.addRoute("/many") { _ in HTTPResponse(status: 200, contentType: "text/plain", bodyParts: parts) }
        }
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /many HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().body == Array(parts.joined()))
    }

    @Test func remainingBytesSkipWhatWasWrittenAcrossParts() {
        var output = OutputBuffer()
        output.set(head: Array("HEAD".utf8), body: [Array("ab".utf8), [], Array("cdef".utf8), Array("g".utf8)])
        func rest() -> String {
            output.withRemainingBytes { pieces in pieces.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "|") }
        }
        #expect(rest() == "HEAD|ab|cdef|g")
        output.offset = 5
        #expect(rest() == "b|cdef|g")
        output.offset = 8
        #expect(rest() == "ef|g")
        output.offset = 10
        #expect(rest() == "g")
        output.offset = 11
        #expect(rest() == "" && output.isEmpty)
    }

    @Test func gzipOfPartsIsGzipOfTheWhole() throws {
        let whole = TestBodies.pattern(100_000)
        let parts = [[], Array(whole[..<1]), Array(whole[1..<50_000]), [], Array(whole[50_000...])]
        #expect(try gunzip(#require(Gzip.compress(parts))) == whole)
        #expect(try gunzip(#require(Gzip.compress([[UInt8]]()))) == [])
    }

    @Test(arguments: ["gzip;q=0", "identity", "br", "*;q=0", "gzip;q=0, *"])
    func noGzipWhenNotAccepted(_ acceptEncoding: String) throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /big?5000 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: \(acceptEncoding)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["content-encoding"] == nil)
        #expect(response.headers["vary"] == "Accept-Encoding")
        #expect(response.body == TestBodies.pattern(5000))
    }

    @Test func tinyBodiesAreNotCompressed() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["content-encoding"] == nil)
        #expect(response.text == "hello\n")
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        let interim = try client.receive()
        #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send("abc")
        #expect(try client.readResponse().text == "abc")
    }

    @Test func listensOnSeveralAddressesIncludingIPv6() throws {
        let (server, _) = try startServer(addresses: ["127.0.0.1:0", "[::1]:0"])
        defer { server.stop() }
        let bound = server.boundAddresses
        #expect(bound.count == 2)
        #expect(bound[1].description == "[::1]:\(bound[1].port)")
        for address in bound {
            let client = try TestClient(port: address.port, host: address.host)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func clientThatHalfClosesAfterItsRequestStillGetsTheResponse() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        shutdown(client.fd, Int32(SHUT_WR))
        #expect(try client.readResponse().text == "hello\n")
        #expect(client.waitForClose())
        #expect(waitUntil { server.statistics.openConnections == 0 })
    }

    @Test func emptyHostListensOnEveryAddress() throws {
        let (server, port) = try startServer(addresses: [":0"])
        defer { server.stop() }
        for host in ["127.0.0.1", "::1"] {
            let client = try TestClient(port: port, host: host)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().status == 200, "via \(host)")
        }
    }

    @Test func handlerReturningAnInterimStatusGets500() throws {
        let (server, port) = try startServer { server in
            server.addRoute("/weird") { _ in HTTPResponse(status: 101) }
        }
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /weird HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 500)
    }

    @Test func handlerHeadersWithLineBreaksOrServerOwnedNamesAreDropped() throws {
        let (server, port) = try startServer { server in
            server.addRoute("/headers") { _ in
                HTTPResponse(status: 200, contentType: "text/plain", body: Array("ok".utf8), headers: [
                    ("X-Injected", "a\r\nSet-Cookie: evil"), ("Content-Length", "999"), ("X-Good", "yes"),
                ])
            }
        }
        defer { server.stop() }
        let client = try TestClient(port: port)
        try client.send("GET /headers HTTP/1.1\r\nHost: t\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.text == "ok")
        #expect(response.headers["x-injected"] == nil && response.headers["set-cookie"] == nil)
        #expect(response.headers["content-length"] == "2")
        #expect(response.headers["x-good"] == "yes")
    }

    @Test func hostNamesResolve() throws {
        let (server, _) = try startServer(addresses: ["localhost:0"])
        defer { server.stop() }
        let address = try #require(server.boundAddresses.first)
        let client = try TestClient(port: address.port, host: address.host)
        try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func bindFailureSaysWhichAddressAndWhy() throws {
        let (first, port) = try startServer()
        defer { first.stop() }
        let second = HTTPServer(
            configuration: .init(listenAddresses: ["127.0.0.1:\(port)"]), logger: LogCapture().logger)
        #expect {
            try second.start()
        } throws: { error in
            let text = "\(error)"
            return text.contains("127.0.0.1:\(port)") && text.contains("Address already in use") && text.contains("errno 98")
        }
    }

    @Test(arguments: ["9100", "::1:80", "[::1]", "host:99999", "host:", "[::1]:x"])
    func invalidListenAddressIsRejected(_ address: String) {
        let server = HTTPServer(configuration: .init(listenAddresses: [address]), logger: LogCapture().logger)
        #expect(throws: HTTPServerError.self) { try server.start() }
    }

    @Test func stopIsIdempotentAndClosesListeners() throws {
        let (server, port) = try startServer()
        server.stop()
        server.stop()
        #expect(throws: (any Error).self) { try TestClient(port: port) }
    }
}

/// Inflates a gzip member with zlib.
func gunzip(_ data: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard czlib_inflate_init_gzip(&stream) == Z_OK else { throw TestClientError(description: "inflateInit") }
    defer { inflateEnd(&stream) }
    var output = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 65536)
    var input = data
    var status: Int32 = Z_OK
    try input.withUnsafeMutableBufferPointer { source in
        stream.next_in = source.baseAddress
        stream.avail_in = uInt(source.count)
        repeat {
            let produced = chunk.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                status = inflate(&stream, Z_NO_FLUSH)
                return target.count - Int(stream.avail_out)
            }
            output += chunk[0..<produced]
            guard status == Z_OK || status == Z_STREAM_END else { throw TestClientError(description: "inflate \(status)") }
        } while status != Z_STREAM_END
    }
    return output
}
