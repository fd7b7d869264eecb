import Logging
import ZeroMQ

/// A peer deployed with the wrong settings that keeps trying to feed the pipeline's frontend
/// (a PULL): once as a PUB (a socket type PULL does not accept, so the connection closes before
/// the ZMTP handshake completes: `closed_before_handshake`), once as a CURVE client (the proxy
/// runs NULL security: a `mechanism_mismatch` protocol error), alternately.
///
/// libzmq does not reconnect after such a protocol error, so the peer, like a supervisor
/// restarting a misconfigured service, re-creates its socket for every attempt.
final class MisconfiguredPeer: DemoActor, @unchecked Sendable {
    let endpoint: String
    private var attempt = 0
    private var curveKeys: (server: CurveKeyPair, client: CurveKeyPair)?

    init(endpoint: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.endpoint = endpoint
        curveKeys = try? (CurveKeyPair.generate(), CurveKeyPair.generate())
        super.init(name: "misconfigured", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    override func session() throws(ZMQError) {
        var announcedCycle = -1
        while !isStopping {
            guard schedule.isMisconfiguredPeerActive() else {
                pause(.milliseconds(Self.tick))
                continue
            }
            if announcedCycle != schedule.cycleNumber() {
                announcedCycle = schedule.cycleNumber()
                logger.notice("demo fault: a misconfigured peer keeps connecting to the tasks frontend (wrong socket type, wrong security)")
            }
            let socket = try makeMisconfiguredSocket()
            stats.bump(.misconfiguredConnects)
            // Long enough for the proxy to accept and reject it, then start over as a restart would.
            pause(schedule.misconfiguredEvery)
            socket.close()
        }
    }

    private func makeMisconfiguredSocket() throws(ZMQError) -> Socket {
        attempt += 1
        guard attempt % 2 == 0, let keys = curveKeys else {
            return try makeSocket(.pub, connect: endpoint)
        }
        let socket = try makeSocket(.push)
        do {
            try socket.setCurveClient(serverKey: keys.server.publicKey, publicKey: keys.client.publicKey, secretKey: keys.client.secretKey)
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }
}
