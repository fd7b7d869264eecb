import Logging
import Posix
import Synchronization
import ZeroMQ

/// The agent: owns the configured sockets (taps and probes on a few shared socket loops, each
/// proxy on a thread of its own), the metric registry, and config reloads. The HTTP side (``AgentHTTP``) reads it; nothing here knows about HTTP.
public final class Agent: Sendable {
    public static let version = "0.1.0"

    public let metrics: Metrics
    public let logger: Logger
    /// The file reloads read; nil for a config given in memory.
    public let configPath: String?
    let context: Context
    /// The threads that run the taps' and probes' sockets.
    let loops: SocketLoops
    private let running = Locked<[RunningSocket]>([])
    private let modules = Locked<[String: ProbeModule]>([:])
    private let reloadError = Locked<String?>(nil)
    private let reloadLock = Locked<Void>(())
    private let reloadOK: Gauge
    private let reloadTime: Gauge
    /// The ZAP handler, started by the first config with a CURVE server (Agent+ZAP.swift).
    let zap = Locked<ZAPHandler?>(nil)

    struct RunningSocket: @unchecked Sendable {
        let config: SocketConfig
        let runner: any Runner & SocketRunnerStatus
    }

    /// - Parameters:
    ///   - context: the ZeroMQ context for the agent's sockets; a new one by default, with
    ///     `ioThreads` I/O threads (default ``defaultIOThreads``).
    ///   - loops: how many socket-loop threads run the taps and probes (default one per core).
    ///   - maxSockets: libzmq sockets the new context may hold (default ``minimumMaxSockets``;
    ///     ``maxSockets(for:)`` sizes it for a configuration).
    public init(configPath: String?, logger: Logger, context: Context? = nil, metrics: Metrics = Metrics(),
                loops: Int? = nil, ioThreads: Int? = nil, maxSockets: Int? = nil) throws {
        self.configPath = configPath
        self.logger = logger
        self.metrics = metrics
        self.context = try context ?? Context(ioThreads: ioThreads ?? Self.defaultIOThreads,
                                              maxSockets: maxSockets ?? Self.minimumMaxSockets)
        self.loops = try SocketLoops(count: loops ?? SocketLoops.defaultCount, logger: logger)
        reloadOK = metrics.gauge(MetricCatalog.reloadSuccessful, [])
        reloadTime = metrics.gauge(MetricCatalog.reloadTimestamp, [])
        metrics.gauge(MetricCatalog.buildInfo, BuildInfo.labels(libzmq: ZMQ.versionString)).set(Int64(1))
    }

    deinit { loops.stop() }

    /// libzmq's rule of thumb is one I/O thread per gigabyte per second; the agent's traffic
    /// (proxies at full speed, thousands of monitored connections) is spread over two when the
    /// machine has two cores or more, and kept on one otherwise.
    public static var defaultIOThreads: Int { min(2, SocketLoops.defaultCount) }

    /// The least room the agent's context is given: libzmq's default of 1023 stops at about 340
    /// taps. libzmq keeps 12 bytes per slot, all of them touched when the context starts, so
    /// its own limit (65,535) would cost 768 KiB of resident memory whatever the configuration.
    public static let minimumMaxSockets = 4096

    /// Room for `config` to grow four times by reloads: every configured socket uses three
    /// libzmq sockets (itself and its monitor's two PAIRs), a proxy six. At least
    /// ``minimumMaxSockets``; libzmq caps it at its own limit.
    public static func maxSockets(for config: ExporterConfig) -> Int {
        max(minimumMaxSockets, config.sockets.count * 12)
    }

    /// One socket loop per core.
    public static var defaultLoops: Int { SocketLoops.defaultCount }

    /// Starts every socket of `config`. Call once; later changes go through ``apply(_:)``.
    public func start(_ config: ExporterConfig) {
        apply(config)
    }

