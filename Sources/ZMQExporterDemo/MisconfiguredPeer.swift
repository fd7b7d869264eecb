import Logging
import ZMQExporter
import ZeroMQ

/// A peer deployed with the wrong settings that keeps trying to feed the pipeline's frontend
/// (a PULL), alternately:
/// - as a PUB, a socket type PULL does not accept: the proxy drops the connection before the
///   ZMTP handshake completes (`closed_before_handshake`). It is spoken over a STREAM socket
///   (``ZMTPGreeting``) because two libzmq sockets race to notice the mismatch: when the PUB
///   hangs up first the proxy sees a broken handshake (`no_detail`) instead, and under load
///   that is what usually happens. This peer never hangs up first.
/// - as a CURVE client, while the proxy runs NULL security: a `zmtp_mechanism_mismatch`
///   protocol error (and, when the client notices first, `no_detail` on a quick reconnect).
///
/// libzmq does not reconnect after such a protocol error, so the peer, like a supervisor
/// restarting a misconfigured service, opens a new socket for every attempt.
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
            attempt += 1
            stats.bump(.misconfiguredConnects)
            let end = ContinuousClock.now + schedule.misconfiguredEvery
            if attempt % 2 == 1 || curveKeys == nil {
                try connectAsPUB()
            } else {
                try connectAsCURVEClient()
            }
            pause(end - .now)
        }
    }

    /// Connects a STREAM socket, says "I am a PUB" in ZMTP 3.0, and waits for the proxy to hang up.
    private func connectAsPUB() throws(ZMQError) {
        let socket = try makeSocket(.stream, connect: endpoint)
        defer { socket.close() }
        let deadline = ContinuousClock.now + schedule.misconfiguredEvery
        var greeted = false
        while !isStopping, ContinuousClock.now < deadline {
            guard try waitReadable(socket) else { continue }
            // STREAM delivers [peer id, bytes]; empty bytes mean connected (first) or closed (later).
            let frames = try socket.receiveMultipart()
            guard frames.count == 2 else { continue }
            if frames[1].count == 0 {
                if greeted { return }
                try socket.send(multipart: [frames[0].bytes, ZMTPGreeting.null(socketType: "PUB")])
                greeted = true
            }
        }
    }

    /// Connects a CURVE PUSH to the NULL-security proxy; libzmq does the rest.
    private func connectAsCURVEClient() throws(ZMQError) {
        guard let keys = curveKeys else { return }
        let socket = try makeSocket(.push)
        defer { socket.close() }
        try socket.setCurveClient(serverKey: keys.server.publicKey, publicKey: keys.client.publicKey, secretKey: keys.client.secretKey)
        try socket.connect(endpoint)
        // Keep it open for the attempt so its quick reconnects happen, as a running service's would.
        pause(schedule.misconfiguredEvery - .milliseconds(100))
    }
}
