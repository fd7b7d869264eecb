// libFuzzer entry point for the HTTP request parser. Built by `make fuzz-http` together with the
// parser's own source files (Sources/HTTPServer/Parser), which import nothing, so no package or
// Logging is involved.
//
// Each input is fed twice: whole, and split at a point chosen by its first byte. Both runs must
// agree (the parser is incremental) and every request must respect the limits it was given.

let fuzzLimits = Limits(maxRequestLineBytes: 256, maxHeaderBytes: 512, maxHeaderCount: 16, maxBodyBytes: 1024)

func run(_ pieces: [ArraySlice<UInt8>]) -> [String] {
    var parser = HTTPRequestParser(limits: fuzzLimits)
    var outcomes: [String] = []
    for piece in pieces {
        parser.append(Array(piece))
        feeding: while true {
            switch parser.next() {
            case .request(let request):
                precondition(request.body.count <= fuzzLimits.maxBodyBytes, "body over the limit")
                precondition(request.headers.count <= fuzzLimits.maxHeaderCount, "too many headers")
                precondition(request.method.utf8.count + request.target.utf8.count + 10 <= fuzzLimits.maxRequestLineBytes,
                             "request line over the limit")
                precondition(request.path.hasPrefix("/") || request.path == "*", "path must be absolute")
                outcomes.append("\(request.method) \(request.target) \(request.headers.count) \(request.body.count) \(request.keepAlive)")
            case .needMoreData:
                break feeding
            case .failure(let error):
                precondition((400...505).contains(error.status))
                outcomes.append("failure \(error.status)")
                return outcomes
            }
        }
    }
    return outcomes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = run([bytes[...]])
    let split = size == 0 ? 0 : Int(bytes[0]) % (size + 1)
    let halves = run([bytes[..<split], bytes[split...]])
    precondition(whole == halves, "split at \(split) parsed differently: \(whole) vs \(halves)")
    return 0
}
