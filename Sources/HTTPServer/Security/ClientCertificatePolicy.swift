import COpenSSL
import Glibc

/// What the verify callback needs: whether unverifiable certificates pass (Request and
/// RequireAny take any certificate, as Go does) and the allowed SANs. Owned by its
/// ``TLSServerContext``; the context's ex-data slot 0 points at it.
final class ClientCertificatePolicy: @unchecked Sendable {
    // Immutable after init.
    let acceptUnverified: Bool
    let allowedSANs: Set<String>

    init(_ settings: TLSSettings) {
        acceptUnverified = settings.clientAuth == .requestClientCert || settings.clientAuth == .requireAnyClientCert
        allowedSANs = Set(settings.allowedSANs)
    }

    /// Whether `certificate` names one of the allowed SANs (DNS, email, IP or URI), compared exactly.
    func allows(_ certificate: OpaquePointer) -> Bool {
        guard let raw = zx_X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return false }
        let names = OpaquePointer(raw)
        defer { zx_GENERAL_NAMES_free(names) }
        for index in 0..<zx_sk_GENERAL_NAME_num(names) {
            guard let name = zx_sk_GENERAL_NAME_value(names, index), let value = Self.text(of: name) else { continue }
            if allowedSANs.contains(value) { return true }
        }
        return false
    }

    private static func text(of name: UnsafePointer<GENERAL_NAME>) -> String? {
        guard let string = zx_general_name_string(name), let data = zx_ASN1_STRING_get0_data(string) else { return nil }
        let bytes = UnsafeBufferPointer(start: data, count: Int(zx_ASN1_STRING_length(string)))
        guard zx_general_name_type(name) == GEN_IPADD else { return String(decoding: bytes, as: UTF8.self) }
        // IP addresses are raw octets; compare them as Go prints them (inet_ntop's form).
        let family = bytes.count == 4 ? AF_INET : bytes.count == 16 ? AF_INET6 : -1
        guard family != -1 else { return nil }
        var out = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family, data, &out, socklen_t(out.count)) != nil else { return nil }
        return String(cString: out)
    }
}

/// The verify callback: at depth 0 a certificate must carry an allowed SAN, or verification
/// fails with X509_V_ERR_APPLICATION_VERIFICATION, so a miss fails the handshake itself.
let verifyClientCertificate: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
    guard let store,
          let sslPointer = zx_X509_STORE_CTX_get_ex_data(store, zx_ssl_ex_data_store_index()),
          let policyPointer = zx_SSL_CTX_get_ex_data(zx_SSL_get_SSL_CTX(OpaquePointer(sslPointer)), 0) else { return preverified }
    let policy = Unmanaged<ClientCertificatePolicy>.fromOpaque(policyPointer).takeUnretainedValue()
    var ok = policy.acceptUnverified ? 1 : preverified
    if ok == 1 && !policy.allowedSANs.isEmpty && zx_X509_STORE_CTX_get_error_depth(store) == 0,
       let certificate = zx_X509_STORE_CTX_get_current_cert(store), !policy.allows(certificate) {
        zx_X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION)
        ok = 0
    }
    return ok
}
