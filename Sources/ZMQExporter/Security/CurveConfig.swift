import ZeroMQ

/// A socket's CURVE security (ZeroMQ RFC 26), read from its `curve:` mapping with the keys
/// loaded from their files. Keys are part of the value, so a changed key file or allow list
/// restarts the socket on reload: ZAP is asked only at handshake time, and a restart is what
/// drops the live connections of a client whose key was removed.
public struct CurveConfig: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// `server: true`: accepts clients whose public key is listed, as the agent's ZAP
        /// handler decides; any other key is refused with ZAP status 400.
        case server(allowedClients: Set<CurveKey>)
        /// Connects to the server whose public key is `serverKey`.
        case client(serverKey: CurveKey)
    }

    public var mode: Mode
    /// This socket's own key pair, from `secret_key_file`.
    public var publicKey: CurveKey
    public var secretKey: CurveKey

    public init(mode: Mode, publicKey: CurveKey, secretKey: CurveKey) {
        self.mode = mode
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    public var isServer: Bool {
        if case .server = mode { return true }
        return false
    }

    /// The client keys a server accepts; empty for a client.
    public var allowedClients: Set<CurveKey> {
        if case .server(let keys) = mode { return keys }
        return []
    }
}

extension CurveConfig: CustomStringConvertible {
    /// For `check-config` and logs: public keys only, never the secret one.
    public var description: String {
        switch mode {
        case .server(let clients): "curve server \(publicKey.z85) (\(clients.count) allowed client\(clients.count == 1 ? "" : "s"))"
        case .client(let serverKey): "curve client \(publicKey.z85) of server \(serverKey.z85)"
        }
    }
}

extension SocketConfig {
    /// Each CURVE server side's ZAP domain (its `socket` label) and the client keys it accepts.
    public var curveAllowLists: [String: Set<CurveKey>] {
        var lists: [String: Set<CurveKey>] = [:]
        for side in sides {
            if let curve = side.endpoints.curve, curve.isServer { lists[side.label] = curve.allowedClients }
        }
        return lists
    }
}

extension ExporterConfig {
    /// Every CURVE server's allowed client keys by ZAP domain: the ZAP handler's table.
    public var curveAllowLists: [String: Set<CurveKey>] {
        sockets.reduce(into: [:]) { table, socket in table.merge(socket.curveAllowLists) { $1 } }
    }
}
