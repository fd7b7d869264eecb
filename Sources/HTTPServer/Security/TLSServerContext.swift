import COpenSSL
import Glibc

/// An OpenSSL server context built from ``TLSSettings``: certificate and key checked against each
/// other, client-certificate policy, versions, suites and groups. Immutable once built, so a
/// reload builds a new one and swaps it in; connections keep the context they started with.
public final class TLSServerContext: @unchecked Sendable {
    // SSL_CTX is reference-counted and safe to share once configured; nothing changes it after init.
    let context: OpaquePointer
    let clientPolicy: ClientCertificatePolicy
    /// The leaf certificate's notAfter as Unix seconds.
    public let certificateExpiry: Int64?

    /// Mozilla's intermediate profile for TLS 1.2: ECDHE with AEAD only (no DHE: it needs
    /// parameters and brings nothing an ECDHE-capable scraper lacks).
    static let defaultCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    static let defaultGroups = "X25519:P-256:P-384"

    /// - Throws: ``TLSSetupError`` naming the part that failed, with OpenSSL's reason.
    public init(_ settings: TLSSettings) throws(TLSSetupError) {
        zx_ERR_clear_error()
        guard let ctx = zx_SSL_CTX_new(zx_TLS_server_method()) else { throw TLSSetupError(.context, "cannot create a TLS context: \(Self.lastError())") }
        clientPolicy = ClientCertificatePolicy(settings)
        do {
            try Self.configure(ctx, settings)
            certificateExpiry = Self.expiry(of: zx_SSL_CTX_get0_certificate(ctx))
        } catch {
            zx_SSL_CTX_free(ctx)
            throw error
        }
        context = ctx
        zx_SSL_CTX_set_ex_data(ctx, 0, Unmanaged.passUnretained(clientPolicy).toOpaque())
    }

    deinit {
        zx_SSL_CTX_free(context)
    }

