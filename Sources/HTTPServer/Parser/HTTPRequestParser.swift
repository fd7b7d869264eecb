/// What ``HTTPRequestParser/next()`` found in the bytes fed so far.
public enum HTTPParseResult: Sendable {
    /// A complete request; later bytes (pipelined requests) stay buffered for the next call.
    case request(HTTPRequest)
    /// The request is not complete yet: feed more bytes.
    case needMoreData
    /// The bytes are not an acceptable request; the connection must answer
    /// ``HTTPParseError/status`` and close. Every later call returns the same failure.
    case failure(HTTPParseError)
}

/// An incremental HTTP/1.1 request parser that knows nothing of sockets: feed it bytes in any
/// split with ``append(_:)-([UInt8])`` and take requests out with ``next()``.
///
/// It enforces the size limits of ``Limits`` (request line, header bytes and count, body) and the
/// framing rules of RFC 9112: line endings CRLF or LF (never a bare CR), no obsolete line folding,
/// no whitespace before a header colon, Host exactly once in HTTP/1.1, and a request carrying both
/// Content-Length and Transfer-Encoding is refused (request smuggling). Only code that needs no other
/// module lives here, so the libFuzzer target compiles these files on their own.
public struct HTTPRequestParser: Sendable {
    /// Where the current request is, for the timeouts: waiting for one, reading its head, its body.
    public enum Phase: Sendable, Equatable {
        case idle
        case head
        case body
    }

    enum State: Sendable {
        case requestLine
        case headerLines
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    /// Longest chunk-size line (size plus extensions) before it is refused with 400.
    static let maxChunkLineBytes = 4096

    public let limits: Limits
    var buffer: [UInt8] = []
    /// First byte not consumed yet.
    var readIndex = 0
    /// Where the search for the next LF resumes, so split reads are not rescanned.
    var scanIndex = 0
    var state: State = .requestLine
    var partial = PartialRequest()

    /// True once the head of a request with `Expect: 100-continue` and a body is complete: the
    /// server should send `100 Continue` and call ``acknowledgeContinue()``.
    public internal(set) var expectsContinue = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public var phase: Phase {
        switch state {
        case .requestLine: return readIndex < buffer.count ? .head : .idle
        case .headerLines, .failed: return .head
        case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return .body
        }
    }

    /// Bytes received but not yet consumed by a returned request.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func acknowledgeContinue() {
        expectsContinue = false
    }

