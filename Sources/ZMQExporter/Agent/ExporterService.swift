import HTTPServer
import Logging
import Posix
import Synchronization
import ZeroMQ

/// The whole exporter in one process: the agent, its HTTP endpoints and the landing page's
/// history sampler. The executable parses flags and handles signals around it.
public final class ExporterService: Sendable {
    public struct Options: Sendable {
        public var listenAddresses: [String] = [":10027"]
        public var telemetryPath = "/metrics"
        public var maxRequests = 40
        public var limits = Limits()
        /// From --web.config.file: TLS, basic auth, headers, rate limit; nil serves plain HTTP.
        public var webSecurity: WebSecuritySetup?
        /// `/-/ready` answers 200 even while a socket is down (still listing what is wrong).
        public var readyRegardless = false
        /// `POST /-/reload` reloads the config; without it the endpoint answers 403 (as
        /// Prometheus's `--web.enable-lifecycle`), so anyone who can reach the port cannot
        /// make the agent re-read its file. SIGHUP always reloads.
        public var enableLifecycle = false
        /// The preload library's directory (--preload.dir) and its bounds; nil reads none.
        public var preload: PreloadCollector.Options?

        public init() {}
    }

    public let agent: Agent
    public let server: HTTPServer
    let exposition: Exposition
    /// Programs under the preload library, when --preload.dir is set.
    let preload: PreloadCollector?
    let history = History()
    let options: Options
    /// Opened by ``stop(timeout:)``: the sampler waits on it between samples, so it wakes only
    /// to sample (every ``History/interval``) or to stop.
    private let samplerStop = Latch()
    private let samplerDone = Latch()

    public init(agent: Agent, options: Options) {
        self.agent = agent
        self.options = options
        exposition = Exposition(metrics: agent.metrics, parallel: true)
        agent.metrics.register(ProcessCollector())
        preload = options.preload.map { PreloadCollector(options: $0) }
        if let preload { agent.metrics.register(preload) }
        var configuration = HTTPServer.Configuration()
        configuration.listenAddresses = options.listenAddresses
        configuration.maxConcurrentHandlers = options.maxRequests
        configuration.limits = options.limits
        configuration.webSecurity = options.webSecurity
        server = HTTPServer(configuration: configuration, logger: agent.logger)
        agent.metrics.register(HTTPCollector(server: server))
        agent.metrics.register(SecurityCollector(server: server))
        addRoutes()
    }

    private func addRoutes() {
        let agent = agent
        let exposition = exposition
        let server = server
        let history = history
        let preload = preload
        let metricsPath = options.telemetryPath
        server.addRoute(metricsPath) { _ in
            HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", bodyParts: exposition.renderParts())
        }
        server.addRoute("/") { _ in
            .html(LandingPage.render(agent: agent, history: history, metricsPath: metricsPath, watched: preload?.watched() ?? []))
        }
        server.addRoute("/-/healthy") { _ in .text("Healthy.\n") }
        let runbooks = RunbookPage.render()
        server.addRoute("/runbooks") { _ in .html(runbooks) }
        let readyRegardless = options.readyRegardless
        server.addRoute("/-/ready") { _ in
            let problems = agent.readinessProblems
            if problems.isEmpty { return .text("Ready.\n") }
            let list = problems.joined(separator: "\n")
            if readyRegardless { return .text("Ready (--web.ready-regardless); sockets not up:\n\(list)\n") }
            return .text("Not ready; sockets not up:\n\(list)\n", status: 503)
        }
        let probes = ProbeEndpoint(agent: agent, maxRequests: options.maxRequests)
        server.addRoute("/probe") { request in probes.handle(request) }
        let enableLifecycle = options.enableLifecycle
        server.addRoute("/-/reload", methods: ["POST", "PUT"]) { _ in
            guard enableLifecycle else {
                return .text("Lifecycle API is not enabled: start with --web.enable-lifecycle, or send SIGHUP.\n", status: 403)
            }
            guard agent.configPath != nil else { return .text("No config file to reload.\n", status: 400) }
            if let errors = agent.reload() {
                return .text("Reload failed; the running config stays:\n\(errors)\n", status: 500)
            }
            return .text("Reloaded.\n")
        }
    }

    /// Checks a `--web.listen-address` value's syntax without binding; throws what is wrong.
    public static func validate(listenAddress: String) throws {
        try HTTPServer.validate(listenAddress: listenAddress)
    }

    /// Starts the HTTP server and the sampler; returns the bound addresses.
    public func start() throws -> [BoundAddress] {
        let addresses = try server.start()
        do {
            try Thread.detach(name: "history") { [self] in
                var next = WallClock.now()
                repeat {
                    if WallClock.now() >= next {
                        history.sample(agent.sockets.flatMap(\.recorders))
                        next = max(next + History.interval, WallClock.now())
                    }
                } while !samplerStop.wait(timeout: .milliseconds(Int64(max(1, (next - WallClock.now()) * 1000))))
                samplerDone.open()
            }
        } catch {
            // Metrics and the page still work; the page shows no rates.
            agent.logger.warning("cannot start the landing page's sampler", metadata: ["error": "\(error)"])
            samplerDone.open()
        }
        return addresses
    }

    /// Stops HTTP (draining responses in flight), then the sockets, within about `timeout`.
    public func stop(timeout: Duration = .seconds(5)) {
        samplerStop.open()
        server.stop(gracePeriod: .seconds(2))
        agent.stop(timeout: timeout)
        _ = samplerDone.wait(timeout: .seconds(1))
    }
}

/// The HTTP server's own counts, read at each scrape.
final class HTTPCollector: Collector {
    let server: HTTPServer

    init(server: HTTPServer) { self.server = server }

    func collect(into samples: inout Samples) {
        let stats = server.statistics
        for (status, count) in stats.requestsByStatus.sorted(by: { $0.key < $1.key }) {
            samples.add(MetricCatalog.httpRequests, [("code", String(status))], Int64(count))
        }
        samples.add(MetricCatalog.httpInFlight, [], Int64(stats.handlersInFlight))
    }
}
