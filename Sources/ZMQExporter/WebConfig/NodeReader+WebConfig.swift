import HTTPServer

/// The web config's shape, read with the same strictness as the agent's config: an unknown or
/// misplaced key, a bad value or a missing partner is an error at its line and column.
extension NodeReader {
    /// `directory` is the web config file's folder; relative file paths resolve against it.
    mutating func readWebConfig(_ root: YAMLNode, directory: String) -> WebConfig {
        var config = WebConfig()
        guard let top = mapping(root, what: "the web config", allowed: WebConfig.topKeys) else { return config }
        if let node = section(top["tls_server_config"]) { readTLS(node, directory: directory, into: &config) }
        if let node = section(top["http_server_config"]) { readHTTP(node, into: &config) }
        if let node = section(top["basic_auth_users"]) { readUsers(node, into: &config) }
        if let node = section(top["rate_limit"]) { readRateLimit(node, into: &config) }
        return config
    }

    /// A key written with no value (`tls_server_config:`) is an empty section, as in Go's YAML.
    private func section(_ node: YAMLNode?) -> YAMLNode? {
        guard let node else { return nil }
        if let text = node.string, text.isEmpty || text == "~" || text == "null" { return nil }
        return node
    }

    private mutating func readTLS(_ node: YAMLNode, directory: String, into config: inout WebConfig) {
        guard let map = mapping(node, what: "tls_server_config", allowed: WebConfig.tlsKeys) else { return }
        config.tlsNode = node
        let certificate = source(map, file: "cert_file", inline: "cert", directory: directory, into: &config)
        let key = source(map, file: "key_file", inline: "key", directory: directory, into: &config)
        let clientCA = source(map, file: "client_ca_file", inline: "client_ca", directory: directory, into: &config)
        config.certificateNode = map["cert_file"] ?? map["cert"]
        config.keyNode = map["key_file"] ?? map["key"]
        config.clientCANode = map["client_ca_file"] ?? map["client_ca"]

        var clientAuth = TLSSettings.ClientAuth.noClientCert
        let authNode = map["client_auth_type"]
        if let authNode, let text = string(authNode, what: "client_auth_type"), !text.isEmpty {
            if let known = TLSSettings.ClientAuth(rawValue: text == "RequireClientCert" ? "RequireAnyClientCert" : text) {
                clientAuth = known
            } else {
                let names = TLSSettings.ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")
                fail(authNode, "client_auth_type '\(text)' is not one of \(names) (or RequireClientCert)")
            }
        }
        let tlsWanted = certificate != nil || key != nil || clientCA != nil || authNode?.string.map { !$0.isEmpty } == true
        guard tlsWanted else {
            for name in ["client_allowed_sans", "min_version", "max_version", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites"] {
                if let value = map[name] { fail(value, "\(name) has no effect without cert_file and key_file (TLS is off)") }
            }
            return
        }
        guard let certificate else {
            fail(node, "tls_server_config needs cert_file or cert")
            return
        }
        guard let key else {
            fail(node, "tls_server_config needs key_file or key")
            return
        }
        var settings = TLSSettings(certificate: certificate, privateKey: key, clientCA: clientCA, clientAuth: clientAuth)
        if clientCA != nil && clientAuth == .noClientCert {
            fail(config.clientCANode, "a client CA is set but client_auth_type is NoClientCert: set client_auth_type (e.g. RequireAndVerifyClientCert) or remove the CA")
        }
        if clientCA == nil && clientAuth.verifies {
            fail(authNode, "client_auth_type \(clientAuth.rawValue) needs client_ca_file or client_ca to verify against")
        }
        if let sansNode = map["client_allowed_sans"], let sans = stringList(sansNode, what: "client_allowed_sans") {
            if clientAuth == .noClientCert {
                fail(sansNode, "client_allowed_sans needs a client_auth_type that asks for client certificates")
            }
            settings.allowedSANs = sans
        }
        settings.minVersion = version(map["min_version"], what: "min_version") ?? .tls12
        settings.maxVersion = version(map["max_version"], what: "max_version") ?? .tls13
        if settings.minVersion > settings.maxVersion, let node = map["min_version"] ?? map["max_version"] {
            fail(node, "min_version \(settings.minVersion.name) is above max_version \(settings.maxVersion.name)")
        }
        if let ciphersNode = map["cipher_suites"] {
            config.cipherNode = ciphersNode
            readCiphers(ciphersNode, into: &settings)
        }
        if let curvesNode = map["curve_preferences"] {
            config.curveNode = curvesNode
            readCurves(curvesNode, into: &settings)
        }
        if let preferNode = map["prefer_server_cipher_suites"] {
            settings.preferServerCipherSuites = boolean(preferNode, what: "prefer_server_cipher_suites") ?? true
        }
        config.tls = settings
    }

    /// A PEM given as a file path or inline; both at once is an error.
    private mutating func source(_ map: [String: YAMLNode], file: String, inline: String, directory: String, into config: inout WebConfig) -> TLSSettings.Source? {
        let fileText = map[file].flatMap { string($0, what: file) }.flatMap { $0.isEmpty ? nil : $0 }
        let inlineText = map[inline].flatMap { string($0, what: inline) }.flatMap { $0.isEmpty ? nil : $0 }
        if fileText != nil && inlineText != nil {
            fail(map[inline], "set \(file) or \(inline), not both")
            return nil
        }
        if let fileText {
            let path = fileText.hasPrefix("/") ? fileText : directory + "/" + fileText
            config.materialFiles.append(path)
            return .file(path)
        }
        return inlineText.map { .inline($0) }
    }