    /// Loads ``configPath`` again and applies it. A bad file changes nothing and is reported in
    /// `zmq_exporter_config_last_reload_successful`. Returns the errors, if any.
    @discardableResult
    public func reload() -> ConfigErrors? {
        guard let configPath else { return nil }
        do {
            let config = try ConfigLoader.load(path: configPath)
            apply(config)
            reloadError.withLock { $0 = nil }
            logger.info("config reloaded", metadata: ["file": "\(configPath)", "sockets": "\(config.sockets.count)"])
            return nil
        } catch {
            reloadOK.set(Int64(0))
            reloadError.withLock { $0 = error.description }
            logger.error("config reload failed; the running config stays", metadata: ["file": "\(configPath)", "errors": "\(error)"])
            return error
        }
    }

    /// Makes the running sockets match `config`: unchanged sockets keep running (and their
    /// series, untouched); removed ones stop and their series go away. A socket whose change is
    /// only in its tunables (``SocketConfig/tunables``: thresholds, labels, buckets, probe timing)
    /// is updated in place by its own thread: no socket closes, no peer is disconnected, counters
    /// go on. One whose wire changed (endpoints, socket type, options set at bind/connect)
    /// restarts; it keeps the series its new runner makes again (its counters go on, so
    /// `rate()` sees no reset) and the ones that still describe it (see ``carriesOver``); every
    /// other series of the old socket (labels or a role it no longer has) goes away. The log
    /// says which sockets restarted or changed in place, and which settings did.
    public func apply(_ config: ExporterConfig) {
        reloadLock.withLock { _ in
            let current = running.withLock { $0 }
            var byName: [String: RunningSocket] = [:]
            for socket in current { byName[socket.config.name] = socket }
            let wanted = Set(config.sockets.map(\.name))
            var next: [RunningSocket] = []
            var toStop: [RunningSocket] = current.filter { !wanted.contains($0.config.name) }
            var changed: [(new: SocketConfig, old: RunningSocket?)] = []
            for socket in config.sockets {
                guard let existing = byName[socket.name] else {
                    changed.append((socket, nil))
                    continue
                }
                if existing.config == socket {
                    next.append(existing)
                } else if existing.config.wire == socket.wire {
                    existing.runner.update(socket)
                    logger.info("socket updated in place", metadata: [
                        "socket": "\(socket.name)", "changed": "\(socket.changedFields(from: existing.config).joined(separator: ","))",
                    ])
                    next.append(RunningSocket(config: socket, runner: existing.runner))
                } else {
                    logger.info("socket restarts", metadata: [
                        "socket": "\(socket.name)", "changed": "\(socket.wire.changedFields(from: existing.config.wire).joined(separator: ","))",
                    ])
                    toStop.append(existing)
                    changed.append((socket, existing))
                }
            }
            // Stop first so a restarted socket can bind its endpoints again; ask all at once
            // so the waits overlap.
            for socket in toStop { socket.runner.requestStop() }
            for socket in toStop where !socket.runner.stop(timeout: .seconds(5)) {
                logger.warning("socket did not stop in time", metadata: ["socket": "\(socket.config.name)"])
            }
            // The new runners register their series before the old ones let go of theirs, so
            // the series both make stay (with their values) and only the others disappear.
            var started: [RunningSocket] = []
            for (socket, old) in changed {
                let runner = makeRunner(socket)
                if let old {
                    // Each old owner's series go to the new owner of the same name (a tap's
                    // decoder series to the new decoder's owner), others to the runner's.
                    let newOwners = runner.metricOwners
                    for oldOwner in old.runner.metricOwners {
                        let into = newOwners.first { $0.name == oldOwner.name } ?? runner.owner
                        metrics.adopt(from: oldOwner, into: into) { family, labels in
                            Self.carriesOver(family, labels, from: old.config, to: socket)
                        }
                    }
                }
                started.append(RunningSocket(config: socket, runner: runner))
            }
            for socket in toStop {
                for owner in socket.runner.metricOwners { metrics.remove(owner: owner) }
            }
            // Before any CURVE server binds: the handler must be there, with the new allow lists.
            updateZAP(config)
            for socket in started {
                socket.runner.start(name: socket.config.name)
                next.append(socket)
            }
            let order = Dictionary(uniqueKeysWithValues: config.sockets.enumerated().map { ($1.name, $0) })
            next.sort { order[$0.config.name]! < order[$1.config.name]! }
            running.withLock { $0 = next }
            modules.withLock { $0 = Dictionary(uniqueKeysWithValues: config.modules.map { ($0.name, $0) }) }
            reloadOK.set(Int64(1))
            reloadTime.set(WallClock.now())
        }
    }

