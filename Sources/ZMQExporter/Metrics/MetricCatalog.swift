/// Every metric family the agent exports, declared once with its help text, type, labels and
/// buckets. Names, types and labels are the product's contract; dashboards and alerts depend on
/// them. ``Metrics`` registers series only through these declarations and checks each
/// registration against them, and the exposition renders families in the order of ``all``.
public enum MetricCatalog {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    /// Where a histogram family's bucket bounds come from.
    public enum Buckets: Sendable, Equatable {
        /// Not a histogram.
        case none
        /// The same bounds for every series.
        case fixed([Double])
        /// The socket's `buckets` setting (``SocketConfig/defaultBuckets`` unless set).
        case configured
    }

    public struct Family: Sendable, Hashable {
        public let name: String
        public let kind: Kind
        public let help: String
        /// The label names every series has, in this order.
        public let labels: [String]
        /// Whether the configuration adds label names after ``labels`` (a tap's `labels`).
        public let configuredLabels: Bool
        /// Whether sockets of other processes (the preload library's files) appear in this family
        /// too, with ``MetricCatalog/processLabels`` after ``labels``.
        public let appSockets: Bool
        public let buckets: Buckets

        init(name: String, kind: Kind, help: String, labels: [String], configuredLabels: Bool = false, buckets: Buckets = .none) {
            precondition((kind == .histogram) == (buckets != .none), "\(name): buckets go with histograms only")
            self.name = name
            self.kind = kind
            self.help = help
            self.labels = labels
            self.configuredLabels = configuredLabels
            // The agent's own setup state has no counterpart in another process.
            self.appSockets = name.hasPrefix("zmq_socket_") && !["zmq_socket_expected_peers", "zmq_socket_up", "zmq_socket_setup_errors_total"].contains(name)
            self.buckets = buckets
        }

        public static func == (lhs: Family, rhs: Family) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }

