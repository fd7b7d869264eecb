import HTTPServer

/// Renders the HTTP server's access-policy counters, like the HTTP request counts beside them.
enum SecurityExposition {
    static func emit(_ stats: SecurityStatistics?, into out: inout [UInt8]) {
        guard let stats else { return }
        Exposition.emitCounter(MetricCatalog.httpAuthFailures, label: "reason", values: stats.authFailures.map { ($0.key, $0.value) }, into: &out)
        Exposition.emitCounter(MetricCatalog.tlsHandshakeFailures, label: "reason", values: stats.handshakeFailures.map { ($0.key, $0.value) }, into: &out)
        Exposition.emitGauge(MetricCatalog.httpRateLimited, value: stats.rateLimited, into: &out)
        if let expiry = stats.certificateExpiry {
            Exposition.emitGauge(MetricCatalog.tlsCertificateExpiry, value: Int(expiry), into: &out)
        }
        Exposition.emitGauge(MetricCatalog.webConfigReloadSuccessful, value: stats.lastReloadSuccessful ? 1 : 0, into: &out)
    }
}
