@testable import HTTPServer

/// Feeds `bytes` in the given pieces and collects every request and the first failure.
func parse(_ pieces: [[UInt8]], limits: Limits = Limits()) -> (requests: [HTTPRequest], error: HTTPParseError?) {
    var parser = HTTPRequestParser(limits: limits)
    var requests: [HTTPRequest] = []
    for piece in pieces {
        parser.append(piece)
        feeding: while true {
            switch parser.next() {
            case .request(let request): requests.append(request)
            case .needMoreData: break feeding
            case .failure(let error): return (requests, error)
            }
        }
    }
    return (requests, nil)
}

func parse(_ text: String, limits: Limits = Limits()) -> (requests: [HTTPRequest], error: HTTPParseError?) {
    parse([Array(text.utf8)], limits: limits)
}

/// A comparable summary of a request, to check that different splits parse the same.
func summary(_ request: HTTPRequest) -> String {
    let headers = request.headers.map { "\($0.name)=\($0.value)" }.joined(separator: "|")
    return "\(request.method) \(request.target) \(request.path) ?\(request.query) \(request.version) [\(headers)] "
        + "body=\(request.body) keepAlive=\(request.keepAlive)"
}