    private mutating func version(_ node: YAMLNode?, what: String) -> TLSSettings.Version? {
        guard let node, let text = string(node, what: what) else { return nil }
        guard let version = TLSSettings.Version.allCases.first(where: { $0.name == text }) else {
            fail(node, "\(what) '\(text)' is not one of TLS10, TLS11, TLS12, TLS13")
            return nil
        }
        return version
    }

    private mutating func readCiphers(_ node: YAMLNode, into settings: inout TLSSettings) {
        guard let names = stringList(node, what: "cipher_suites") else { return }
        let items: [YAMLNode] = if case .sequence(let list) = node.kind { list } else { [node] }
        for (index, name) in names.enumerated() {
            guard let suite = TLSCipherNames.suite(named: name) else {
                fail(index < items.count ? items[index] : node, "unknown cipher suite '\(name)' (use Go/IANA names such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)")
                continue
            }
            if suite.isTLS13 { settings.tls13CipherSuites.append(suite.openSSLName) } else { settings.cipherSuites.append(suite.openSSLName) }
        }
    }

    private mutating func readCurves(_ node: YAMLNode, into settings: inout TLSSettings) {
        guard let names = stringList(node, what: "curve_preferences") else { return }
        let items: [YAMLNode] = if case .sequence(let list) = node.kind { list } else { [node] }
        for (index, name) in names.enumerated() {
            guard let group = TLSCipherNames.group(goName: name) else {
                fail(index < items.count ? items[index] : node, "unknown curve '\(name)' (use CurveP256, CurveP384, CurveP521 or X25519)")
                continue
            }
            settings.curves.append(group)
        }
    }

    private mutating func boolean(_ node: YAMLNode, what: String) -> Bool? {
        switch node.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            fail(node, "\(what) must be true or false")
            return nil
        }
    }

    private mutating func readHTTP(_ node: YAMLNode, into config: inout WebConfig) {
        guard let map = mapping(node, what: "http_server_config", allowed: WebConfig.httpKeys) else { return }
        if let http2 = map["http2"] { _ = boolean(http2, what: "http2") }  // accepted; this server speaks HTTP/1.1 only
        guard let headersNode = section(map["headers"]) else { return }
        guard case .mapping(let pairs) = headersNode.kind else {
            fail(headersNode, "headers must be a mapping of header names to values")
            return
        }
        var seen: Set<String> = []
        for (keyNode, valueNode) in pairs {
            guard let name = string(keyNode, what: "a header name"), let value = string(valueNode, what: "the value of header \(keyNode.string ?? "")") else { continue }
            guard let allowed = WebConfig.allowedHeaders[name] else {
                fail(keyNode, "HTTP header '\(name)' cannot be configured (allowed: \(WebConfig.allowedHeaders.keys.sorted().joined(separator: ", ")))")
                continue
            }
            guard seen.insert(name).inserted else {
                fail(keyNode, "headers has the key '\(name)' twice")
                continue
            }
            if !allowed.isEmpty && !allowed.contains(value) {
                fail(valueNode, "invalid value '\(value)' for \(name): expected one of \(allowed.joined(separator: ", "))")
                continue
            }
            if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                fail(valueNode, "the value of \(name) has a control character")
                continue
            }
            config.headers.append((name, value))
        }
    }

    private mutating func readUsers(_ node: YAMLNode, into config: inout WebConfig) {
        guard case .mapping(let pairs) = node.kind else {
            fail(node, "basic_auth_users must be a mapping of user names to bcrypt hashes")
            return
        }
        for (keyNode, valueNode) in pairs {
            guard let user = string(keyNode, what: "a user name"), let hash = string(valueNode, what: "the hash of user '\(keyNode.string ?? "")'") else { continue }
            if config.users[user] != nil {
                fail(keyNode, "basic_auth_users has the user '\(user)' twice")
                continue
            }
            if user.isEmpty || user.contains(":") {
                fail(keyNode, "user name '\(user)' cannot be used with basic auth (empty, or contains ':')")
                continue
            }
            guard Bcrypt.isValidHash(hash) else {
                fail(valueNode, Self.hashProblem(hash, user: user))
                continue
            }
            config.users[user] = hash
        }
    }

    static func hashProblem(_ hash: String, user: String) -> String {
        let what = "the hash of user '\(user)'"
        if hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$") {
            if let cost = Bcrypt.cost(of: hash), !(4...31).contains(cost) {
                return "\(what) has bcrypt cost \(cost); bcrypt costs are 04 to 31"
            }
            return "\(what) is not a complete bcrypt hash ($2y$NN$ and 53 characters of ./A-Za-z0-9)"
        }
        if hash.hasPrefix("$1$") || hash.hasPrefix("$5$") || hash.hasPrefix("$6$") || hash.hasPrefix("$apr1$") {
            return "\(what) is an MD5 or SHA-crypt hash; only bcrypt ($2a$, $2b$, $2y$) is accepted (htpasswd -nBC 10 USER)"
        }
        return "\(what) is not a bcrypt hash; only bcrypt ($2a$, $2b$, $2y$) is accepted (htpasswd -nBC 10 USER)"
    }

    private mutating func readRateLimit(_ node: YAMLNode, into config: inout WebConfig) {
        guard let map = mapping(node, what: "rate_limit", allowed: WebConfig.rateLimitKeys) else { return }
        guard let intervalNode = map["interval"], let burstNode = map["burst"] else {
            fail(node, "rate_limit needs both interval and burst")
            return
        }
        guard let interval = duration(intervalNode, what: "rate_limit interval") else { return }
        guard interval > .zero else {
            fail(intervalNode, "rate_limit interval must be more than 0")
            return
        }
        guard let burst = integer(burstNode, what: "rate_limit burst", range: 1...1_000_000) else { return }
        config.rateLimit = WebSecurity.RateLimit(interval: interval, burst: burst)
    }
}
