import Testing
@testable import HTTPServer

@Suite struct ParserSyntaxTests {
    @Test func simpleGetParses() throws {
        let result = parse("GET /metrics?name=a&b=c HTTP/1.1\r\nHost: localhost:9100\r\nAccept: */*\r\n\r\n")
        let request = try #require(result.requests.first)
        #expect(request.method == "GET")
        #expect(request.target == "/metrics?name=a&b=c")
        #expect(request.path == "/metrics")
        #expect(request.query == "name=a&b=c")
        #expect(request.version == .http1_1)
        #expect(request.keepAlive)
        #expect(request.header("HOST") == "localhost:9100")
        #expect(request.header("accept") == "*/*")
        #expect(request.header("missing") == nil)
    }

    @Test func headerValuesAreTrimmedAndNamesKeepTheirCase() throws {
        let request = try #require(parse("GET / HTTP/1.1\r\nHost: x\r\nX-Thing: \t  spaced value \t\r\n\r\n").requests.first)
        #expect(request.header("x-thing") == "spaced value")
        #expect(request.headers.fields.last?.name == "X-Thing")
    }

    /// Found by the fuzzer: an unfinished line with a bad method byte got 400 at once, the same
    /// line complete got 505 for its version. Whole or in pieces, it must get the same answer.
    @Test func badMethodAndBadVersionGetTheSameStatusWholeOrSplit() {
        let line: [UInt8] = Array("PR".utf8) + [0x88] + Array("I * HTTP/0.\n".utf8)
        let whole = parse([line])
        let split = parse([Array(line[..<5]), Array(line[5...])])
        #expect(whole.error?.status == 400)
        #expect(split.error?.status == 400)
    }

    /// Also found by the fuzzer: an over-long line with a bad method byte got 414 whole and 400 split.
    @Test func overlongLineWithBadMethodGetsTheSameStatusWholeOrSplit() {
        let limits = Limits(maxRequestLineBytes: 64)
        let line = [UInt8](repeating: 0xFF, count: 100) + Array(" / HTTP/1.1\r\n\r\n".utf8)
        #expect(parse([line], limits: limits).error?.status == 400)
        #expect(parse([Array(line[..<40]), Array(line[40...])], limits: limits).error?.status == 400)
        let goodMethod = [UInt8](repeating: UInt8(ascii: "G"), count: 100) + Array(" / HTTP/1.1\r\n\r\n".utf8)
        #expect(parse([goodMethod], limits: limits).error?.status == 414)
    }

    @Test func bareLineFeedsAreAccepted() {
        #expect(parse("GET / HTTP/1.1\nHost: x\n\n").requests.count == 1)
    }

    @Test func leadingEmptyLinesAreIgnored() {
        #expect(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").requests.count == 1)
    }

