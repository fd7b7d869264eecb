import COpenSSL

/// Go and IANA cipher-suite names (what exporter-toolkit's `cipher_suites` takes) mapped to
/// OpenSSL's own names, which OpenSSL's cipher lists need.
public enum TLSCipherNames {
    public struct Suite: Sendable, Equatable {
        /// OpenSSL's name, e.g. ECDHE-RSA-AES128-GCM-SHA256 (TLS_AES_128_GCM_SHA256 for TLS 1.3).
        public let openSSLName: String
        /// A TLS 1.3 suite, configured apart from the older ones.
        public let isTLS13: Bool
    }

    /// Every suite this OpenSSL knows, by its standard (IANA) name.
    private static let table: [String: Suite] = {
        var table: [String: Suite] = [:]
        guard zx_openssl_load() == 1, let ctx = zx_SSL_CTX_new(zx_TLS_server_method()) else { return table }
        defer { zx_SSL_CTX_free(ctx) }
        _ = zx_SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL")
        guard let stack = zx_SSL_CTX_get_ciphers(ctx) else { return table }
        for index in 0..<zx_sk_SSL_CIPHER_num(stack) {
            guard let cipher = zx_sk_SSL_CIPHER_value(stack, index),
                  let standard = zx_SSL_CIPHER_standard_name(cipher), let name = zx_SSL_CIPHER_get_name(cipher) else { continue }
            let isTLS13 = zx_SSL_CIPHER_get_version(cipher).map { String(cString: $0) } == "TLSv1.3"
            table[String(cString: standard)] = Suite(openSSLName: String(cString: name), isTLS13: isTLS13)
        }
        return table
    }()

    /// The suite for a Go or IANA name; Go's constants drop the `_SHA256` of the ChaCha20
    /// suites, so both spellings are taken. Nil for a name OpenSSL does not know.
    public static func suite(named name: String) -> Suite? {
        table[name] ?? table[name + "_SHA256"]
    }

    /// Go's `curve_preferences` names mapped to OpenSSL group names.
    public static func group(goName: String) -> String? {
        switch goName {
        case "CurveP256": "P-256"
        case "CurveP384": "P-384"
        case "CurveP521": "P-521"
        case "X25519": "X25519"
        default: nil
        }
    }
}
