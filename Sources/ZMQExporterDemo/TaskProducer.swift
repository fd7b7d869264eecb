import Logging
import ZMQExporter
import ZeroMQ

/// The seed's task producer: PUSHes a JSON task every ``interval`` to the pipeline proxy and
/// publishes `task_created` on the event bus. Unlike the seed it connects (the proxy binds).
final class TaskProducer: DemoActor, @unchecked Sendable {
    let tasksEndpoint: String
    let busEndpoint: String
    /// One task every 200 ms: about 5 tasks/s, well under what 3 workers handle even with one down.
    static let interval: Duration = .milliseconds(200)

    init(tasks: String, bus: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        tasksEndpoint = tasks
        busEndpoint = bus
        super.init(name: "producer", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    override func session() throws(ZMQError) {
        let tasks = try makeSocket(.push, connect: tasksEndpoint)
        defer { tasks.close() }
        let bus = try makeSocket(.pub, connect: busEndpoint)
        defer { bus.close() }
        var next = ContinuousClock.now
        while !isStopping {
            if ContinuousClock.now < next {
                pause(min(next - .now, .milliseconds(Self.tick)))
                continue
            }
            next += Self.interval
            let id = stats.read(.produced) + 1
            do {
                // Never block: a PUSH with no peer would hold the thread (and the stop) forever.
                try tasks.send("{\"id\":\(id),\"type\":\"process\",\"data\":\"sample\(id)\"}", flags: .dontWait)
            } catch where error.kind == .wouldBlock {
                continue
            }
            stats.bump(.produced)
            try publish(bus, event: "task_created", id: id)
        }
    }
}
