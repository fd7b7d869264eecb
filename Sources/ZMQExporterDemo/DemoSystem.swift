import Logging
import ZMQExporter
import ZeroMQ

/// The system the demo watches, modelled on the seed article's task-distribution system: a task
/// producer, 3 pipeline workers, a result collector, a Lazy Pirate client, 2 REP workers, a
/// misconfigured peer, and two CURVE clients of the `reports` tap (one allowed, one with an
/// unknown key), each on its own thread, all on a ZeroMQ ``Context`` of their own (the
/// agent's sockets live in another), connecting to the agent's proxies at ``DemoEndpoints``.
public final class DemoSystem: Sendable {
    public let stats: DemoStats
    public let schedule: DemoSchedule
    /// Where the result collector bound (the port libzmq picked when asked for `*`).
    public let collectorEndpoint: String
    private let context: Context
    private let actors: [DemoActor]

    /// Creates the parts and binds the collector; nothing runs until ``start()``.
    /// - Throws: ``ZMQError`` when the context cannot be created or the collector cannot bind
    ///   (its port is in use).
    public init(endpoints: DemoEndpoints, keys: DemoKeys, schedule: DemoSchedule = DemoSchedule(), logger: Logger,
                pipelineWorkers: Int = 3, serviceWorkers: Int = 2) throws(ZMQError) {
        let context = try Context()
        let stats = DemoStats()
        self.stats = stats
        self.context = context
        self.schedule = schedule
        let collector = try ResultCollector(bind: endpoints.collectorBind, context: context, stats: stats, schedule: schedule, logger: logger)
        collectorEndpoint = collector.endpoint
        let tasksIn = endpoints.endpoint(.tasksFrontend)
        let tasksOut = endpoints.endpoint(.tasksBackend)
        let bus = endpoints.endpoint(.eventsFrontend)
        let service = endpoints.endpoint(.serviceFrontend)
        let serviceBackend = endpoints.endpoint(.serviceBackend)
        var actors: [DemoActor] = [collector]
        for index in 0..<pipelineWorkers {
            actors.append(PipelineWorker(index: index, tasks: tasksOut, results: collector.endpoint, bus: bus, context: context, stats: stats, schedule: schedule, logger: logger))
        }
        for index in 0..<serviceWorkers {
            actors.append(ServiceWorker(index: index, endpoint: serviceBackend, context: context, stats: stats, schedule: schedule, logger: logger))
        }
        actors.append(TaskProducer(tasks: tasksIn, bus: bus, context: context, stats: stats, schedule: schedule, logger: logger))
        actors.append(LazyPirateClient(endpoint: service, context: context, stats: stats, schedule: schedule, logger: logger))
        actors.append(MisconfiguredPeer(endpoint: tasksIn, context: context, stats: stats, schedule: schedule, logger: logger))
        let reports = endpoints.endpoint(.reports)
        let tapKey = keys.agent.publicCurveKey
        actors.append(ReportClient(endpoint: reports, serverKey: tapKey, keys: keys.reporter, context: context, stats: stats, schedule: schedule, logger: logger))
        actors.append(UnknownKeyClient(endpoint: reports, serverKey: tapKey, context: context, stats: stats, schedule: schedule, logger: logger))
        self.actors = actors
    }

    /// Starts every part's thread. Call once.
    public func start() {
        for actor in actors { actor.start() }
    }

    /// Stops every part and closes its sockets within about `timeout`. Returns false when a part
    /// did not finish in time (its blocking calls are then interrupted by shutting the context).
    @discardableResult
    public func stop(timeout: Duration = .seconds(3)) -> Bool {
        for actor in actors { actor.requestStop() }
        let deadline = ContinuousClock.now + timeout
        var allStopped = true
        for actor in actors where !actor.waitUntilStopped(timeout: deadline - .now) {
            allStopped = false
        }
        if !allStopped {
            context.shutdown()
            for actor in actors { _ = actor.waitUntilStopped(timeout: .milliseconds(500)) }
        }
        return allStopped
    }
}
