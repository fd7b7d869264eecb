import Testing
@testable import HTTPServer

/// Every size limit: exactly at the limit parses, one byte over gets the limit's status.
@Suite struct ParserLimitTests {
    /// A request line of exactly `length` bytes (without CRLF).
    func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    @Test func requestLineAtLimitParses() {
        let limits = Limits(maxRequestLineBytes: 64)
        let result = parse(requestLine(length: 64) + "\r\nHost: x\r\n\r\n", limits: limits)
        #expect(result.error == nil)
        #expect(result.requests.count == 1)
    }

    @Test func requestLineOverLimitGets414() {
        let limits = Limits(maxRequestLineBytes: 64)
        let result = parse(requestLine(length: 65) + "\r\nHost: x\r\n\r\n", limits: limits)
        #expect(result.error == .requestLineTooLong)
        #expect(result.error?.status == 414)
    }

    @Test func requestLineOverLimitIsRefusedBeforeItsLineEnd() {
        let limits = Limits(maxRequestLineBytes: 64)
        // 64 bytes plus a CR may still be a valid line; 66 bytes without LF cannot be.
        #expect(parse(String(requestLine(length: 64)) + "\r", limits: limits).error == nil)
        #expect(parse(requestLine(length: 66), limits: limits).error == .requestLineTooLong)
    }

    /// Header lines totalling exactly `total` bytes including their CRLFs.
    func headerLines(total: Int) -> String {
        let host = "Host: x\r\n"
        let padFixed = "X-Pad: \r\n".utf8.count
        return host + "X-Pad: " + String(repeating: "p", count: total - host.utf8.count - padFixed) + "\r\n"
    }

    @Test func headersAtByteLimitParse() {
        let limits = Limits(maxHeaderBytes: 100)
        let result = parse("GET / HTTP/1.1\r\n" + headerLines(total: 100) + "\r\n", limits: limits)
        #expect(result.error == nil)
        #expect(result.requests.first?.header("x-pad")?.utf8.count == 100 - 9 - 9)
    }

    @Test func headersOverByteLimitGet431() {
        let limits = Limits(maxHeaderBytes: 100)
        let result = parse("GET / HTTP/1.1\r\n" + headerLines(total: 101) + "\r\n", limits: limits)
        #expect(result.error == .headersTooLarge)
        #expect(result.error?.status == 431)
    }

    @Test func headersOverByteLimitAreRefusedWithoutTheirLineEnd() {
        let limits = Limits(maxHeaderBytes: 100)
        let unfinished = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + String(repeating: "p", count: 200)
        #expect(parse(unfinished, limits: limits).error == .headersTooLarge)
    }

    func request(fieldCount: Int) -> String {
        var text = "GET / HTTP/1.1\r\nHost: x\r\n"
        for index in 1..<fieldCount { text += "X-\(index): v\r\n" }
        return text + "\r\n"
    }

    @Test func headerCountAtLimitParses() {
        let result = parse(request(fieldCount: 5), limits: Limits(maxHeaderCount: 5))
        #expect(result.error == nil)
        #expect(result.requests.first?.headers.count == 5)
    }

    @Test func headerCountOverLimitGets431() {
        let result = parse(request(fieldCount: 6), limits: Limits(maxHeaderCount: 5))
        #expect(result.error == .headersTooLarge)
    }

    @Test func defaultHeaderCountLimitIs100() {
        #expect(parse(request(fieldCount: 100)).error == nil)
        #expect(parse(request(fieldCount: 101)).error == .headersTooLarge)
    }

    func post(bodyLength: Int) -> String {
        "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: \(bodyLength)\r\n\r\n" + String(repeating: "b", count: bodyLength)
    }

    @Test func bodyAtLimitParses() {
        let result = parse(post(bodyLength: 10), limits: Limits(maxBodyBytes: 10))
        #expect(result.error == nil)
        #expect(result.requests.first?.body == Array(repeating: UInt8(ascii: "b"), count: 10))
    }

    @Test func bodyOverLimitGets413BeforeTheBodyArrives() {
        let head = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"
        let result = parse(head, limits: Limits(maxBodyBytes: 10))
        #expect(result.error == .bodyTooLarge)
        #expect(result.error?.status == 413)
    }

    @Test func hugeContentLengthGets413() {
        let head = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n"
        #expect(parse(head).error == .bodyTooLarge)
    }

    func chunked(_ sizes: [Int]) -> String {
        var text = "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for size in sizes { text += String(size, radix: 16) + "\r\n" + String(repeating: "c", count: size) + "\r\n" }
        return text + "0\r\n\r\n"
    }

    @Test func chunkedBodyAtLimitParses() {
        let result = parse(chunked([4, 6]), limits: Limits(maxBodyBytes: 10))
        #expect(result.error == nil)
        #expect(result.requests.first?.body.count == 10)
    }

    @Test func chunkedBodyOverLimitGets413() {
        let result = parse(chunked([4, 7]), limits: Limits(maxBodyBytes: 10))
        #expect(result.error == .bodyTooLarge)
    }

    @Test func emptyLinesBeforeARequestShareTheRequestLineBudget() {
        let limits = Limits(maxRequestLineBytes: 64)
        let atLimit = String(repeating: "\r\n", count: 32) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(parse(atLimit, limits: limits).requests.count == 1)
        let over = String(repeating: "\r\n", count: 32) + "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(parse(over, limits: limits).error?.status == 400)
    }
}
