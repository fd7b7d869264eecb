import ZeroMQ

/// The agent's configuration: the sockets it owns, and the modules `/probe` may use. Loaded by
/// ``ConfigLoader``.
public struct ExporterConfig: Sendable, Equatable {
    public var sockets: [SocketConfig]
    /// By name, in name order.
    public var modules: [ProbeModule]

    public init(sockets: [SocketConfig], modules: [ProbeModule] = []) {
        self.sockets = sockets
        self.modules = modules
    }
}

/// One configured socket (or, for a proxy, a pair of sockets).
public struct SocketConfig: Sendable, Equatable {
    /// Unique, `[a-zA-Z_][a-zA-Z0-9_-]*`; the `socket` label.
    public var name: String
    public var role: Role
    /// Latency histogram buckets in seconds (probe and proxy request durations, tap message age).
    public var buckets: [Double]

    public enum Role: Sendable, Equatable {
        case tap(TapConfig)
        case probe(ProbeConfig)
        case proxy(ProxyConfig)

        public var name: String {
            switch self {
            case .tap: "tap"
            case .probe: "probe"
            case .proxy: "proxy"
            }
        }
    }

    /// The `socket` label values this entry exports, with each one's endpoint settings.
    public var sides: [(label: String, endpoints: EndpointConfig)] {
        switch role {
        case .tap(let tap): [(name, tap.socket)]
        case .probe(let probe): [(name, probe.socket)]
        case .proxy(let proxy): [(name + ".frontend", proxy.frontend), (name + ".backend", proxy.backend)]
        }
    }

    /// 50 µs to 10 s, roughly ×2.5 per step.
    public static let defaultBuckets: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
}

/// Where a socket binds and connects, and the options it is set up with.
public struct EndpointConfig: Sendable, Equatable {
    public var type: SocketType
    public var bind: [String] = []
    public var connect: [String] = []
    public var options = SocketOptions()
    /// CURVE security (`curve:`); nil for the NULL mechanism.
    public var curve: CurveConfig?
    /// The number of peer connections the operator expects (`zmq_socket_expected_peers`).
    public var minPeers: Int?

    public init(type: SocketType) {
        self.type = type
    }
}

/// libzmq options; nil leaves libzmq's default. Durations in milliseconds.
public struct SocketOptions: Sendable, Equatable {
    public var sendHighWaterMark: Int32?
    public var receiveHighWaterMark: Int32?
    public var linger: Int32?
    public var reconnectInterval: Int32?
    public var reconnectIntervalMax: Int32?
    public var heartbeatInterval: Int32?
    public var heartbeatTimeout: Int32?
    public var heartbeatTTL: Int32?

    public init() {}
}

public struct TapConfig: Sendable, Equatable {
    public var socket: EndpointConfig
    /// SUB prefixes; all messages ("") by default.
    public var subscribe: [String] = [""]
    public var decodeJSON = false
    /// Prometheus label name → top-level JSON field, in label-name order.
    public var labels: [TapLabel] = []
    public var maxLabelValues = 100
    /// The most label combinations (series of `zmq_tap_messages_total`) the tap makes; messages
    /// beyond count under `__overflow__` for every label.
    public var maxSeries = TapConfig.defaultMaxSeries
    public var timestamp: TimestampField?

    public static let defaultMaxSeries = 1000

    public init(socket: EndpointConfig) {
        self.socket = socket
    }
}

/// A tap label: a Prometheus label name and the top-level JSON field its value comes from.
public struct TapLabel: Sendable, Equatable {
    public var label: String
    public var field: String

    public init(label: String, field: String) {
        self.label = label
        self.field = field
    }
}

/// A JSON field holding the time a message was sent.
public struct TimestampField: Sendable, Equatable {
    public enum Unit: String, Sendable, CaseIterable {
        case s, ms, us, ns

        /// Seconds per unit.
        public var scale: Double {
            switch self {
            case .s: 1
            case .ms: 1e-3
            case .us: 1e-6
            case .ns: 1e-9
            }
        }
    }

    public var field: String
    public var unit: Unit
}

public struct ProbeConfig: Sendable, Equatable {
    public var socket: EndpointConfig
    public var interval: Duration = .seconds(5)
    public var timeout: Duration = .milliseconds(2500)
    /// Attempts after the first one fails.
    public var retries = 3
    public var request: [UInt8] = Array("ping".utf8)
    public var expect: [UInt8]?

    public init(socket: EndpointConfig) {
        self.socket = socket
    }
}

public struct ProxyConfig: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case broker, bus, pipeline
    }

    public var frontend: EndpointConfig
    public var backend: EndpointConfig
    /// ROUTER/DEALER: a request unanswered this long is evicted and counted.
    public var requestTimeout: Duration = .seconds(30)
    /// ROUTER/DEALER: the most requests tracked at once; the oldest beyond it is evicted.
    public var maxInFlight = 100_000

    public var kind: Kind {
        switch (frontend.type, backend.type) {
        case (.router, .dealer): .broker
        case (.xsub, .xpub): .bus
        default: .pipeline
        }
    }

    /// The front/back socket type pairs a proxy may have.
    public static let pairs: [(SocketType, SocketType)] = [(.router, .dealer), (.xsub, .xpub), (.pull, .push)]

    public init(frontend: EndpointConfig, backend: EndpointConfig) {
        self.frontend = frontend
        self.backend = backend
    }
}