    /// Whether a series of a socket changed from `old` to `new` stays with the new socket when
    /// its new runner does not register it itself (made on demand: tap label combinations,
    /// handshake failure reasons). Info series never do (they describe the old settings); the
    /// monitor and flow families do for each side label that remains; the role's families do
    /// while the role stays, and a tap's messages only under the same label names.
    static func carriesOver(_ family: MetricCatalog.Family, _ labels: [(String, String)], from old: SocketConfig, to new: SocketConfig) -> Bool {
        guard !SocketInfoMetrics.families.contains(family),
              let socket = labels.first(where: { $0.0 == "socket" })?.1,
              new.sides.contains(where: { $0.label == socket }) else { return false }
        if family.name.hasPrefix("zmq_socket_") { return true }
        switch (old.role, new.role) {
        case (.tap(let before), .tap(let after)):
            return family != MetricCatalog.tapMessages || before.labels.map(\.label) == after.labels.map(\.label)
        case (.probe, .probe), (.proxy, .proxy):
            return true
        default:
            return false
        }
    }

    func makeRunner(_ socket: SocketConfig) -> any Runner & SocketRunnerStatus {
        switch socket.role {
        case .tap(let tap): TapRunner(config: socket, tap: tap, metrics: metrics, context: context, loops: loops, logger: logger)
        case .probe(let probe): ProbeRunner(config: socket, probe: probe, metrics: metrics, context: context, loops: loops, logger: logger)
        case .proxy(let proxy): ProxyRunner(config: socket, proxy: proxy, metrics: metrics, context: context, logger: logger)
        }
    }

    /// Why the last reload failed, while the running config is the one before it; nil after a
    /// successful load.
    public var lastReloadError: String? { reloadError.withLock { $0 } }

    /// The `/probe` module called `name` in the config in effect.
    public func module(named name: String) -> ProbeModule? { modules.withLock { $0[name] } }

    /// The names of the `/probe` modules, sorted.
    public var moduleNames: [String] { modules.withLock { $0.keys.sorted() } }

    /// The running sockets, in config order.
    public var sockets: [any SocketRunnerStatus] { running.withLock { $0.map(\.runner) } }

    /// Whether every configured socket has been set up.
    public var isReady: Bool { running.withLock { $0.allSatisfy { $0.runner.isReady } } }

    /// One line for each socket side that is not up, naming it and saying why
    /// (`tasks.backend: bind tcp://127.0.0.1:5557: Address already in use`); empty when every
    /// socket is up.
    public var readinessProblems: [String] {
        sockets.flatMap { Self.problems(of: $0) }
    }

    static func problems(of runner: any SocketRunnerStatus) -> [String] {
        let failures = runner.setupFailures
        var lines: [String] = []
        for (index, side) in runner.config.sides.enumerated() {
            let sideFailures = index < failures.count ? failures[index] : []
            lines += sideFailures.map { "\(side.label): \($0)" }
        }
        if lines.isEmpty && !runner.isReady { lines.append("\(runner.config.name): being set up") }
        return lines
    }

    /// Stops every socket (each closes with its linger) within `timeout`.
    public func stop(timeout: Duration = .seconds(5)) {
        reloadLock.withLock { _ in
            let current = running.withLock { list in
                defer { list.removeAll() }
                return list
            }
            // Ask all at once so the waits overlap.
            for socket in current { socket.runner.requestStop() }
            for socket in current { socket.runner.stop(timeout: timeout) }
            stopZAP()
        }
    }
}
