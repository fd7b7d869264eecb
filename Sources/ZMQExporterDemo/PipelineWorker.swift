import Logging
import ZMQExporter
import ZeroMQ

/// The seed's worker: PULLs a task, publishes `task_started`, works for a while, PUSHes the result
/// to the collector and publishes `task_completed`. Unlike the seed, its PUB connects to the
/// bus proxy's XSUB (the seed connects PUB to PUB, which libzmq refuses, so its events are lost).
///
/// When the schedule says so the worker "crashes": it closes its sockets without warning
/// (LINGER 0, so whatever it had queued is lost, as in a real crash) and comes back later with
/// new ones, which the proxies see as connections going down and up.
final class PipelineWorker: DemoActor, @unchecked Sendable {
    let index: Int
    let tasksEndpoint: String
    let resultsEndpoint: String
    let busEndpoint: String
    private var generator: SystemRandomNumberGenerator

    /// Simulated work per task, in ms: 150 to 450 (the seed sleeps 2 s; scaled to the demo's pace).
    static let workMilliseconds = 150...450

    init(index: Int, tasks: String, results: String, bus: String, context: Context, stats: DemoStats, schedule: DemoSchedule, logger: Logger) {
        self.index = index
        tasksEndpoint = tasks
        resultsEndpoint = results
        busEndpoint = bus
        generator = SystemRandomNumberGenerator()
        super.init(name: "worker-\(index + 1)", context: context, stats: stats, schedule: schedule, logger: logger)
    }

    var workerID: Int { index + 1 }

    override func session() throws(ZMQError) {
        while schedule.isWorkerDown(index), !isStopping { pause(.milliseconds(Self.tick)) }
        if isStopping { return }
        let receiver = try makeSocket(.pull, connect: tasksEndpoint)
        defer { receiver.close() }
        let results = try makeSocket(.push, connect: resultsEndpoint)
        defer { results.close() }
        let bus = try makeSocket(.pub, connect: busEndpoint)
        defer { bus.close() }
        // A PUB drops what it sends before its connection is up (the "slow joiner"): wait a moment
        // so the bus sees this one.
        pause(.milliseconds(300))
        try publish(bus, event: "worker_started", worker: workerID)
        while !isStopping {
            if schedule.isWorkerDown(index) {
                stats.bump(.crashes)
                logger.notice("demo fault: pipeline worker crashed; it comes back in a few seconds", metadata: ["worker": "\(workerID)"])
                return
            }
            guard try waitReadable(receiver) else { continue }
            guard let task = try? receiver.receive(flags: .dontWait) else { continue }
            let id = Self.taskID(task.string)
            try publish(bus, event: "task_started", id: id, worker: workerID)
            pause(.milliseconds(Int.random(in: Self.workMilliseconds, using: &generator)))
            if isStopping { return }
            let result = "{\"worker\":\(workerID),\"task\":\(task.string),\"status\":\"completed\"}"
            do {
                try results.send(result, flags: .dontWait)
            } catch where error.kind == .wouldBlock {
                logger.warning("demo worker dropped a result: the collector is not keeping up", metadata: ["worker": "\(workerID)"])
                continue
            }
            try publish(bus, event: "task_completed", id: id, worker: workerID)
        }
    }

    /// The `id` of a task the producer wrote (`{"id":N,...}`), or nil.
    static func taskID(_ json: String) -> Int? {
        guard let range = json.firstRange(of: "\"id\":") else { return nil }
        return Int(json[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }
}
