import HTTPServer
import Testing
@testable import ZMQExporter

/// The web config reader (exporter-toolkit's format): every refused config with its exact
/// message and place, and the values a good one yields. Certificates that load are covered by
/// the system tests (Tests/system/test_tls.py), which make real ones.
@Suite struct WebConfigTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let kind: String
        let yaml: String
        let line: Int
        let column: Int
        let message: String
        var testDescription: String { kind }
    }

    static let hash = "$2y$10$" + String(repeating: "a", count: 53)

    static let cases: [Case] = [
        Case(kind: "unknown top-level key", yaml: "tls_config: {}\n", line: 1, column: 1,
             message: "unknown key 'tls_config' in the web config (known: basic_auth_users, http_server_config, rate_limit, tls_server_config)"),
        Case(kind: "top level not a mapping", yaml: "- a\n", line: 1, column: 1, message: "the web config must be a mapping"),
        Case(kind: "key misplaced under tls_server_config", yaml: "tls_server_config:\n  burst: 3\n", line: 2, column: 3,
             message: "unknown key 'burst' in tls_server_config (known: cert, cert_file, cipher_suites, client_allowed_sans, client_auth_type, client_ca, client_ca_file, curve_preferences, key, key_file, max_version, min_version, prefer_server_cipher_suites)"),
        Case(kind: "unknown key in http_server_config", yaml: "http_server_config:\n  http3: true\n", line: 2, column: 3,
             message: "unknown key 'http3' in http_server_config: did you mean 'http2'?"),
        Case(kind: "unknown key in rate_limit", yaml: "rate_limit:\n  interval: 1s\n  burst: 2\n  per: ip\n", line: 4, column: 3,
             message: "unknown key 'per' in rate_limit (known: burst, interval)"),
        Case(kind: "duplicate key", yaml: "rate_limit:\n  interval: 1s\n  interval: 2s\n  burst: 1\n", line: 3, column: 3,
             message: "rate_limit has the key 'interval' twice"),
        Case(kind: "key without cert", yaml: "tls_server_config:\n  key_file: k.pem\n", line: 2, column: 3,
             message: "tls_server_config needs cert_file or cert"),
        Case(kind: "cert without key", yaml: "tls_server_config:\n  cert_file: c.pem\n", line: 2, column: 3,
             message: "tls_server_config needs key_file or key"),
        Case(kind: "cert_file and cert", yaml: "tls_server_config:\n  cert_file: c.pem\n  cert: x\n  key_file: k.pem\n", line: 3, column: 9,
             message: "set cert_file or cert, not both"),
        Case(kind: "unknown client_auth_type", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_auth_type: Always\n", line: 4, column: 21,
             message: "client_auth_type 'Always' is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert (or RequireClientCert)"),
        Case(kind: "client CA with NoClientCert", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_ca_file: ca.pem\n", line: 4, column: 19,
             message: "a client CA is set but client_auth_type is NoClientCert: set client_auth_type (e.g. RequireAndVerifyClientCert) or remove the CA"),
        Case(kind: "verifying without a client CA", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_auth_type: RequireAndVerifyClientCert\n", line: 4, column: 21,
             message: "client_auth_type RequireAndVerifyClientCert needs client_ca_file or client_ca to verify against"),
        Case(kind: "allowed SANs without client certificates", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_allowed_sans: [a.example]\n", line: 4, column: 24,
             message: "client_allowed_sans needs a client_auth_type that asks for client certificates"),
        Case(kind: "bad max_version", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  max_version: TLS1.3\n", line: 4, column: 16,
             message: "max_version 'TLS1.3' is not one of TLS10, TLS11, TLS12, TLS13"),
        Case(kind: "min above max", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  min_version: TLS13\n  max_version: TLS12\n", line: 4, column: 16,
             message: "min_version TLS13 is above max_version TLS12"),
        Case(kind: "unknown cipher suite", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n    - TLS_FAKE\n", line: 6, column: 7,
             message: "unknown cipher suite 'TLS_FAKE' (use Go/IANA names such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)"),
        Case(kind: "unknown curve", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  curve_preferences: [X448]\n", line: 4, column: 23,
             message: "unknown curve 'X448' (use CurveP256, CurveP384, CurveP521 or X25519)"),
        Case(kind: "prefer_server_cipher_suites not a boolean", yaml: "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  prefer_server_cipher_suites: sometimes\n", line: 4, column: 32,
             message: "prefer_server_cipher_suites must be true or false"),
        Case(kind: "TLS option without TLS", yaml: "tls_server_config:\n  min_version: TLS13\n", line: 2, column: 16,
             message: "min_version has no effect without cert_file and key_file (TLS is off)"),
        Case(kind: "header not allowed", yaml: "http_server_config:\n  headers:\n    Access-Control-Allow-Origin: '*'\n", line: 3, column: 5,
             message: "HTTP header 'Access-Control-Allow-Origin' cannot be configured (allowed: Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)"),
        Case(kind: "X-Content-Type-Options other than nosniff", yaml: "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n", line: 3, column: 29,
             message: "invalid value 'sniff' for X-Content-Type-Options: expected one of nosniff"),
        Case(kind: "X-Frame-Options in capitals", yaml: "http_server_config:\n  headers:\n    X-Frame-Options: DENY\n", line: 3, column: 22,
             message: "invalid value 'DENY' for X-Frame-Options: expected one of deny, sameorigin"),
        Case(kind: "headers not a mapping", yaml: "http_server_config:\n  headers: [a]\n", line: 2, column: 12,
             message: "headers must be a mapping of header names to values"),
        Case(kind: "http2 not a boolean", yaml: "http_server_config:\n  http2: maybe\n", line: 2, column: 10,
             message: "http2 must be true or false"),
        Case(kind: "users not a mapping", yaml: "basic_auth_users: [alice]\n", line: 1, column: 19,
             message: "basic_auth_users must be a mapping of user names to bcrypt hashes"),
        Case(kind: "SHA-512 crypt hash", yaml: "basic_auth_users:\n  alice: $6$salt$abc\n", line: 2, column: 10,
             message: "the hash of user 'alice' is an MD5 or SHA-crypt hash; only bcrypt ($2a$, $2b$, $2y$) is accepted (htpasswd -nBC 10 USER)"),
        Case(kind: "DES or plaintext", yaml: "basic_auth_users:\n  alice: abJnggxhB/yWI\n", line: 2, column: 10,
             message: "the hash of user 'alice' is not a bcrypt hash; only bcrypt ($2a$, $2b$, $2y$) is accepted (htpasswd -nBC 10 USER)"),
        Case(kind: "bcrypt cost 32", yaml: "basic_auth_users:\n  alice: $2b$32$\(String(repeating: "a", count: 53))\n", line: 2, column: 10,
             message: "the hash of user 'alice' has bcrypt cost 32; bcrypt costs are 04 to 31"),
        Case(kind: "truncated bcrypt", yaml: "basic_auth_users:\n  alice: $2b$10$abc\n", line: 2, column: 10,
             message: "the hash of user 'alice' is not a complete bcrypt hash ($2y$NN$ and 53 characters of ./A-Za-z0-9)"),
        Case(kind: "bcrypt with a bad character", yaml: "basic_auth_users:\n  alice: $2b$10$\(String(repeating: "a", count: 52))!\n", line: 2, column: 10,
             message: "the hash of user 'alice' is not a complete bcrypt hash ($2y$NN$ and 53 characters of ./A-Za-z0-9)"),
        Case(kind: "user name with a colon", yaml: "basic_auth_users:\n  'a:b': \(hash)\n", line: 2, column: 3,
             message: "user name 'a:b' cannot be used with basic auth (empty, or contains ':')"),
        Case(kind: "user twice", yaml: "basic_auth_users:\n  alice: \(hash)\n  alice: \(hash)\n", line: 3, column: 3,
             message: "basic_auth_users has the user 'alice' twice"),
        Case(kind: "rate limit without interval", yaml: "rate_limit:\n  burst: 3\n", line: 2, column: 3,
             message: "rate_limit needs both interval and burst"),
        Case(kind: "rate limit interval not a duration", yaml: "rate_limit:\n  interval: often\n  burst: 3\n", line: 2, column: 13,
             message: "rate_limit interval 'often' is not a duration like 250ms, 5s, 1m30s or 2h"),
        Case(kind: "rate limit burst 0", yaml: "rate_limit:\n  interval: 1s\n  burst: 0\n", line: 3, column: 10,
             message: "rate_limit burst must be between 1 and 1000000, not 0"),
        Case(kind: "missing certificate file", yaml: "tls_server_config:\n  cert_file: absent.pem\n  key_file: absent.key\n", line: 2, column: 14,
             message: "cannot read /nonexistent/absent.pem: No such file or directory"),
        Case(kind: "inline certificate that is not PEM", yaml: "tls_server_config:\n  cert: hello\n  key: world\n", line: 2, column: 9,
             message: "no PEM certificate found: no start line"),
        Case(kind: "not YAML", yaml: "tls_server_config: [\n", line: 1, column: 20,
             message: "invalid YAML: the list '[...]' opened here is not closed"),
    ]

    @Test(arguments: cases)
    func badWebConfigIsRefusedAtItsPlace(_ testCase: Case) {
        switch WebConfigLoader.parse(testCase.yaml, file: "web.yml", directory: "/nonexistent") {
        case .success:
            Issue.record("\(testCase.kind): accepted")
        case .failure(let failure):
            let first = failure.errors.errors.first
            #expect(first?.description == "web.yml:\(testCase.line):\(testCase.column): \(testCase.message)", "\(failure.errors)")
        }
    }

    @Test func emptyFileTurnsNothingOn() throws {
        let loaded = try WebConfigLoader.parse("", file: "web.yml", directory: "/").get()
        #expect(loaded.security.tls == nil && loaded.security.users.isEmpty && loaded.security.rateLimit == nil)
        #expect(loaded.files == ["web.yml"])
    }

    @Test func usersHeadersAndRateLimitAreRead() throws {
        let yaml = """
            basic_auth_users:
              alice: \(Self.hash)
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: sameorigin
                Strict-Transport-Security: max-age=31536000
            rate_limit:
              interval: 100ms
              burst: 5
            """
        let security = try WebConfigLoader.parse(yaml, file: "web.yml", directory: "/").get().security
        #expect(security.users == ["alice": Self.hash])
        #expect(security.responseHeaders.map { "\($0.0): \($0.1)" } == ["X-Frame-Options: sameorigin", "Strict-Transport-Security: max-age=31536000"])
        #expect(security.rateLimit == WebSecurity.RateLimit(interval: .milliseconds(100), burst: 5))
    }

    @Test func missingMaterialIsARotationInProgressButBadTextIsNot() {
        guard case .failure(let missing) = WebConfigLoader.parse("tls_server_config:\n  cert_file: a.pem\n  key_file: b.pem\n", file: "w", directory: "/nonexistent") else {
            Issue.record("accepted")
            return
        }
        #expect(missing.materialOnly)
        guard case .failure(let bad) = WebConfigLoader.parse("rate_limit: 3\n", file: "w", directory: "/") else {
            Issue.record("accepted")
            return
        }
        #expect(!bad.materialOnly)
    }

    @Test func relativePathsResolveAgainstTheConfigsFolder() {
        guard case .failure(let failure) = WebConfigLoader.parse("tls_server_config:\n  cert_file: tls/a.pem\n  key_file: /abs/b.pem\n", file: "/etc/zmq/web.yml", directory: "/etc/zmq") else {
            Issue.record("accepted")
            return
        }
        #expect(failure.errors.errors.first?.message == "cannot read /etc/zmq/tls/a.pem: No such file or directory")
        #expect(WebConfigLoader.directory(of: "/etc/zmq/web.yml") == "/etc/zmq")
        #expect(WebConfigLoader.directory(of: "web.yml") == ".")
    }

    @Test func goAndIANACipherNamesMapToOpenSSL() {
        #expect(TLSCipherNames.suite(named: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")?.openSSLName == "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(TLSCipherNames.suite(named: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305")?.openSSLName == "ECDHE-ECDSA-CHACHA20-POLY1305")
        #expect(TLSCipherNames.suite(named: "TLS_AES_256_GCM_SHA384")?.isTLS13 == true)
        #expect(TLSCipherNames.suite(named: "TLS_NOPE") == nil)
    }

    @Test func bcryptShapeIsCheckedBeforeLibcrypt() {
        #expect(Bcrypt.isValidHash(Self.hash))
        #expect(!Bcrypt.isValidHash("$2y$03$" + String(repeating: "a", count: 53)))
        #expect(!Bcrypt.isValidHash("$2x$10$" + String(repeating: "a", count: 53)))
        #expect(!Bcrypt.isValidHash("$1$salt$hash"))
        #expect(!Bcrypt.isValidHash("plaintext"))
    }
}
