/// One line per socket for `check-config`.
public enum ConfigSummary {
    public static func line(_ socket: SocketConfig) -> String {
        func endpoints(_ e: EndpointConfig) -> String {
            (e.bind.map { "bind \($0)" } + e.connect.map { "connect \($0)" }).joined(separator: ", ")
                + (e.curve.map { " (\($0))" } ?? "")
        }
        switch socket.role {
        case .tap(let tap):
            var extra = tap.decodeJSON ? " json" : ""
            if !tap.labels.isEmpty { extra += " labels=" + tap.labels.map { "\($0.label)<-\($0.field)" }.joined(separator: ",") }
            return "\(socket.name): tap \(tap.socket.type.rawValue) \(endpoints(tap.socket))\(extra)"
        case .probe(let probe):
            return "\(socket.name): probe \(probe.socket.type.rawValue) \(endpoints(probe.socket)) every \(probe.interval) timeout \(probe.timeout) retries \(probe.retries)"
        case .proxy(let proxy):
            return "\(socket.name): proxy \(proxy.frontend.type.rawValue)/\(proxy.backend.type.rawValue) frontend \(endpoints(proxy.frontend)); backend \(endpoints(proxy.backend))"
        }
    }

    /// `module echo: /probe REQ request 'Hello' expect 'Hello' timeout 2.0 seconds`
    public static func line(_ module: ProbeModule) -> String {
        let expect = module.expect.map { " expect '\(String(decoding: $0, as: UTF8.self))'" } ?? ""
        return "module \(module.name): /probe \(module.type.rawValue) request '\(String(decoding: module.request, as: UTF8.self))'\(expect) timeout \(module.timeout)"
    }
}
