import Posix
import ZeroMQ

/// `curve:` of a socket or proxy side:
///
/// ```yaml
/// curve: {server: true, secret_key_file: server.key_secret, allowed_clients: ["<Z85>", client.key]}
/// curve: {server_key: "<Z85>" or server.key, secret_key_file: client.key_secret}
/// ```
///
/// Key files are zcert text (``ZCert``); relative paths resolve against the config file's
/// directory. A secret key file that group or others may read is refused, as ssh refuses such
/// a private key.
extension NodeReader {
    static let curveKeys: Set<String> = ["server", "secret_key_file", "allowed_clients", "server_key"]

    mutating func readCurve(_ node: YAMLNode, what: String) -> CurveConfig? {
        guard ZMQ.has("curve") else {
            fail(node, "\(what): curve needs a libzmq built with CURVE support (zmq_has(\"curve\") is false for libzmq \(ZMQ.versionString))")
            return nil
        }
        guard let map = mapping(node, what: "\(what) curve", allowed: Self.curveKeys) else { return nil }
        var server = false
        if let n = map["server"] {
            switch n.string {
            case "true": server = true
            case "false": server = false
            default: fail(n, "\(what): curve server must be true or false")
            }
        }
        guard let secretNode = map["secret_key_file"] else {
            fail(node, "\(what): curve needs 'secret_key_file' (a zcert secret certificate, see zmq-exporter curve-keygen)")
            return nil
        }
        let pair = readSecretKeyFile(secretNode, what: what)
        let mode: CurveConfig.Mode?
        if server {
            if let n = map["server_key"] { fail(n, "\(what): server_key is for a CURVE client; a server has allowed_clients") }
            guard let listNode = map["allowed_clients"] else {
                fail(node, "\(what): a CURVE server needs 'allowed_clients': the client public keys it accepts (Z85 or zcert files)")
                return nil
            }
            var keys: Set<CurveKey> = []
            var ok = true
            for item in listItems(listNode, what: "allowed_clients") {
                if let key = readPublicKey(item, what: "\(what): allowed client") { keys.insert(key) } else { ok = false }
            }
            mode = ok ? .server(allowedClients: keys) : nil
        } else {
            if let n = map["allowed_clients"] { fail(n, "\(what): allowed_clients needs 'server: true'") }
            guard let keyNode = map["server_key"] else {
                fail(node, "\(what): a CURVE client needs 'server_key' (the server's public key, Z85 or a zcert file), or 'server: true' for a server")
                return nil
            }
            mode = readPublicKey(keyNode, what: "\(what): server_key").map { .client(serverKey: $0) }
        }
        guard let pair, let mode else { return nil }
        return CurveConfig(mode: mode, publicKey: pair.publicKey, secretKey: pair.secretKey)
    }

    /// The items of a list (a single string counts as a one-item list), reporting other shapes.
    private mutating func listItems(_ node: YAMLNode, what: String) -> [YAMLNode] {
        switch node.kind {
        case .sequence(let items): return items
        case .scalar: return [node]
        case .mapping:
            fail(node, "\(what) must be a list of Z85 public keys or zcert files")
            return []
        }
    }

    /// A public key given as 40 Z85 characters or as the path of a zcert certificate.
    private mutating func readPublicKey(_ node: YAMLNode, what: String) -> CurveKey? {
        guard let text = string(node, what: what) else { return nil }
        if let key = CurveKey(z85: text) { return key }
        let path = resolvePath(text)
        if case .failure(let problem) = Files.permissions(path) {
            fail(node, "\(what) '\(text)' is neither a Z85 key (\(CurveKey.z85Problem(text) ?? "")) nor a key file (\(problem.message))")
            return nil
        }
        guard let cert = readCertificate(node, path: path, what: "\(what) file '\(text)'") else { return nil }
        guard let key = cert.publicKey else {
            fail(node, "\(what) file '\(text)' has no public-key in its curve section")
            return nil
        }
        return key
    }

    /// The socket's own key pair from its secret certificate. The file's public-key, when
    /// present, must be the one the secret key makes.
    private mutating func readSecretKeyFile(_ node: YAMLNode, what: String) -> (publicKey: CurveKey, secretKey: CurveKey)? {
        guard let text = string(node, what: "\(what): secret_key_file") else { return nil }
        let path = resolvePath(text)
        let label = "\(what): secret_key_file '\(text)'"
        switch Files.permissions(path) {
        case .failure(let problem):
            fail(node, "\(label): \(problem.message)")
            return nil
        case .success(let mode) where mode & 0o077 != 0:
            fail(node, "\(label) is readable or writable by group or others (mode \(octal(mode))); run chmod 600 on it")
            return nil
        case .success:
            break
        }
        guard let cert = readCertificate(node, path: path, what: label) else { return nil }
        guard let secret = cert.secretKey else {
            fail(node, "\(label) has no secret-key in its curve section (is it the public certificate? the secret one ends in _secret)")
            return nil
        }
        guard let derived = try? secret.publicKey() else {
            fail(node, "\(label): libzmq cannot derive the public key (zmq_curve_public failed)")
            return nil
        }
        if let stated = cert.publicKey, stated != derived {
            fail(node, "\(label): its public-key does not belong to its secret-key")
            return nil
        }
        return (derived, secret)
    }

    private mutating func readCertificate(_ node: YAMLNode, path: String, what: String) -> ZCert? {
        let bytes: [UInt8]
        switch Files.contents(path, limit: 64 << 10) {
        case .success(let read): bytes = read
        case .failure(let problem):
            fail(node, "\(what): \(problem.message)")
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            fail(node, "\(what) is not UTF-8 text")
            return nil
        }
        do {
            return try ZCert.parse(text)
        } catch {
            fail(node, "\(what) \(error)")
            return nil
        }
    }

    /// `path` as given when absolute, else relative to the base directory (by default the
    /// config file's directory).
    func resolvePath(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        if let baseDirectory { return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path }
        guard let slash = file.lastIndex(of: "/") else { return path }
        return String(file[...slash]) + path
    }

    private func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