    public mutating func append(_ bytes: [UInt8]) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Drops consumed bytes: all of them when everything was consumed (the common case), else the
    /// consumed prefix once it is the larger half (amortised O(1) per byte).
    private mutating func compact() {
        if readIndex == buffer.count {
            if readIndex > 0 { buffer.removeAll(keepingCapacity: true) }
            readIndex = 0
            scanIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    /// Parses as far as the buffered bytes allow.
    public mutating func next() -> HTTPParseResult {
        while true {
            let step: Step
            switch state {
            case .failed(let error):
                return .failure(error)
            case .requestLine:
                step = requestLineStep()
            case .headerLines:
                step = headerLineStep()
            case .fixedBody(let remaining):
                step = fixedBodyStep(remaining: remaining)
            case .chunkSize:
                step = chunkSizeStep()
            case .chunkData(let remaining):
                step = chunkDataStep(remaining: remaining)
            case .chunkDataEnd:
                step = chunkDataEndStep()
            case .trailers:
                step = trailerLineStep()
            }
            switch step {
            case .proceed:
                continue
            case .needMore:
                return .needMoreData
            case .fail(let error):
                state = .failed(error)
                expectsContinue = false
                return .failure(error)
            case .complete:
                return .request(finishRequest())
            }
        }
    }

    enum Step {
        case proceed
        case needMore
        case fail(HTTPParseError)
        case complete
    }

    enum LineSearch {
        case line(start: Int, end: Int)
        case incomplete
        case tooLong
    }

    /// Finds the next line (content without CR LF); consumes it. Lines whose content exceeds
    /// `maxContent` are reported as soon as that is certain, without waiting for the LF.
    mutating func takeLine(maxContent: Int) -> LineSearch {
        let from = max(scanIndex, readIndex)
        let lf: Int? = buffer.withUnsafeBufferPointer { bytes in
            var index = from
            while index < bytes.count {
                if bytes[index] == .lf { return index }
                index += 1
            }
            return nil
        }
        guard let lf else {
            scanIndex = buffer.count
            // One pending byte may be the CR of the line ending.
            return buffer.count - readIndex > maxContent + 1 ? .tooLong : .incomplete
        }
        let start = readIndex
        var end = lf
        if end > start && buffer[end - 1] == .cr { end -= 1 }
        if end - start > maxContent { return .tooLong }
        readIndex = lf + 1
        scanIndex = readIndex
        return .line(start: start, end: end)
    }

    private mutating func requestLineStep() -> Step {
        // RFC 9112 §2.2: ignore empty lines before a request line.
        while readIndex < buffer.count {
            if buffer[readIndex] == .lf {
                readIndex += 1
                partial.leadingEmptyBytes += 1
            } else if buffer[readIndex] == .cr && readIndex + 1 < buffer.count && buffer[readIndex + 1] == .lf {
                readIndex += 2
                partial.leadingEmptyBytes += 2
            } else if buffer[readIndex] == .cr && readIndex + 1 == buffer.count {
                return .needMore
            } else {
                break
            }
            // Empty lines are free to skip but not to send forever: they share the request line's budget.
            if partial.leadingEmptyBytes > limits.maxRequestLineBytes {
                return .fail(.badRequest("too many empty lines before the request line"))
            }
        }
        scanIndex = max(scanIndex, readIndex)
        if readIndex == buffer.count { return .needMore }
        switch takeLine(maxContent: limits.maxRequestLineBytes) {
        case .incomplete:
            // A TLS ClientHello or binary junk may never contain a LF: refuse it now rather than
            // at the header-read timeout, as soon as the method so far is not a token.
            return pendingMethodIsInvalid() ? .fail(.badRequest("invalid method")) : .needMore
        case .tooLong:
            // The method is judged first however the line arrives, so pieces and whole agree.
            return .fail(pendingMethodIsInvalid() ? .badRequest("invalid method") : .requestLineTooLong)
        case .line(let start, let end):
            if let error = parseRequestLine(start, end) { return .fail(error) }
            state = .headerLines
            return .proceed
        }
    }

    /// Whether the bytes of an unfinished request line before its first space hold a non-token
    /// byte; only the first 32 are looked at (methods are short), so a slow line costs O(1) a call.
    private func pendingMethodIsInvalid() -> Bool {
        buffer.withUnsafeBufferPointer { bytes in
            for byte in bytes[readIndex..<min(bytes.count, readIndex + 32)] {
                if byte == .space || byte == .cr { return false }
                if !ByteClass.isToken(byte) { return true }
            }
            return false
        }
    }

    private mutating func headerLineStep() -> Step {
        fieldLineStep(keep: true) { $0.finishHead() }
    }

    private mutating func trailerLineStep() -> Step {
        // Trailers are checked for syntax but not merged into the headers (RFC 9110 §6.5.1).
        fieldLineStep(keep: false) { _ in .complete }
    }

    /// One header or trailer line under the shared header budget; the empty line ends the block.
    private mutating func fieldLineStep(keep: Bool, atEnd: (inout Self) -> Step) -> Step {
        let budget = max(0, limits.maxHeaderBytes - partial.headerBytes - 1)
        let lineStart = readIndex
        switch takeLine(maxContent: budget) {
        case .incomplete: return .needMore
        case .tooLong: return .fail(.headersTooLarge)
        case .line(let start, let end):
            if start == end { return atEnd(&self) }
            partial.headerBytes += readIndex - lineStart
            if partial.headerBytes > limits.maxHeaderBytes { return .fail(.headersTooLarge) }
            partial.fieldCount += 1
            if partial.fieldCount > limits.maxHeaderCount { return .fail(.headersTooLarge) }
            if let error = parseField(start, end, keep: keep) { return .fail(error) }
            return .proceed
        }
    }

    private mutating func finishRequest() -> HTTPRequest {
        let request = partial.makeRequest()
        partial = PartialRequest()
        state = .requestLine
        scanIndex = readIndex
        expectsContinue = false
        return request
    }
}
