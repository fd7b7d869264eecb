import Logging
import ZMQExporter
import ZeroMQ

/// A REP worker of the request/reply service behind the agent's ROUTER/DEALER proxy. It answers
/// each request with `OK <request>` after a few milliseconds, except while the schedule says the
/// service is silent: then it stops reading, and requests wait in its queue until it wakes up
/// (their clients have given up by then, so those late replies go nowhere).
final class ServiceWorker: DemoActor, @unchecked Sendable {
    let index: Int
    let endpoint: String
    private var silentSince: ContinuousClock.Instant?

    init(index: Int, endpoint: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.index = index
        self.endpoint = endpoint
        super.init(name: "service-\(index + 1)", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    override func session() throws(ZMQError) {
        let socket = try makeSocket(.rep, connect: endpoint)
        defer { socket.close() }
        while !isStopping {
            if schedule.isServiceSilent() {
                if silentSince == nil {
                    silentSince = .now
                    // Both workers fall silent together; count the period once.
                    if index == 0 {
                        stats.bump(.silences)
                        logger.notice("demo fault: the REP service stops answering for a while")
                    }
                }
                pause(.milliseconds(Self.tick))
                continue
            }
            silentSince = nil
            guard try waitReadable(socket) else { continue }
            guard let request = try? socket.receiveMultipart(flags: .dontWait), let body = request.last else { continue }
            pause(.milliseconds(Int.random(in: 2...20)))
            try socket.send("OK " + body.string)
            stats.bump(.served)
        }
    }
}
