import Logging
import ZMQExporter
import ZeroMQ

/// A client with a CURVE key nobody listed: it knows the `reports` tap's public key (so the
/// handshake gets as far as authentication, not `zmtp_cryptographic`), but the agent's ZAP
/// handler answers 400. The agent counts each refusal as
/// `zmq_socket_handshake_failures_total{socket="reports",reason="zap_400"}`, the
/// `handshake_failed_auth` event that `ZeroMQHandshakeAuthFailures` alerts on, and
/// `zmq_exporter_zap_requests_total{status="400"}`.
///
/// It tries once every ``DemoSchedule/unknownClientEvery`` (a few seconds: a steady trickle, not
/// a flood), each time on a new socket with reconnection off, so one attempt is one handshake.
final class UnknownKeyClient: DemoActor, @unchecked Sendable {
    let endpoint: String
    let serverKey: CurveKey
    private let keys: CurveKeyPair?

    init(endpoint: String, serverKey: CurveKey, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.endpoint = endpoint
        self.serverKey = serverKey
        keys = try? CurveKeyPair.generate()
        super.init(name: "unknown-key", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    override func session() throws(ZMQError) {
        guard let keys else { return }
        var announced = false
        while !isStopping {
            let next = ContinuousClock.now + schedule.unknownClientEvery
            let socket = try makeSocket(.push)
            defer { socket.close() }
            try socket.setReconnectInterval(-1)  // -1: libzmq never reconnects this socket
            try socket.setCurveClient(serverKey: serverKey, publicKey: keys.publicCurveKey, secretKey: keys.secretCurveKey)
            try socket.connect(endpoint)
            stats.bump(.unknownKeyConnects)
            if !announced {
                announced = true
                logger.notice("demo fault: a client with an unknown CURVE key tries the reports tap every \(schedule.unknownClientEvery)")
            }
            // The socket stays open until the next attempt, so its handshake has time to finish.
            pause(next - .now)
        }
    }
}
