import ZeroMQ

extension MonitoredSocket {
    /// Sets a socket's CURVE options before it binds or connects. A server gets `domain` (its
    /// `socket` label) as its ZAP domain, so the handler looks up that socket's allow list.
    ///
    /// A server is refused while no ZAP handler runs in the socket's context: libzmq would
    /// otherwise accept every client key. The error is EACCES so the runner logs and retries.
    static func apply(_ curve: CurveConfig, to socket: Socket, domain: String) throws(ZMQError) {
        switch curve.mode {
        case .server:
            guard ZAPHandler.isServing(socket.context) else {
                throw ZMQError.accessDenied("CURVE server '\(domain)' without the agent's ZAP handler (refused: libzmq would accept any client key)")
            }
            try socket.setCurveServer(secretKey: curve.secretKey, zapDomain: domain)
        case .client(let serverKey):
            try socket.setCurveClient(serverKey: serverKey, publicKey: curve.publicKey, secretKey: curve.secretKey)
        }
    }
}
