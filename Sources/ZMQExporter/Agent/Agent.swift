import Logging
import Prometheus
import Synchronization
import ZeroMQ

/// The agent: owns the configured sockets (one runner thread each), the metric registry, and
/// config reloads. The HTTP side (``AgentHTTP``) reads it; nothing here knows about HTTP.
public final class Agent: Sendable {
    public static let version = "0.1.0"

    public let metrics: Metrics
    public let logger: Logger
    /// The file reloads read; nil for a config given in memory.
    public let configPath: String?
    let context: Context
    private let running = Mutex<[RunningSocket]>([])
    private let reloadLock = Mutex<Void>(())
    private let reloadOK: Gauge
    private let reloadTime: Gauge

    struct RunningSocket: @unchecked Sendable {
        let config: SocketConfig
        let runner: any Runner & SocketRunnerStatus
    }

    /// - Parameters:
    ///   - context: the ZeroMQ context for the agent's sockets; a new one by default.
    public init(configPath: String?, logger: Logger, context: Context? = nil, metrics: Metrics = Metrics()) throws {
        self.configPath = configPath
        self.logger = logger
        self.metrics = metrics
        // Every configured socket uses three libzmq sockets (itself, its monitor's two PAIRs) and
        // a proxy six: libzmq's default of 1023 stops at about 340 taps.
        self.context = try context ?? Context(maxSockets: .max)
        reloadOK = metrics.gauge(MetricCatalog.reloadSuccessful, [])
        reloadTime = metrics.gauge(MetricCatalog.reloadTimestamp, [])
        metrics.gauge(MetricCatalog.buildInfo, [("version", Self.version), ("libzmq_version", ZMQ.versionString)]).set(Int64(1))
    }

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
            logger.info("config reloaded", metadata: ["file": "\(configPath)", "sockets": "\(config.sockets.count)"])
            return nil
        } catch {
            reloadOK.set(Int64(0))
            logger.error("config reload failed; the running config stays", metadata: ["file": "\(configPath)", "errors": "\(error)"])
            return error
        }
    }

    /// Makes the running sockets match `config`: unchanged sockets keep running (and their
    /// counters); changed ones restart, keeping their counters; removed ones stop and their
    /// series go away.
    public func apply(_ config: ExporterConfig) {
        reloadLock.withLock { _ in
            let current = running.withLock { $0 }
            var byName: [String: RunningSocket] = [:]
            for socket in current { byName[socket.config.name] = socket }
            let wanted = Set(config.sockets.map(\.name))
            var next: [RunningSocket] = []
            var toStop: [RunningSocket] = current.filter { !wanted.contains($0.config.name) }
            var changed: [SocketConfig] = []
            for socket in config.sockets {
                if let existing = byName[socket.name], existing.config == socket {
                    next.append(existing)
                } else {
                    if let existing = byName[socket.name] { toStop.append(existing) }
                    changed.append(socket)
                }
            }
            // Stop first so a restarted socket can bind its endpoints again; ask all at once
            // so the waits overlap.
            for socket in toStop { socket.runner.stopFlag.store(true, ordering: .releasing) }
            for socket in toStop {
                if !socket.runner.stop(timeout: .seconds(5)) {
                    logger.warning("socket did not stop in time", metadata: ["socket": "\(socket.config.name)"])
                }
                metrics.remove(owner: SocketInfoMetrics.owner(socket.config.name))
                // Removed sockets lose their series. So do sockets whose histogram buckets changed:
                // a family keeps one bucket layout, so its old histograms must go first.
                let bucketsChanged = changed.contains { $0.name == socket.config.name && $0.buckets != socket.config.buckets }
                if !wanted.contains(socket.config.name) || bucketsChanged { metrics.remove(owner: socket.config.name) }
            }
            for socket in changed {
                let runner = makeRunner(socket)
                runner.start(name: socket.name)
                next.append(RunningSocket(config: socket, runner: runner))
            }
            let order = Dictionary(uniqueKeysWithValues: config.sockets.enumerated().map { ($1.name, $0) })
            next.sort { order[$0.config.name]! < order[$1.config.name]! }
            running.withLock { $0 = next }
            reloadOK.set(Int64(1))
            reloadTime.set(WallClock.now())
        }
    }

    func makeRunner(_ socket: SocketConfig) -> any Runner & SocketRunnerStatus {
        switch socket.role {
        case .tap(let tap): TapRunner(config: socket, tap: tap, metrics: metrics, context: context, logger: logger)
        case .probe(let probe): ProbeRunner(config: socket, probe: probe, metrics: metrics, context: context, logger: logger)
        case .proxy(let proxy): ProxyRunner(config: socket, proxy: proxy, metrics: metrics, context: context, logger: logger)
        }
    }

    /// The running sockets, in config order.
    public var sockets: [any SocketRunnerStatus] { running.withLock { $0.map(\.runner) } }

    /// Whether every configured socket has been set up.
    public var isReady: Bool { running.withLock { $0.allSatisfy { $0.runner.isReady } } }

    /// Stops every socket (each closes with its linger) within `timeout`.
    public func stop(timeout: Duration = .seconds(5)) {
        reloadLock.withLock { _ in
            let current = running.withLock { list in
                defer { list.removeAll() }
                return list
            }
            // Ask all at once so the waits overlap.
            for socket in current { socket.runner.stopFlag.store(true, ordering: .releasing) }
            for socket in current { socket.runner.stop(timeout: timeout) }
        }
    }
}
