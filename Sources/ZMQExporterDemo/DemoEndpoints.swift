import ZMQExporter
/// The ports the demo's placeholders stand for, and where its own sockets bind or connect.
public struct DemoEndpoints: Sendable, Equatable {
    /// A `${NAME}` placeholder of examples/demo.yml; its raw value is the offset from the port base.
    public enum Placeholder: Int, CaseIterable, Sendable {
        case tasksFrontend, tasksBackend, eventsFrontend, eventsBackend, serviceFrontend, serviceBackend

        public var name: String {
            switch self {
            case .tasksFrontend: "TASKS_FRONTEND"
            case .tasksBackend: "TASKS_BACKEND"
            case .eventsFrontend: "EVENTS_FRONTEND"
            case .eventsBackend: "EVENTS_BACKEND"
            case .serviceFrontend: "SERVICE_FRONTEND"
            case .serviceBackend: "SERVICE_BACKEND"
            }
        }

        /// The text in the file: `${NAME}`.
        public var token: String { "${\(name)}" }
    }

    /// The port of each placeholder.
    public var ports: [Placeholder: Int]
    /// Where the result collector binds: `tcp://127.0.0.1:<base+6>`, or port `*` for base 0.
    public var collectorBind: String

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

    /// `text` with every placeholder replaced by its port.
    public func render(_ text: String) -> String {
        var result = text
        for placeholder in Placeholder.allCases {
            result.replace(placeholder.token, with: String(ports[placeholder] ?? 0))
        }
        return result
    }
}