    @Test func absoluteFormTargetGivesPathAndQuery() throws {
        let request = try #require(parse("GET http://example.com:9100/metrics?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").requests.first)
        #expect(request.path == "/metrics")
        #expect(request.query == "x=1")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n", "obsolete line folding"),
        ("GET / HTTP/1.1\r\nHost: x\r\nBad : y\r\n\r\n", "space before colon"),
        ("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", "no colon"),
        ("GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n", "empty name"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", "bare CR in value"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n", "NUL in value"),
        ("GET / HTTP/1.1\r\n\r\n", "missing Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Hosts"),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "double space"),
        ("GET /\r\n\r\n", "HTTP/0.9 request line"),
        ("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", "extra token"),
        ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "bad method"),
        ("GET /a\u{7F} HTTP/1.1\r\nHost: x\r\n\r\n", "DEL in target"),
        ("GET noslash HTTP/1.1\r\nHost: x\r\n\r\n", "target without slash"),
        ("GET /#frag HTTP/1.1\r\nHost: x\r\n\r\n", "fragment"),
        ("GET * HTTP/1.1\r\nHost: x\r\n\r\n", "asterisk for GET"),
        ("GET / HTTX/1.1\r\nHost: x\r\n\r\n", "bad protocol name"),
        ("GET / HTTP/1.x\r\nHost: x\r\n\r\n", "bad minor"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "CL and TE"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", "TE and CL"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflicting CL"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "negative CL"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", "CL list"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "TE in HTTP/1.0"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", "bad chunk size"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "chunk longer than size"),
    ])
    func malformedRequestGets400(_ text: String, _ why: String) {
        let error = parse(text).error
        #expect(error?.status == 400, "\(why): got \(String(describing: error))")
    }

    @Test func matchingRepeatedContentLengthIsAccepted() {
        let result = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc")
        #expect(result.requests.first?.body == Array("abc".utf8))
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/2"])
    func otherVersionsGet505(_ version: String) {
        #expect(parse("GET / \(version)\r\nHost: x\r\n\r\n").error == .versionNotSupported)
    }

    @Test func http2PrefaceGets505() {
        #expect(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").error == .versionNotSupported)
    }

    @Test func higherMinorVersionIsTreatedAsHTTP11() {
        #expect(parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n").requests.first?.version == .http1_1)
    }

    @Test func unknownTransferCodingGets501() {
        #expect(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").error?.status == 501)
    }

    @Test func unknownExpectationGets417() {
        #expect(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx").error?.status == 417)
    }

    @Test func expectContinueIsSignalledOnceTheHeadIsComplete() {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        guard case .needMoreData = parser.next() else { Issue.record("expected needMoreData"); return }
        #expect(parser.expectsContinue)
        parser.acknowledgeContinue()
        parser.append(Array("ok".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("expected a request"); return }
        #expect(request.body == Array("ok".utf8))
        #expect(!parser.expectsContinue)
    }

    @Test func chunkedBodyWithExtensionsAndTrailersIsDecoded() throws {
        let text = "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "3;name=value\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n"
        let request = try #require(parse(text).requests.first)
        #expect(request.body == Array("abc0123456789abcdef".utf8))
        #expect(request.header("X-Trailer") == nil)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
    ])
    func keepAliveFollowsVersionAndConnectionHeader(_ text: String, _ keepAlive: Bool) {
        #expect(parse(text).requests.first?.keepAlive == keepAlive)
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        var text = ""
        for index in 0..<10 { text += "GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n" }
        text += "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcdGET /last HTTP/1.1\r\nHost: x\r\n\r\n"
        let result = parse(text)
        #expect(result.error == nil)
        #expect(result.requests.map(\.path) == (0..<10).map { "/\($0)" } + ["/body", "/last"])
    }

    @Test func failureIsSticky() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n".utf8))
        guard case .failure = parser.next() else { Issue.record("expected failure"); return }
        parser.append(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        guard case .failure = parser.next() else { Issue.record("failure must persist"); return }
    }

    @Test func phaseTracksHeadAndBody() {
        var parser = HTTPRequestParser()
        #expect(parser.phase == .idle)
        parser.append(Array("POST / HTTP/1.1\r\nHost: x\r\n".utf8))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.append(Array("Content-Length: 3\r\n\r\na".utf8))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.append(Array("bc".utf8))
        _ = parser.next()
        #expect(parser.phase == .idle)
    }
}

@Suite struct ParserSplitTests {
    static let valid: [UInt8] = Array((
        "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nAccept-Encoding: gzip\r\nUser-Agent: test\r\n\r\n"
        + "POST /data HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
        + "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;e=1\r\n world\r\n0\r\nT: v\r\n\r\n"
        + "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    ).utf8)

    @Test func everySplitPointParsesLikeOneRead() {
        let whole = parse([Self.valid])
        #expect(whole.error == nil)
        #expect(whole.requests.count == 4)
        let expected = whole.requests.map(summary)
        for split in 0...Self.valid.count {
            let pieces = [Array(Self.valid[..<split]), Array(Self.valid[split...])]
            let result = parse(pieces)
            #expect(result.error == nil, "split at \(split)")
            #expect(result.requests.map(summary) == expected, "split at \(split)")
        }
    }

    @Test func byteAtATimeParsesLikeOneRead() {
        let expected = parse([Self.valid]).requests.map(summary)
        let result = parse(Self.valid.map { [$0] })
        #expect(result.error == nil)
        #expect(result.requests.map(summary) == expected)
    }
}
