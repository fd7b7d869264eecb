import Logging
import ZMQExporter
import ZeroMQ

/// The seed's result sink: a PULL socket the workers PUSH results to. It counts what arrives.
final class ResultCollector: DemoActor, @unchecked Sendable {
    let bindEndpoint: String
    private let socket: Socket

    /// Binds at once (on the caller's thread) so ``endpoint`` is known before the workers start.
    init(bind: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) throws(ZMQError) {
        bindEndpoint = bind
        let socket = try context.socket(.pull)
        do {
            try socket.setLinger(0)
            try socket.bind(bind)
        } catch {
            socket.close()
            throw error
        }
        self.socket = socket
        super.init(name: "collector", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    /// The endpoint bound, with the port libzmq picked for `*`.
    var endpoint: String { (try? socket.lastEndpoint) ?? bindEndpoint }

    // The socket outlives a failed session: it was bound up front and the workers know its port.
    override func session() throws(ZMQError) {
        while !isStopping {
            guard try waitReadable(socket) else { continue }
            while (try? socket.receive(flags: .dontWait)) != nil {
                stats.bump(.collected)
            }
        }
    }

    override func finish() {
        socket.close()
    }
}
