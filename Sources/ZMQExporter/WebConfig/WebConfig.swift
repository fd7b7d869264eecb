import HTTPServer

/// A web config file (exporter-toolkit's format) as read, before OpenSSL has seen it: the
/// values for the HTTP server, and the nodes each came from so that a certificate that does not
/// load is reported at its key's line and column.
struct WebConfig {
    var tls: TLSSettings?
    var users: [String: String] = [:]
    var headers: [(String, String)] = []
    var rateLimit: WebSecurity.RateLimit?
    /// The certificate, key and client CA files (absolute or relative to the working directory).
    var materialFiles: [String] = []

    /// Where each TLS part was set, for errors from OpenSSL.
    var certificateNode: YAMLNode?
    var keyNode: YAMLNode?
    var clientCANode: YAMLNode?
    var tlsNode: YAMLNode?
    var cipherNode: YAMLNode?
    var curveNode: YAMLNode?

    /// exporter-toolkit's five settable headers and, where it fixes them, their allowed values.
    static let allowedHeaders: [String: [String]] = [
        "Strict-Transport-Security": [],
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": [],
        "Content-Security-Policy": [],
    ]

    static let topKeys: Set<String> = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"]
    static let tlsKeys: Set<String> = [
        "cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "client_ca",
        "client_allowed_sans", "min_version", "max_version", "cipher_suites", "curve_preferences",
        "prefer_server_cipher_suites",
    ]
    static let httpKeys: Set<String> = ["headers", "http2"]
    static let rateLimitKeys: Set<String> = ["interval", "burst"]
}