    private static func configure(_ ctx: OpaquePointer, _ settings: TLSSettings) throws(TLSSetupError) {
        _ = zx_SSL_CTX_set_options(ctx, zx_server_options(settings.preferServerCipherSuites ? 1 : 0))
        _ = zx_SSL_CTX_set_mode(ctx, zx_partial_write_modes())
        // Stateless: no session cache, no tickets. Prometheus keeps its connection alive, so
        // resumption would save a handshake per target restart at most.
        _ = zx_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        _ = zx_SSL_CTX_set_num_tickets(ctx, 0)
        if settings.minVersion < .tls12 {
            // OpenSSL 3's default security level refuses TLS 1.0/1.1 handshakes outright.
            zx_SSL_CTX_set_security_level(ctx, 0)
        }
        guard zx_SSL_CTX_set_min_proto_version(ctx, settings.minVersion.rawValue) == 1,
              zx_SSL_CTX_set_max_proto_version(ctx, settings.maxVersion.rawValue) == 1 else {
            throw TLSSetupError(.versions, "cannot set the protocol versions: \(lastError())")
        }
        let ciphers = settings.cipherSuites.isEmpty ? defaultCiphers : settings.cipherSuites.joined(separator: ":")
        guard zx_SSL_CTX_set_cipher_list(ctx, ciphers) == 1 else {
            throw TLSSetupError(.cipherSuites, "no usable cipher suite: \(lastError())")
        }
        if !settings.tls13CipherSuites.isEmpty {
            guard zx_SSL_CTX_set_ciphersuites(ctx, settings.tls13CipherSuites.joined(separator: ":")) == 1 else {
                throw TLSSetupError(.cipherSuites, "no usable TLS 1.3 cipher suite: \(lastError())")
            }
        }
        let groups = settings.curves.isEmpty ? defaultGroups : settings.curves.joined(separator: ":")
        guard zx_SSL_CTX_set1_groups_list(ctx, groups) == 1 else {
            throw TLSSetupError(.curves, "cannot use the curves \(groups): \(lastError())")
        }
        try useCertificateChain(ctx, settings.certificate)
        try usePrivateKey(ctx, settings.privateKey)
        guard zx_SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSSetupError(.keyMismatch, "the private key does not match the certificate: \(lastError())")
        }
        if let ca = settings.clientCA { try useClientCA(ctx, ca) }
        var mode: Int32
        switch settings.clientAuth {
        case .noClientCert: mode = SSL_VERIFY_NONE
        case .requestClientCert, .verifyClientCertIfGiven: mode = SSL_VERIFY_PEER
        case .requireAnyClientCert, .requireAndVerifyClientCert: mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
        }
        zx_SSL_CTX_set_verify(ctx, mode, mode == SSL_VERIFY_NONE ? nil : verifyClientCertificate)
    }

    // MARK: PEM input

    private static func withBIO<R>(_ source: TLSSettings.Source, part: TLSSetupError.Part, _ body: (OpaquePointer) throws(TLSSetupError) -> R) throws(TLSSetupError) -> R {
        let bio: OpaquePointer?
        var inline: [UInt8] = []
        switch source {
        case .file(let path):
            bio = zx_BIO_new_file(path, "r")
            guard bio != nil else {
                throw TLSSetupError(part, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
        case .inline(let text):
            inline = Array(text.utf8)
            bio = inline.withUnsafeBytes { zx_BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        }
        guard let bio else { throw TLSSetupError(part, "cannot read the PEM text: \(lastError())") }
        defer { zx_BIO_free(bio) }
        return try withExtendedLifetime(inline) { () throws(TLSSetupError) -> R in try body(bio) }
    }

    private static func useCertificateChain(_ ctx: OpaquePointer, _ source: TLSSettings.Source) throws(TLSSetupError) {
        try withBIO(source, part: .certificate) { (bio) throws(TLSSetupError) in
            guard let leaf = zx_PEM_read_bio_X509(bio, nil, nil, nil) else {
                throw TLSSetupError(.certificate, "no PEM certificate found: \(lastError())")
            }
            defer { zx_X509_free(leaf) }
            guard zx_SSL_CTX_use_certificate(ctx, leaf) == 1 else {
                throw TLSSetupError(.certificate, "the certificate is not usable: \(lastError())")
            }
            while let intermediate = zx_PEM_read_bio_X509(bio, nil, nil, nil) {
                if zx_SSL_CTX_add0_chain_cert(ctx, intermediate) != 1 { zx_X509_free(intermediate) }
            }
            zx_ERR_clear_error()  // the end of the PEM text ends the loop with an error
        }
    }

    private static func usePrivateKey(_ ctx: OpaquePointer, _ source: TLSSettings.Source) throws(TLSSetupError) {
        try withBIO(source, part: .privateKey) { (bio) throws(TLSSetupError) in
            guard let key = zx_PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                throw TLSSetupError(.privateKey, "no PEM private key found: \(lastError())")
            }
            defer { zx_EVP_PKEY_free(key) }
            guard zx_SSL_CTX_use_PrivateKey(ctx, key) == 1 else {
                // OpenSSL compares the key with the certificate already here.
                let reason = lastError()
                if reason == "key values mismatch" {
                    throw TLSSetupError(.keyMismatch, "the private key does not match the certificate: \(reason)")
                }
                throw TLSSetupError(.privateKey, "the private key is not usable: \(reason)")
            }
        }
    }

    private static func useClientCA(_ ctx: OpaquePointer, _ source: TLSSettings.Source) throws(TLSSetupError) {
        try withBIO(source, part: .clientCA) { (bio) throws(TLSSetupError) in
            let store = zx_SSL_CTX_get_cert_store(ctx)
            var count = 0
            while let ca = zx_PEM_read_bio_X509(bio, nil, nil, nil) {
                defer { zx_X509_free(ca) }
                _ = zx_X509_STORE_add_cert(store, ca)
                _ = zx_SSL_CTX_add_client_CA(ctx, ca)
                count += 1
            }
            zx_ERR_clear_error()
            if count == 0 { throw TLSSetupError(.clientCA, "no PEM certificate found in the client CA") }
        }
    }

    // MARK: Facts

    static func expiry(of certificate: OpaquePointer?) -> Int64? {
        guard let certificate, let notAfter = zx_X509_get0_notAfter(certificate) else { return nil }
        var moment = tm()
        guard zx_ASN1_TIME_to_tm(notAfter, &moment) == 1 else { return nil }
        return Int64(timegm(&moment))
    }

    /// OpenSSL's most recent error on this thread as text, and the queue cleared.
    static func lastError() -> String {
        let code = zx_ERR_get_error()
        zx_ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        zx_ERR_error_string_n(code, &buffer, buffer.count)
        // "error:0A00007D:SSL routines::reason": the reason is what a reader needs.
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? text
    }
}
