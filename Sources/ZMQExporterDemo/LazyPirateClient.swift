import Logging
import ZMQExporter
import ZeroMQ

/// The seed's Lazy Pirate client: sends a request, waits ``timeout`` for the reply, and after a
/// timeout closes its REQ socket (a REQ that missed its reply cannot send again), opens a new one
/// and resends, ``retries`` times in all before giving that request up. Then it goes on with
/// the next request (the seed exits instead).
final class LazyPirateClient: DemoActor, @unchecked Sendable {
    let endpoint: String
    /// The seed's REQUEST_TIMEOUT (2.5 s) and REQUEST_RETRIES (3).
    static let timeout: Duration = .milliseconds(2500)
    static let retries = 3
    /// Pause between requests.
    static let interval: Duration = .milliseconds(250)
    private var sequence = 0

    init(endpoint: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.endpoint = endpoint
        super.init(name: "client", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    override func session() throws(ZMQError) {
        var socket = try makeSocket(.req, connect: endpoint)
        defer { socket.close() }
        while !isStopping {
            sequence += 1
            let request = "Hello \(sequence)"
            var attemptsLeft = Self.retries
            while attemptsLeft > 0, !isStopping {
                try socket.send(request)
                if try awaitReply(socket, expected: "OK " + request) {
                    stats.bump(.answered)
                    break
                }
                if isStopping { return }
                attemptsLeft -= 1
                socket.close()
                socket = try makeSocket(.req, connect: endpoint)
                if attemptsLeft == 0 {
                    stats.bump(.abandoned)
                    logger.notice("demo client: no reply after \(Self.retries) attempts; giving up this request", metadata: ["request": "\(request)"])
                } else {
                    stats.bump(.retried)
                }
            }
            pause(Self.interval)
        }
    }

    /// Waits up to ``timeout`` for the reply; true when it came and matched.
    private func awaitReply(_ socket: Socket, expected: String) throws(ZMQError) -> Bool {
        let deadline = ContinuousClock.now + Self.timeout
        while !isStopping, ContinuousClock.now < deadline {
            guard try waitReadable(socket) else { continue }
            guard let reply = try? socket.receive(flags: .dontWait) else { continue }
            if reply.string == expected { return true }
            logger.warning("demo client: unexpected reply", metadata: ["expected": "\(expected)", "got": "\(reply.string)"])
            return false
        }
        return false
    }
}
