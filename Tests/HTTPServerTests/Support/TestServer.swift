@testable import HTTPServer
import Foundation
import Logging
import Posix

/// Collects log records so tests can assert on levels.
final class LogCapture: Sendable {
    let records = Locked<[(Logger.Level, String)]>([])

    var logger: Logger {
        var logger = Logger(label: "http-test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    func count(atLeast level: Logger.Level) -> Int {
        records.withLock { $0.filter { $0.0 >= level }.count }
    }

    var messages: [String] { records.withLock { $0.map { "\($0.0): \($0.1)" } } }
}

struct CapturingHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.records.withLock { $0.append((event.level, "\(event.message) \(event.metadata ?? [:])")) }
    }
}

/// Starts a server on 127.0.0.1 port 0 with a few standard routes; stop it with `defer`.
func startServer(
    limits: Limits = Limits(), maxConcurrentHandlers: Int = 40, gzipMinimumBytes: Int = 1024,
    addresses: [String] = ["127.0.0.1:0"], capture: LogCapture = LogCapture(),
    routes: (HTTPServer) -> Void = { _ in }
) throws -> (HTTPServer, Int) {
    let configuration = HTTPServer.Configuration(
        listenAddresses: addresses, limits: limits,
        maxConcurrentHandlers: maxConcurrentHandlers, gzipMinimumBytes: gzipMinimumBytes)
    let server = HTTPServer(configuration: configuration, logger: capture.logger)
    server.addRoute("/hello") { _ in .text("hello\n") }
    server.addRoute("/echo", methods: ["POST"]) { request in
        HTTPResponse(status: 200, contentType: "application/octet-stream", body: request.body)
    }
    server.addRoute("/big") { request in
        let size = Int(request.query) ?? 100_000
        return HTTPResponse(status: 200, contentType: "text/plain", body: TestBodies.pattern(size))
    }
    routes(server)
    let bound = try server.start()
    return (server, bound[0].port)
}

enum TestBodies {
    /// Compressible but not trivially: lines of metrics-like text.
    static func pattern(_ size: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(size + 64)
        var index = 0
        while bytes.count < size {
            bytes += Array("metric_total{index=\"\(index)\"} \(index * 7)\n".utf8)
            index += 1
        }
        return Array(bytes.prefix(size))
    }
}