        /// Whether a series with `labels` (names in order) belongs to this family.
        public func accepts(labelNames names: [String]) -> Bool {
            if configuredLabels {
                return names.count >= labels.count && Array(names.prefix(labels.count)) == labels
                    && Set(names).count == names.count
            }
            return names == labels || (appSockets && names == labels + MetricCatalog.processLabels)
        }
    }

    // Sockets
    public static let socketInfo = Family(name: "zmq_socket_info", kind: .gauge, help: "A configured ZeroMQ socket, its role and type; always 1.", labels: ["socket", "role", "type"])
    public static let endpointInfo = Family(name: "zmq_socket_endpoint_info", kind: .gauge, help: "An endpoint a socket binds or connects to (the address libzmq resolved); always 1.", labels: ["socket", "endpoint", "mode"])
    public static let expectedPeers = Family(name: "zmq_socket_expected_peers", kind: .gauge, help: "Peer connections the operator expects (min_peers in the config).", labels: ["socket"])
    public static let socketUp = Family(name: "zmq_socket_up", kind: .gauge, help: "Whether every bind and connect of the socket is in place (1) or one failed and is being retried (0).", labels: ["socket"])
    public static let setupErrors = Family(name: "zmq_socket_setup_errors_total", kind: .counter, help: "Binds, connects and socket creations that failed, by reason (address_in_use, unresolvable_host, no_such_directory, socket_limit, address_not_available, permission_denied, error).", labels: ["socket", "reason"])
    public static let events = Family(name: "zmq_socket_events_total", kind: .counter, help: "Socket monitor events by kind.", labels: ["socket", "event"])
    public static let connections = Family(name: "zmq_socket_connections", kind: .gauge, help: "Peer connections open now, tracked by file descriptor from monitor events.", labels: ["socket"])
    public static let connectionDuration = Family(name: "zmq_socket_connection_duration_seconds", kind: .histogram, help: "Lifetime of each closed peer connection, in seconds.", labels: ["socket"], buckets: .fixed(lifetimeBuckets))
    public static let handshakeFailures = Family(name: "zmq_socket_handshake_failures_total", kind: .counter, help: "ZMTP handshakes that failed, by reason (protocol error, ZAP status, or closed_before_handshake).", labels: ["socket", "reason"])
    public static let messagesReceived = Family(name: "zmq_socket_messages_received_total", kind: .counter, help: "Messages received; a multipart message counts once.", labels: ["socket"])
    public static let messagesSent = Family(name: "zmq_socket_messages_sent_total", kind: .counter, help: "Messages sent; a multipart message counts once.", labels: ["socket"])
    public static let bytesReceived = Family(name: "zmq_socket_received_bytes_total", kind: .counter, help: "Bytes received, all frames of each message.", labels: ["socket"])
    public static let bytesSent = Family(name: "zmq_socket_sent_bytes_total", kind: .counter, help: "Bytes sent, all frames of each message.", labels: ["socket"])
    public static let sendFailures = Family(name: "zmq_socket_send_failures_total", kind: .counter, help: "Sends that failed or had to wait, by reason (would_block at the high-water mark, unroutable, error).", labels: ["socket", "reason"])

    // Taps
    public static let tapMessages = Family(name: "zmq_tap_messages_total", kind: .counter, help: "Messages seen by a tap, by the configured labels taken from the message.", labels: ["socket"], configuredLabels: true)
    public static let tapDecodeErrors = Family(name: "zmq_tap_decode_errors_total", kind: .counter, help: "Tap messages that were not valid JSON (still counted as messages).", labels: ["socket"])
    public static let tapLabelValuesDropped = Family(name: "zmq_tap_label_values_dropped_total", kind: .counter, help: "Tap messages whose label value was beyond max_label_values and counted as __overflow__.", labels: ["socket"])
    public static let tapMessageAge = Family(name: "zmq_tap_message_age_seconds", kind: .histogram, help: "Age of tap messages at receipt (now minus their timestamp field), in seconds.", labels: ["socket"], buckets: .configured)
    public static let tapLastMessage = Family(name: "zmq_tap_last_message_timestamp_seconds", kind: .gauge, help: "Unix time the tap last received a message.", labels: ["socket"])

    // Probes
    public static let probeSuccess = Family(name: "zmq_probe_success", kind: .gauge, help: "Whether the last probe succeeded (1) or not (0).", labels: ["socket"])
    public static let probeDuration = Family(name: "zmq_probe_duration_seconds", kind: .histogram, help: "Round-trip time of successful probes, in seconds.", labels: ["socket"], buckets: .configured)
    public static let probeAttempts = Family(name: "zmq_probe_attempts_total", kind: .counter, help: "Probe attempts by result (success, timeout, mismatch, error).", labels: ["socket", "result"])
    public static let probeLastSuccess = Family(name: "zmq_probe_last_success_timestamp_seconds", kind: .gauge, help: "Unix time of the last successful probe.", labels: ["socket"])

    // /probe?module=M&target=T (the endpoint's own response only; `socket` is the module name).
    // zmq_probe_success is shared with the scheduled probes, so ZeroMQProbeFailing covers both.
    public static let probeTargetDuration = Family(name: "zmq_probe_target_duration_seconds", kind: .gauge, help: "How long this probe of a target took, in seconds, whatever its outcome (a gauge, as blackbox_exporter's probe_duration_seconds).", labels: ["socket"])
    public static let probeTargetConnect = Family(name: "zmq_probe_target_connect_seconds", kind: .gauge, help: "Time from the start of this probe to the ZMTP handshake with the target completing, in seconds; absent when it never did.", labels: ["socket"])
    public static let probeTargetResult = Family(name: "zmq_probe_target_result", kind: .gauge, help: "The outcome of this probe of a target (success, timeout, mismatch, connect_failed, unresolvable_host, error); always 1.", labels: ["socket", "result"])
    public static let probeTargetEvents = Family(name: "zmq_probe_target_events", kind: .gauge, help: "Socket monitor events seen during this probe of a target, by kind.", labels: ["socket", "event"])
    public static let probeTargetHandshakeFailures = Family(name: "zmq_probe_target_handshake_failures", kind: .gauge, help: "ZMTP handshakes with the target that failed during this probe, by reason.", labels: ["socket", "reason"])

    // Proxies
    public static let proxyRequestDuration = Family(name: "zmq_proxy_request_duration_seconds", kind: .histogram, help: "Time from a request entering a ROUTER/DEALER proxy's frontend to its reply leaving it, in seconds.", labels: ["socket"], buckets: .configured)
    public static let proxyInFlight = Family(name: "zmq_proxy_requests_in_flight", kind: .gauge, help: "Requests forwarded by a ROUTER/DEALER proxy and not answered yet.", labels: ["socket"])
    public static let proxyUnanswered = Family(name: "zmq_proxy_requests_unanswered_total", kind: .counter, help: "Requests evicted unanswered after request_timeout (or beyond max_in_flight).", labels: ["socket"])
    public static let proxySubscriptions = Family(name: "zmq_proxy_subscriptions", kind: .gauge, help: "Distinct topics subscribed through an XSUB/XPUB proxy now.", labels: ["socket"])

    // The exporter itself
    public static let buildInfo = Family(name: "zmq_exporter_build_info", kind: .gauge, help: "The exporter's version, git revision and branch, commit date, Swift version and the libzmq it runs on; always 1.", labels: ["version", "revision", "branch", "builddate", "swift_version", "libzmq_version"])
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
    public static let zapRequests = Family(name: "zmq_exporter_zap_requests_total", kind: .counter, help: "ZAP (RFC 27) requests the agent's CURVE handler answered, by status: 200 allowed, 400 denied, 500 malformed.", labels: ["status"])
    // The process, read from /proc at each scrape (the names every Prometheus client uses).
    public static let processCPU = Family(name: "process_cpu_seconds_total", kind: .counter, help: "Total user and system CPU time spent in seconds.", labels: [])
    public static let processResident = Family(name: "process_resident_memory_bytes", kind: .gauge, help: "Resident memory size in bytes.", labels: [])
    public static let processVirtual = Family(name: "process_virtual_memory_bytes", kind: .gauge, help: "Virtual memory size in bytes.", labels: [])
    public static let processOpenFDs = Family(name: "process_open_fds", kind: .gauge, help: "Number of open file descriptors.", labels: [])
    public static let processMaxFDs = Family(name: "process_max_fds", kind: .gauge, help: "Maximum number of open file descriptors.", labels: [])
    public static let processStart = Family(name: "process_start_time_seconds", kind: .gauge, help: "Start time of the process since unix epoch in seconds.", labels: [])

    // Programs run under the preload library (docs/zero-code.md)
    /// The labels a socket of another process has after the family's own.
    public static let processLabels = ["process", "pid"]
    public static let appProcessUp = Family(name: "zmq_app_process_up", kind: .gauge, help: "A process seen through the preload library: 1 while it runs, 0 for an exited one kept for its grace period.", labels: ["process", "pid"])
    public static let appEventsDropped = Family(name: "zmq_app_monitor_events_dropped_total", kind: .counter, help: "Monitor events the preload library dropped in a process rather than stall libzmq (its reader fell behind).", labels: ["process", "pid"])
    public static let appSocketsUnmonitored = Family(name: "zmq_app_sockets_unmonitored", kind: .gauge, help: "Sockets of a process counted without a monitor (past its descriptor budget, or the application installed its own monitor).", labels: ["process", "pid"])
    public static let preloadFiles = Family(name: "zmq_exporter_preload_files", kind: .gauge, help: "Stats files in --preload.dir at the last scrape, by state (live, exited, invalid, refused, over_limit).", labels: ["state"])

    /// Connection lifetimes span milliseconds (a rejected peer) to days.
    public static let lifetimeBuckets: [Double] = [0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400]

    /// Every family, in the order the exposition renders them.
    public static let all: [Family] = [
        socketInfo, endpointInfo, expectedPeers, socketUp, setupErrors, events, connections, connectionDuration, handshakeFailures,
        messagesReceived, messagesSent, bytesReceived, bytesSent, sendFailures,
        tapMessages, tapDecodeErrors, tapLabelValuesDropped, tapMessageAge, tapLastMessage,
        probeSuccess, probeDuration, probeAttempts, probeLastSuccess,
        probeTargetDuration, probeTargetConnect, probeTargetResult, probeTargetEvents, probeTargetHandshakeFailures,
        proxyRequestDuration, proxyInFlight, proxyUnanswered, proxySubscriptions,
        buildInfo, reloadSuccessful, reloadTimestamp, httpRequests, httpInFlight, renderSeconds, zapRequests,
        httpAuthFailures, tlsHandshakeFailures, httpRateLimited, tlsCertificateExpiry, webConfigReloadSuccessful,
        appProcessUp, appEventsDropped, appSocketsUnmonitored, preloadFiles,
        processCPU, processResident, processVirtual, processOpenFDs, processMaxFDs, processStart,
    ]
}
