import ZMQExporter
/// The one-line report the demo prints every 10 s: what the system did and what the probes say.
public enum DemoSummary {
    /// e.g. `demo: tasks produced 250, collected 246 (4 in flight or lost); requests answered 80,
    /// retried 3, given up 0; faults: 1 crash, 10 bad connects, 1 silence; CURVE: 20 reports sent,
    /// 2 unknown-key connects; probe service-probe: ok`
    public static func line(_ system: DemoSystem, agent: Agent) -> String {
        let s = system.stats
        let produced = s.read(.produced), collected = s.read(.collected)
        var text = "demo: tasks produced \(produced), collected \(collected) (\(produced - collected) in flight or lost)"
        text += "; requests answered \(s.read(.answered)), retried \(s.read(.retried)), given up \(s.read(.abandoned))"
        text += "; faults: \(plural(s.read(.crashes), "crash", "crashes")), \(plural(s.read(.misconfiguredConnects), "bad connect", "bad connects")), \(plural(s.read(.silences), "silence", "silences"))"
        text += "; CURVE: \(plural(s.read(.reports), "report", "reports")) sent, \(plural(s.read(.unknownKeyConnects), "unknown-key connect", "unknown-key connects"))"
        for socket in agent.sockets {
            guard case .probe = socket.config.role else { continue }
            text += "; probe \(socket.config.name): \(socket.summary)"
        }
        return text
    }

    static func plural(_ count: Int, _ one: String, _ many: String) -> String {
        "\(count) \(count == 1 ? one : many)"
    }
}
