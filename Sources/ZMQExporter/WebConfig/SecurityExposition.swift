import HTTPServer

/// The HTTP server's access-policy counters (web config: TLS, basic auth, rate limit), read at
/// each scrape beside the HTTP request counts. Nothing when no web config is in force.
final class SecurityCollector: Collector {
    let server: HTTPServer

    init(server: HTTPServer) { self.server = server }

    func collect(into samples: inout Samples) {
        guard let stats = server.securityStatistics else { return }
        for (reason, count) in stats.authFailures.sorted(by: { $0.key < $1.key }) {
            samples.add(MetricCatalog.httpAuthFailures, [("reason", reason)], Int64(count))
        }
        for (reason, count) in stats.handshakeFailures.sorted(by: { $0.key < $1.key }) {
            samples.add(MetricCatalog.tlsHandshakeFailures, [("reason", reason)], Int64(count))
        }
        samples.add(MetricCatalog.httpRateLimited, [], Int64(stats.rateLimited))
        if let expiry = stats.certificateExpiry {
            samples.add(MetricCatalog.tlsCertificateExpiry, [], Double(expiry))
        }
        samples.add(MetricCatalog.webConfigReloadSuccessful, [], Int64(stats.lastReloadSuccessful ? 1 : 0))
    }
}
