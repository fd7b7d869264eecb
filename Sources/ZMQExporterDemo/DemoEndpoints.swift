import ZMQExporter
/// The ports the demo's placeholders stand for, and where its own sockets bind or connect.
public struct DemoEndpoints: Sendable, Equatable {
    /// An endpoint of examples/demo.yml the demo moves to its port; its raw value is the offset
    /// from the port base.
    public enum Placeholder: Int, CaseIterable, Sendable {
        case tasksFrontend, tasksBackend, eventsFrontend, eventsBackend, serviceFrontend, serviceBackend
        /// The CURVE-secured `reports` tap.
        case reports

        public var name: String {
            switch self {
            case .tasksFrontend: "TASKS_FRONTEND"
            case .tasksBackend: "TASKS_BACKEND"
            case .eventsFrontend: "EVENTS_FRONTEND"
            case .eventsBackend: "EVENTS_BACKEND"
            case .serviceFrontend: "SERVICE_FRONTEND"
            case .serviceBackend: "SERVICE_BACKEND"
            case .reports: "REPORTS"
            }
        }

        /// The text in the file: the endpoint at the default port base, `tcp://127.0.0.1:1555K`.
        public var token: String { "tcp://127.0.0.1:\(DemoEndpoints.filePortBase + rawValue)" }
    }

    /// The port of each placeholder.
    public var ports: [Placeholder: Int]
    /// Where the result collector binds: `tcp://127.0.0.1:<base+7>`, or port `*` for base 0.
    public var collectorBind: String

    /// The port base examples/demo.yml is written for (the default of --demo.port-base).
    public static let filePortBase = 15550

    /// The offset of the collector's port from the port base.
    public static let collectorOffset = Placeholder.allCases.count

    public init(ports: [Placeholder: Int], collectorBind: String) {
        self.ports = ports
        self.collectorBind = collectorBind
    }

    /// Consecutive ports from `base`: the placeholders in order, then the collector.
    public init(base: Int) {
        var ports: [Placeholder: Int] = [:]
        for placeholder in Placeholder.allCases { ports[placeholder] = base + placeholder.rawValue }
        self.init(ports: ports, collectorBind: "tcp://127.0.0.1:\(base + Self.collectorOffset)")
    }

    /// The loopback endpoint the demo's parts connect to for `placeholder`.
    public func endpoint(_ placeholder: Placeholder) -> String {
        "tcp://127.0.0.1:\(ports[placeholder] ?? 0)"
    }

    /// `text` with each demo endpoint moved to its port. In two steps, so that an endpoint moved
    /// onto another's default port (base 15551) is not moved again.
    public func render(_ text: String) -> String {
        var result = text
        for placeholder in Placeholder.allCases {
            result.replace(placeholder.token, with: "\u{0}\(placeholder.rawValue)\u{0}")
        }
        for placeholder in Placeholder.allCases {
            result.replace("\u{0}\(placeholder.rawValue)\u{0}", with: endpoint(placeholder))
        }
        return result
    }
}
