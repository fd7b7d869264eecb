extension HTTPRequestParser {
    /// Request line: method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
    /// The method is checked before the version, as an unfinished line's method is (so a line
    /// parses the same whole or in pieces); the version comes next, so the HTTP/2 preface
    /// ("PRI * HTTP/2.0", a valid method) still gets 505.
    mutating func parseRequestLine(_ start: Int, _ end: Int) -> HTTPParseError? {
        let parsed: Result<(String, String, HTTPVersion), HTTPParseError> = buffer.withUnsafeBufferPointer { bytes in
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            guard let space1 = line.firstIndex(of: .space),
                  let space2 = line[(space1 + 1)...].firstIndex(of: .space)
            else { return .failure(.badRequest("malformed request line")) }
            let method = line[..<space1]
            guard !method.isEmpty, method.allSatisfy(ByteClass.isToken) else {
                return .failure(.badRequest("invalid method"))
            }
            let versionBytes = UnsafeBufferPointer(rebasing: line[(space2 + 1)...])
            let version: HTTPVersion
            switch Self.parseVersion(versionBytes) {
            case .success(let parsed): version = parsed
            case .failure(let error): return .failure(error)
            }
            let target = line[(space1 + 1)..<space2]
            guard !target.isEmpty, target.allSatisfy({ ByteClass.target[Int($0)] }) else {
                return .failure(.badRequest("invalid request target"))
            }
            return .success((
                String(decoding: UnsafeBufferPointer(rebasing: method), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(rebasing: target), as: UTF8.self),
                version
            ))
        }
        switch parsed {
        case .failure(let error):
            return error
        case .success(let (method, target, version)):
            partial.method = method
            partial.target = target
            partial.version = version
            return splitTarget(target, method: method)
        }
    }

    static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<HTTPVersion, HTTPParseError> {
        let prefix = Array("HTTP/".utf8)
        guard bytes.count >= 6, bytes.prefix(5).elementsEqual(prefix) else {
            return .failure(.badRequest("malformed HTTP version"))
        }
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        let major = bytes[5]
        guard isDigit(major) else { return .failure(.badRequest("malformed HTTP version")) }
        if major != UInt8(ascii: "1") { return .failure(.versionNotSupported) }
        guard bytes.count == 8, bytes[6] == UInt8(ascii: "."), isDigit(bytes[7]) else {
            return .failure(.badRequest("malformed HTTP version"))
        }
        // RFC 9110 §2.5: a higher 1.x minor version is answered as the highest we speak, 1.1.
        return .success(bytes[7] == UInt8(ascii: "0") ? .http1_0 : .http1_1)
    }

    /// origin-form "/p?q", absolute-form "http://host/p?q", or "*" for OPTIONS (RFC 9112 §3.2).
    private mutating func splitTarget(_ target: String, method: String) -> HTTPParseError? {
        var rest = Substring(target)
        if target == "*" {
            guard method == "OPTIONS" else { return .badRequest("\"*\" target is only for OPTIONS") }
            partial.path = "*"
            return nil
        }
        if target.contains("#") { return .badRequest("fragment in request target") }
        if !target.hasPrefix("/") {
            let lower = String(decoding: target.utf8.prefix(8).map(asciiLower), as: UTF8.self)
            let schemeLength = lower.hasPrefix("http://") ? 7 : (lower.hasPrefix("https://") ? 8 : 0)
            guard schemeLength > 0 else { return .badRequest("invalid request target") }
            rest = rest.dropFirst(schemeLength)
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            guard authorityEnd > rest.startIndex else { return .badRequest("empty authority in request target") }
            rest = rest[authorityEnd...]
        }
        if let question = rest.firstIndex(of: "?") {
            partial.path = rest[..<question].isEmpty ? "/" : String(rest[..<question])
            partial.query = String(rest[rest.index(after: question)...])
        } else {
            partial.path = rest.isEmpty ? "/" : String(rest)
            partial.query = ""
        }
        return nil
    }

    /// field-line: name ":" OWS value OWS (RFC 9112 §5). `keep` false parses a trailer and
    /// drops it after validation.
    mutating func parseField(_ start: Int, _ end: Int, keep: Bool) -> HTTPParseError? {
        let parsed: Result<(FramingField, String, String), HTTPParseError> = buffer.withUnsafeBufferPointer { bytes in
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if line[0] == .space || line[0] == .tab {
                return .failure(.badRequest("obsolete line folding in headers"))
            }
            guard let colon = line.firstIndex(of: .colon) else {
                return .failure(.badRequest("header line without a colon"))
            }
            let name = UnsafeBufferPointer(rebasing: line[..<colon])
            guard !name.isEmpty, name.allSatisfy(ByteClass.isToken) else {
                return .failure(.badRequest("invalid header name"))
            }
            var valueStart = colon + 1
            var valueEnd = line.count
            while valueStart < valueEnd && (line[valueStart] == .space || line[valueStart] == .tab) { valueStart += 1 }
            while valueEnd > valueStart && (line[valueEnd - 1] == .space || line[valueEnd - 1] == .tab) { valueEnd -= 1 }
            let value = UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd])
            guard value.allSatisfy({ ByteClass.fieldValue[Int($0)] }) else {
                return .failure(.badRequest("invalid character in header value"))
            }
            return .success((
                FramingField.classify(name),
                String(decoding: name, as: UTF8.self),
                String(decoding: value, as: UTF8.self)
            ))
        }
        let (field, name, value): (FramingField, String, String)
        switch parsed {
        case .failure(let error): return error
        case .success(let result): (field, name, value) = result
        }
        guard keep else { return nil }
        partial.headers.add(name: name, value: value)
        switch field {
        case .contentLength:
            return noteContentLength(value)
        case .transferEncoding:
            partial.transferEncodings.append(value)
        case .host:
            partial.hostCount += 1
        case .connection:
            for token in value.lowercasedListElements {
                if token == "close" { partial.connectionClose = true }
                if token == "keep-alive" { partial.connectionKeepAlive = true }
            }
        case .expect:
            partial.expectations.append(value)
        case .other:
            break
        }
        return nil
    }

    /// Content-Length is 1*DIGIT; repeated fields must agree (RFC 9112 §6.3 item 5).
    private mutating func noteContentLength(_ value: String) -> HTTPParseError? {
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .badRequest("invalid Content-Length")
        }
        let digits = value.drop { $0 == "0" }
        // 18 digits always fit in Int; anything longer is far over any body limit.
        let length = digits.count > 18 ? Int.max : (Int(digits) ?? 0)
        if let previous = partial.contentLength, previous != length {
            return .badRequest("conflicting Content-Length values")
        }
        partial.contentLength = length
        return nil
    }

    /// The empty line ended the head: decide the framing of the body (RFC 9112 §6).
    mutating func finishHead() -> Step {
        let version = partial.version
        if version == .http1_1 && partial.hostCount == 0 { return .fail(.badRequest("missing Host header")) }
        if partial.hostCount > 1 { return .fail(.badRequest("more than one Host header")) }
        var chunked = false
        if !partial.transferEncodings.isEmpty {
            if version == .http1_0 { return .fail(.badRequest("Transfer-Encoding in an HTTP/1.0 request")) }
            if partial.contentLength != nil {
                return .fail(.badRequest("both Content-Length and Transfer-Encoding (possible request smuggling)"))
            }
            let codings = partial.transferEncodings.joined(separator: ",").lowercasedListElements
            guard codings == ["chunked"] else { return .fail(.transferCodingNotImplemented) }
            chunked = true
        }
        var wantsContinue = false
        for expectation in partial.expectations {
            guard expectation.lowercasedListElements == ["100-continue"] else { return .fail(.expectationFailed) }
            wantsContinue = version == .http1_1
        }
        let length = partial.contentLength ?? 0
        if length > limits.maxBodyBytes { return .fail(.bodyTooLarge) }
        if chunked {
            state = .chunkSize
        } else if length > 0 {
            partial.body.reserveCapacity(length)
            state = .fixedBody(remaining: length)
        } else {
            return .complete
        }
        expectsContinue = wantsContinue
        return .proceed
    }
}
