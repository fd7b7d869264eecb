import Logging
import ZMQExporter
import ZeroMQ

/// A client the agent's CURVE-secured `reports` tap lets in: its public key is the one
/// examples/demo.yml lists in `allowed_clients`. It PUSHes a small JSON status report
/// (`{"report":"pipeline","produced":N,"collected":M,"time":<ms>}`) every ``interval``, encrypted;
/// the agent's ZAP handler answers its handshake with 200.
final class ReportClient: DemoActor, @unchecked Sendable {
    let endpoint: String
    let serverKey: CurveKey
    let keys: CurveKeyPair
    /// Two reports a second: traffic to see on the tap, no load.
    static let interval: Duration = .milliseconds(500)

    init(endpoint: String, serverKey: CurveKey, keys: CurveKeyPair, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.endpoint = endpoint
        self.serverKey = serverKey
        self.keys = keys
        super.init(name: "reporter", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    override func session() throws(ZMQError) {
        let socket = try makeSocket(.push)
        defer { socket.close() }
        try socket.setCurveClient(serverKey: serverKey, publicKey: keys.publicCurveKey, secretKey: keys.secretCurveKey)
        try socket.connect(endpoint)
        while !isStopping {
            let report = "{\"report\":\"pipeline\",\"produced\":\(stats.read(.produced)),\"collected\":\(stats.read(.collected)),\"time\":\(Self.nowMilliseconds())}"
            do {
                // Never block: until the handshake completes the report would wait in the socket.
                try socket.send(report, flags: .dontWait)
                stats.bump(.reports)
            } catch where error.kind == .wouldBlock {
                // Not connected yet (or the tap is slow): this report is skipped, the next one tries.
            }
            pause(Self.interval)
        }
    }
}
