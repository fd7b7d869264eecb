/// Every metric family the agent exports, declared once with its help text (STYLE.md: one catalog).
/// Names, types and labels are the product's contract; dashboards and alerts depend on them.
public enum MetricCatalog {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    public struct Family: Sendable {
        public let name: String
        public let kind: Kind
        public let help: String
        public let labels: [String]
    }

    // Sockets
    public static let socketInfo = Family(name: "zmq_socket_info", kind: .gauge, help: "A configured ZeroMQ socket, its role and type; always 1.", labels: ["socket", "role", "type"])
    public static let endpointInfo = Family(name: "zmq_socket_endpoint_info", kind: .gauge, help: "An endpoint a socket binds or connects to (the address libzmq resolved); always 1.", labels: ["socket", "endpoint", "mode"])
    public static let expectedPeers = Family(name: "zmq_socket_expected_peers", kind: .gauge, help: "Peer connections the operator expects (min_peers in the config).", labels: ["socket"])
    public static let events = Family(name: "zmq_socket_events_total", kind: .counter, help: "Socket monitor events by kind.", labels: ["socket", "event"])
    public static let connections = Family(name: "zmq_socket_connections", kind: .gauge, help: "Peer connections open now, tracked by file descriptor from monitor events.", labels: ["socket"])
    public static let connectionDuration = Family(name: "zmq_socket_connection_duration_seconds", kind: .histogram, help: "Lifetime of each closed peer connection, in seconds.", labels: ["socket"])
    public static let handshakeFailures = Family(name: "zmq_socket_handshake_failures_total", kind: .counter, help: "ZMTP handshakes that failed, by reason (protocol error, ZAP status, or closed_before_handshake).", labels: ["socket", "reason"])
    public static let messagesReceived = Family(name: "zmq_socket_messages_received_total", kind: .counter, help: "Messages received; a multipart message counts once.", labels: ["socket"])
    public static let messagesSent = Family(name: "zmq_socket_messages_sent_total", kind: .counter, help: "Messages sent; a multipart message counts once.", labels: ["socket"])
    public static let bytesReceived = Family(name: "zmq_socket_received_bytes_total", kind: .counter, help: "Bytes received, all frames of each message.", labels: ["socket"])
    public static let bytesSent = Family(name: "zmq_socket_sent_bytes_total", kind: .counter, help: "Bytes sent, all frames of each message.", labels: ["socket"])
    public static let sendFailures = Family(name: "zmq_socket_send_failures_total", kind: .counter, help: "Sends that failed or had to wait, by reason (would_block at the high-water mark, unroutable, error).", labels: ["socket", "reason"])

    // Taps
    public static let tapMessages = Family(name: "zmq_tap_messages_total", kind: .counter, help: "Messages seen by a tap, by the configured labels taken from the message.", labels: ["socket"])
    public static let tapDecodeErrors = Family(name: "zmq_tap_decode_errors_total", kind: .counter, help: "Tap messages that were not valid JSON (still counted as messages).", labels: ["socket"])
    public static let tapLabelValuesDropped = Family(name: "zmq_tap_label_values_dropped_total", kind: .counter, help: "Tap messages whose label value was beyond max_label_values and counted as __overflow__.", labels: ["socket"])
    public static let tapMessageAge = Family(name: "zmq_tap_message_age_seconds", kind: .histogram, help: "Age of tap messages at receipt (now minus their timestamp field), in seconds.", labels: ["socket"])
    public static let tapLastMessage = Family(name: "zmq_tap_last_message_timestamp_seconds", kind: .gauge, help: "Unix time the tap last received a message.", labels: ["socket"])

    // Probes
    public static let probeSuccess = Family(name: "zmq_probe_success", kind: .gauge, help: "Whether the last probe succeeded (1) or not (0).", labels: ["socket"])
    public static let probeDuration = Family(name: "zmq_probe_duration_seconds", kind: .histogram, help: "Round-trip time of successful probes, in seconds.", labels: ["socket"])
    public static let probeAttempts = Family(name: "zmq_probe_attempts_total", kind: .counter, help: "Probe attempts by result (success, timeout, mismatch, error).", labels: ["socket", "result"])
    public static let probeLastSuccess = Family(name: "zmq_probe_last_success_timestamp_seconds", kind: .gauge, help: "Unix time of the last successful probe.", labels: ["socket"])

    // Proxies
    public static let proxyRequestDuration = Family(name: "zmq_proxy_request_duration_seconds", kind: .histogram, help: "Time from a request entering a ROUTER/DEALER proxy's frontend to its reply leaving it, in seconds.", labels: ["socket"])
    public static let proxyInFlight = Family(name: "zmq_proxy_requests_in_flight", kind: .gauge, help: "Requests forwarded by a ROUTER/DEALER proxy and not answered yet.", labels: ["socket"])
    public static let proxyUnanswered = Family(name: "zmq_proxy_requests_unanswered_total", kind: .counter, help: "Requests evicted unanswered after request_timeout (or beyond max_in_flight).", labels: ["socket"])
    public static let proxySubscriptions = Family(name: "zmq_proxy_subscriptions", kind: .gauge, help: "Distinct topics subscribed through an XSUB/XPUB proxy now.", labels: ["socket"])

    // The exporter itself
    public static let buildInfo = Family(name: "zmq_exporter_build_info", kind: .gauge, help: "The exporter's version and the libzmq it runs on; always 1.", labels: ["version", "libzmq_version"])
    public static let reloadSuccessful = Family(name: "zmq_exporter_config_last_reload_successful", kind: .gauge, help: "Whether the last config load or reload succeeded.", labels: [])
    public static let reloadTimestamp = Family(name: "zmq_exporter_config_last_reload_success_timestamp_seconds", kind: .gauge, help: "Unix time of the last successful config load.", labels: [])
    public static let httpRequests = Family(name: "zmq_exporter_http_requests_total", kind: .counter, help: "HTTP requests answered, by status code.", labels: ["code"])
    public static let httpInFlight = Family(name: "zmq_exporter_http_requests_in_flight", kind: .gauge, help: "HTTP requests being handled now.", labels: [])
    // The HTTP server's access policy (--web.config.file); present only when a web config is given.
    public static let httpAuthFailures = Family(name: "zmq_exporter_http_auth_failures_total", kind: .counter, help: "HTTP requests refused 401 by basic auth, by reason (missing, malformed, unknown_user, wrong_password).", labels: ["reason"])
    public static let tlsHandshakeFailures = Family(name: "zmq_exporter_tls_handshake_failures_total", kind: .counter, help: "TLS handshakes on the web port that failed, by reason (timeout, http_request, protocol_version, no_client_certificate, bad_client_certificate, client_san_not_allowed, no_shared_cipher, eof, other).", labels: ["reason"])
    public static let httpRateLimited = Family(name: "zmq_exporter_http_rate_limited_total", kind: .counter, help: "HTTP requests refused 429 by the web config's rate_limit.", labels: [])
    public static let tlsCertificateExpiry = Family(name: "zmq_exporter_tls_certificate_expiry_timestamp_seconds", kind: .gauge, help: "Unix time the served TLS certificate expires (its notAfter).", labels: [])
    public static let webConfigReloadSuccessful = Family(name: "zmq_exporter_web_config_last_reload_successful", kind: .gauge, help: "Whether the last load of the web config file and its certificates succeeded (0: requests get 500, or a certificate rotation is incomplete).", labels: [])
    public static let renderSeconds = Family(name: "zmq_exporter_scrape_render_seconds", kind: .gauge, help: "Time the previous /metrics response took to render, in seconds.", labels: [])
}
