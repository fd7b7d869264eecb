import HTTPServer
import Logging
import Posix
import Synchronization

/// `GET /probe?module=NAME&target=ENDPOINT`, as blackbox_exporter's `/probe`: probes the target
/// once with the module's settings, on the HTTP worker that called it, and answers with that
/// probe's series only. At most ``limit`` probes run at once; more get 503.
final class ProbeEndpoint: Sendable {
    let agent: Agent
    /// 64, and never more than half the HTTP server's handlers, so a flood of slow probes
    /// always leaves handlers for `/metrics`.
    let limit: Int
    private let inFlight = Atomic<Int>(0)

    /// Taken off Prometheus's scrape timeout so the answer arrives before Prometheus gives up
    /// (blackbox_exporter's default `--timeout-offset`).
    static let timeoutOffset = Duration.milliseconds(500)

    init(agent: Agent, maxRequests: Int) {
        self.agent = agent
        limit = maxRequests > 0 ? max(1, min(64, maxRequests / 2)) : 64
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard let params = QueryString.parse(request.query) else {
            return .text("The query has a malformed percent-escape.\n", status: 400)
        }
        guard let name = params["module"], !name.isEmpty else {
            return .text("The 'module' parameter is missing (modules: \(agent.moduleNames.joined(separator: ", "))).\n", status: 400)
        }
        guard let module = agent.module(named: name) else {
            return .text("Unknown module '\(name)' (modules in the config: \(agent.moduleNames.joined(separator: ", "))).\n", status: 400)
        }
        guard let target = params["target"], !target.isEmpty else {
            return .text("The 'target' parameter is missing.\n", status: 400)
        }
        if let problem = Self.targetProblem(target) {
            return .text("Invalid target: \(problem).\n", status: 400)
        }
        let timeout = Self.timeout(module: module.timeout, scrapeTimeoutHeader: request.header("X-Prometheus-Scrape-Timeout-Seconds"))
        guard inFlight.add(1, ordering: .acquiringAndReleasing).newValue <= limit else {
            inFlight.subtract(1, ordering: .acquiringAndReleasing)
            return .text("Too many probes at once (at most \(limit)); try again.\n", status: 503)
        }
        defer { inFlight.subtract(1, ordering: .acquiringAndReleasing) }
        let outcome = TargetProbe(module: module, target: target, timeout: timeout, context: agent.context).run()
        if !outcome.success {
            agent.logger.debug("probe failed", metadata: ["module": "\(name)", "target": "\(target)", "result": "\(outcome.result)", "detail": "\(outcome.detail)"])
        }
        return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Self.render(outcome, module: name))
    }

    /// tcp://host:port or ipc://path, a connect endpoint (no `*`). Not inproc: that would reach
    /// the agent's own sockets.
    static func targetProblem(_ target: String) -> String? {
        guard target.hasPrefix("tcp://") || target.hasPrefix("ipc://") else {
            return "'\(target)' is not a tcp://host:port or ipc://path endpoint"
        }
        return ConfigValues.endpointProblem(target, mode: .connect)
    }

    /// The module's timeout, cut to the scrape timeout Prometheus sends minus ``timeoutOffset``
    /// (at least 10 ms), as blackbox_exporter does.
    static func timeout(module: Duration, scrapeTimeoutHeader: String?) -> Duration {
        guard let header = scrapeTimeoutHeader, let seconds = Double(header), seconds.isFinite, seconds > 0 else { return module }
        let scrape = Duration.nanoseconds(Int64(seconds * 1e9)) - timeoutOffset
        return max(.milliseconds(10), min(module, scrape))
    }

    /// The probe's series, in a registry of its own, in the catalog's order.
    static func render(_ outcome: TargetProbe.Outcome, module: String) -> [UInt8] {
        let metrics = Metrics()
        let l = [("socket", module)]
        metrics.gauge(MetricCatalog.probeSuccess, l).set(Int64(outcome.success ? 1 : 0))
        metrics.gauge(MetricCatalog.probeTargetDuration, l).set(outcome.seconds)
        if let connect = outcome.connectSeconds { metrics.gauge(MetricCatalog.probeTargetConnect, l).set(connect) }
        metrics.gauge(MetricCatalog.probeTargetResult, l + [("result", outcome.result)]).set(Int64(1))
        for (event, count) in outcome.events.sorted(by: { $0.key < $1.key }) {
            metrics.gauge(MetricCatalog.probeTargetEvents, l + [("event", event)]).set(Int64(count))
        }
        for (reason, count) in outcome.handshakeFailures.sorted(by: { $0.key < $1.key }) {
            metrics.gauge(MetricCatalog.probeTargetHandshakeFailures, l + [("reason", reason)]).set(Int64(count))
        }
        return RenderJob(families: metrics.snapshot().families, samples: Samples()).render()
    }
}
