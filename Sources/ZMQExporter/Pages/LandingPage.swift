import Glibc
import Posix
import ZeroMQ

/// The landing page at `/`: every socket with its role, endpoints, connections against
/// `min_peers`, recent rates with a sparkline, latency percentiles and the last events.
/// Plain HTML with inline CSS and SVG; it works without JavaScript.
enum LandingPage {
    /// - Parameter watched: programs under the preload library (--preload.dir), listed after the
    ///   configured sockets.
    static func render(agent: Agent, history: History, metricsPath: String, watched: [PreloadCollector.WatchedProcess] = []) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="refresh" content="10">
        <title>zmq-exporter</title><style>\(css)</style></head><body>
        <header><h1>zmq-exporter</h1><p>Prometheus exporter and observability agent for ZeroMQ · version \(Agent.version) · libzmq \(ZMQ.versionString)</p>
        <nav><a href="\(escape(metricsPath))">Metrics</a> <a href="/-/healthy">Health</a> <a href="/-/ready">Readiness</a> <a href="/runbooks">Runbooks</a></nav></header>
        <main>
        """
        let sockets = agent.sockets
        let troubles = sockets.map { Trouble(socket: $0, history: history) }
        html += summaryLine(troubles, reloadError: agent.lastReloadError)
        if sockets.isEmpty && !watched.isEmpty {
            html += "<p class=\"empty\">No sockets are configured; the programs below run under the preload library.</p>"
        } else if sockets.isEmpty {
            html += "<p class=\"empty\">No sockets are configured. Add some to the config file and reload (SIGHUP, or POST /-/reload with --web.enable-lifecycle).</p>"
        }
        // Down sockets first, then the other troubled ones, then the rest, each in config order.
        for trouble in troubles.enumerated().sorted(by: { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }) {
            html += card(trouble.element, history: history)
        }
        html += watchedProcesses(watched)
        html += "</main><footer>Refreshes every 10 s. Times are UTC.</footer></body></html>\n"
        return html
    }

    /// One card per program run under the preload library, with its sockets as /metrics labels
    /// them (`process`, `pid`, `socket`).
    static func watchedProcesses(_ watched: [PreloadCollector.WatchedProcess]) -> String {
        guard !watched.isEmpty else { return "" }
        var html = "<h2>Programs under the preload library</h2>"
        for process in watched {
            let state = process.alive ? "" : " <span class=\"summary bad\">exited (last counts, kept for the grace period)</span>"
            html += "<section class=\"socket\"><h2>\(escape(process.name)) <small>pid \(process.pid)</small>\(state)</h2>"
            html += "<table><thead><tr><th>socket</th><th>type</th><th>connections</th><th>messages in</th><th>messages out</th><th>handshake failures</th></tr></thead><tbody>"
            for socket in process.sockets {
                let failures = socket.handshakeFailures > 0 ? "<span class=\"bad\">\(socket.handshakeFailures)</span>" : "0"
                html += "<tr><td><code>\(escape(socket.label))</code></td><td>\(escape(socket.type))</td><td>\(socket.connections)</td>"
                html += "<td>\(socket.messagesIn)</td><td>\(socket.messagesOut)</td><td>\(failures)</td></tr>"
            }
            html += "</tbody></table></section>"
        }
        return html
    }

    /// The line the page opens with: everything wrong now, or that nothing is.
    static func summaryLine(_ troubles: [Trouble], reloadError: String?) -> String {
        var wrong: [String] = []
        func count(_ n: Int, _ one: String, _ many: String) { if n > 0 { wrong.append("\(n) \(n == 1 ? one : many)") } }
        count(troubles.reduce(0) { $0 + $1.downSides.count }, "socket down", "sockets down")
        count(troubles.reduce(0) { $0 + $1.belowMinPeers.count }, "socket below min_peers", "sockets below min_peers")
        count(troubles.filter(\.probeFailing).count, "probe failing", "probes failing")
        count(troubles.reduce(0) { $0 + $1.handshakeFailures }, "handshake failure in the last 5 minutes", "handshake failures in the last 5 minutes")
        count(troubles.reduce(0) { $0 + $1.sendFailures }, "send failure in the last 5 minutes", "send failures in the last 5 minutes")
        if let reloadError {
            wrong.append("the last reload failed (the previous config runs): " + (reloadError.split(separator: "\n").first.map(String.init) ?? ""))
        }
        if wrong.isEmpty { return "<p class=\"status ok\">All \(troubles.count) sockets up; nothing wrong now.</p>" }
        return "<p class=\"status bad\">" + wrong.map(escape).joined(separator: " · ") + "</p>"
    }

    /// What is wrong with one configured socket now.
    struct Trouble {
        let socket: any SocketRunnerStatus
        var downSides: [String] = []
        var belowMinPeers: [String] = []
        var probeFailing = false
        var handshakeFailures = 0
        var sendFailures = 0
        /// Per side: recent handshake and send failures.
        var recent: [(handshake: Int, send: Int)] = []

        init(socket: any SocketRunnerStatus, history: History) {
            self.socket = socket
            let failures = socket.setupFailures
            for (index, side) in socket.config.sides.enumerated() {
                let recorder = socket.recorders[index]
                if index < failures.count, !failures[index].isEmpty { downSides.append(side.label) }
                if let min = side.endpoints.minPeers, recorder.connectionCount < min { belowMinPeers.append(side.label) }
                let recentFailures = history.recentFailures(for: recorder)
                recent.append(recentFailures)
                handshakeFailures += recentFailures.handshake
                sendFailures += recentFailures.send
            }
            probeFailing = socket.summary.hasPrefix("failing")
        }

        var rank: Int { !downSides.isEmpty ? 0 : isTroubled ? 1 : 2 }

        var isTroubled: Bool {
            !downSides.isEmpty || !belowMinPeers.isEmpty || probeFailing || handshakeFailures > 0 || sendFailures > 0
        }
    }

    static func card(_ trouble: Trouble, history: History) -> String {
        let socket = trouble.socket
        let config = socket.config
        let problems = Agent.problems(of: socket)
        let down = !trouble.downSides.isEmpty
        var html = "<section class=\"socket\(down ? " down" : trouble.isTroubled ? " troubled" : "")\"><h2>\(escape(config.name)) <span class=\"role \(config.role.name)\">\(config.role.name)</span>"
        if down {
            html += " <span class=\"bad\">down</span>"
        } else if !socket.isReady {
            html += " <span class=\"warn\">starting</span>"
        }
        let summary = socket.summary
        if !summary.isEmpty {
            // A failing probe should stand out like a missing peer does.
            let style = summary.hasPrefix("failing") ? "summary bad" : "summary"
            html += " <span class=\"\(style)\">\(escape(summary))</span>"
        }
        html += "</h2>"
        if down {
            html += "<ul class=\"problems\">" + problems.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        if let window = socket.latencyWindow, let q = window.quantiles([0.5, 0.95, 0.99]) {
            html += "<p class=\"latency\">latency p50 \(duration(q[0])) · p95 \(duration(q[1])) · p99 \(duration(q[2]))</p>"
        }
        html += "<table><thead><tr><th>socket</th><th>type</th><th>endpoints</th><th>connections</th><th>in /s</th><th>out /s</th><th>last 5 min</th></tr></thead><tbody>"
        let endpoints = socket.resolvedEndpoints
        for (index, side) in config.sides.enumerated() {
            let recorder = socket.recorders[index]
            let resolved = index < endpoints.count ? endpoints[index] : []
            let list = (resolved.isEmpty ? side.endpoints.bind.map { ($0, "bind") } + side.endpoints.connect.map { ($0, "connect") } : resolved)
                .map { "<code>\(escape($0.0))</code> <small>\($0.1)</small>" }.joined(separator: "<br>")
            let connections = recorder.connectionCount
            var peers = "\(connections)"
            if let min = side.endpoints.minPeers {
                peers = connections < min ? "<span class=\"bad\">\(connections) / \(min)</span>" : "\(connections) / \(min)"
            }
            let rates = history.rates(for: side.label)
            let rateIn = rates.map { "\(number($0.messagesIn)) msg<br><small>\(bytes($0.bytesIn))/s</small>" } ?? "–"
            let rateOut = rates.map { "\(number($0.messagesOut)) msg<br><small>\(bytes($0.bytesOut))/s</small>" } ?? "–"
            let series = history.messageRateSeries(for: side.label)
            let caption = series.isEmpty ? "messages/s in+out: no history yet"
                : "messages/s in+out, every \(Int(History.interval)) s; peak \(number(series.max() ?? 0))/s"
            let spark = "<figure class=\"spark\">\(Sparkline.svg(series))<figcaption>\(caption)</figcaption></figure>"
            html += "<tr><td data-label=\"socket\">\(escape(side.label))</td><td data-label=\"type\">\(side.endpoints.type.rawValue)</td><td data-label=\"endpoints\">\(list)</td><td data-label=\"connections\">\(peers)</td><td data-label=\"in /s\">\(rateIn)</td><td data-label=\"out /s\">\(rateOut)</td><td data-label=\"last 5 min\">\(spark)</td></tr>"
            let recent = index < trouble.recent.count ? trouble.recent[index] : (handshake: 0, send: 0)
            if recent.handshake > 0 || recent.send > 0 {
                var parts: [String] = []
                if recent.handshake > 0 { parts.append("\(recent.handshake) handshake failure(s)") }
                if recent.send > 0 { parts.append("\(recent.send) send failure(s)") }
                html += "<tr class=\"failures\"><td colspan=\"7\">\(escape(side.label)): \(parts.joined(separator: ", ")) in the last 5 minutes</td></tr>"
            }
        }
        html += "</tbody></table>"
        let events = socket.recorders.flatMap { r in r.recentEvents.map { (r.metrics.label, $0) } }
            .sorted { $0.1.time > $1.1.time }.prefix(6)
        if !events.isEmpty {
            html += "<details open><summary>Last events</summary><ul class=\"events\">"
            for (label, recorded) in events {
                let bad = recorded.event.kind.name.hasPrefix("handshake_failed") || recorded.event.kind == .bindFailed
                html += "<li\(bad ? " class=\"bad\"" : "")><time>\(clockTime(recorded.time))</time> <b>\(recorded.event.kind.name)</b> \(escape(label)) <small>\(escape(detail(recorded.event)))</small></li>"
            }
            html += "</ul></details>"
        }
        return html + "</section>"
    }

    /// `3.2 s ago`, `4 min ago`, `2 h ago`.
    static func ago(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 60 { return String(cFormat: "%.1f s ago", s) }
        if s < 3600 { return String(cFormat: "%.0f min ago", s / 60) }
        return String(cFormat: "%.1f h ago", s / 3600)
    }

    static func detail(_ event: MonitorEvent) -> String {
        switch event.detail {
        case .fileDescriptor(let fd): "fd \(fd)"
        case .errno(let e): String(cString: strerror(e))
        case .reconnectInterval(let ms): "retry in \(ms) ms"
        case .protocolError(let p): p.name
        case .zapStatus(let code): "ZAP \(code)"
        case .none: ""
        }
    }

    /// `HH:mm:ss` in UTC of `seconds` since the epoch.
    static func clockTime(_ seconds: Double) -> String {
        let parts = WallClock.utcFields(seconds)
        return String(cFormat: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        v >= 1000 ? String(cFormat: "%.1fk", v / 1000) : String(cFormat: v < 10 ? "%.2f" : "%.0f", v)
    }

    static func bytes(_ v: Double) -> String {
        if v >= 1_048_576 { return String(cFormat: "%.1f MiB", v / 1_048_576) }
        if v >= 1024 { return String(cFormat: "%.1f KiB", v / 1024) }
        return String(cFormat: "%.0f B", v)
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 1e-3 { return String(cFormat: "%.0f µs", seconds * 1e6) }
        if seconds < 1 { return String(cFormat: "%.1f ms", seconds * 1e3) }
        return String(cFormat: "%.2f s", seconds)
    }

    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
    header{background:#1f2937;color:#f3f4f6;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:2px 0 6px;color:#cbd5e1;font-size:13px}
    nav a{color:#93c5fd;margin-right:14px;text-decoration:none}main{padding:14px 24px;display:grid;gap:12px;max-width:1200px}
    .socket{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px 16px}h2{font-size:16px;margin:4px 0 8px}
    .role{font-size:11px;text-transform:uppercase;padding:2px 7px;border-radius:9px;background:#e0e7ff;color:#3730a3;vertical-align:middle}
    .role.probe{background:#dcfce7;color:#166534}.role.proxy{background:#fef3c7;color:#92400e}
    .socket.down{border:2px solid #dc2626;background:#fef2f2}.socket.troubled{border-left:4px solid #dc2626}
    .status{margin:0;padding:10px 14px;border-radius:8px;font-weight:600}.status.ok{background:#dcfce7;color:#166534}.status.bad{background:#fee2e2;color:#991b1b}
    tr.failures td{color:#b91c1c;font-weight:600;border-top:none;padding-top:0}li.bad b{color:#b91c1c}
    figure.spark{margin:0}figcaption{font-size:11px;color:#64748b}main>*{min-width:0}code{overflow-wrap:anywhere}
    @media (max-width:640px){header,main{padding-left:10px;padding-right:10px}footer{padding-left:10px}
      table,tbody,tr,td{display:block;width:auto}thead{display:none}tr{border-top:1px solid #e2e8f0;padding:4px 0}td{border:none;padding:2px 4px}
      td[data-label]::before{content:attr(data-label) ": ";color:#64748b;font-size:11px;text-transform:uppercase}
      td[data-label] br{display:none}.spark svg{max-width:100%}.events{columns:1}.socket{padding:8px 10px}}.problems{margin:0 0 8px;padding-left:18px;color:#b91c1c;font-weight:600;overflow-wrap:anywhere}
    .summary{font-size:12px;color:#475569;font-weight:normal}.warn,.bad{color:#b91c1c;font-weight:600}
    table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-top:1px solid #eef2f7;vertical-align:top}
    th{font-size:11px;text-transform:uppercase;color:#64748b;border-top:none}code{font-size:12px}small{color:#64748b}
    .latency{margin:0 0 6px;color:#334155}.events{margin:4px 0;padding-left:18px;font-size:12px;columns:2 420px;column-gap:32px}.events li{break-inside:avoid}time{color:#64748b;font-variant-numeric:tabular-nums}
    .spark .line{fill:none;stroke:#2563eb;stroke-width:1.5}.spark .fill{fill:#dbeafe}.spark .base{stroke:#cbd5e1}
    summary{cursor:pointer;color:#475569;font-size:12px}footer{padding:8px 24px 20px;color:#94a3b8;font-size:12px}.empty{color:#475569}
    """
}
