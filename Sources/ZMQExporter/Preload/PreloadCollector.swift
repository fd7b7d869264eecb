import Glibc
import Posix
import ZeroMQ

/// The sockets of programs run under the preload library, read from their stats files at each
/// scrape and exported in the same `zmq_socket_*` families as the agent's own sockets, with
/// `process` and `pid` labels added (docs/zero-code.md).
///
/// Files are untrusted input (``PreloadDirectory`` checks them). A process that exited keeps its
/// final counts for ``Options/grace``, then its file is removed and its series go. Cardinality is
/// bounded: at most ``Options/maxSocketsPerProcess`` sockets of a process one by one (the rest
/// summed under `socket="_other"`), at most ``Options/maxProcesses`` processes (the rest are
/// counted in `zmq_exporter_preload_files{state="over_limit"}`).
public final class PreloadCollector: Collector {
    public struct Options: Sendable {
        public var directory = PreloadDirectory.defaultPath
        public var maxProcesses = 200
        public var maxSocketsPerProcess = 50
        /// How long an exited process's last counts stay (at least two scrapes at 1 min).
        public var grace: Duration = .seconds(300)
        /// Owners whose files are read; nil: this process's uid and root.
        public var allowedOwners: Set<UInt32>?

        public init() {}
    }

    let options: Options
    /// When each file was first seen without its writer, on the monotonic clock.
    private let exitedSince = Locked<[String: Double]>([:])
    /// What the last scan saw, for the landing page.
    private let lastSeen = Locked<[WatchedProcess]>([])
    /// The size of each family's lines at the last scrape, reserved up front at the next: growing
    /// a buffer of megabytes by doubling copied it about twenty times.
    private let lastSizes = Locked<[Int]>([])

    public init(options: Options) {
        self.options = options
    }

    public func collect(into samples: inout Samples) {
        var states: [String: Int64] = ["live": 0, "exited": 0, "invalid": 0, "refused": 0, "over_limit": 0]
        defer { for (state, count) in states.sorted(by: { $0.key < $1.key }) { samples.add(MetricCatalog.preloadFiles, [("state", state)], count) } }
        let directory = PreloadDirectory(path: options.directory, allowedOwners: options.allowedOwners)
        guard let entries = try? directory.scan() else { return }
        let now = Monotonic.seconds()
        let graceSeconds = options.grace.seconds
        var processes: [(PreloadProcess, alive: Bool)] = []
        var seen = Set<String>()
        exitedSince.withLock { exited in
            for entry in entries {
                seen.insert(entry.fileName)
                guard case .success(let process) = entry.result else {
                    if case .failure(.notAllowedOwner) = entry.result { states["refused", default: 0] += 1 } else { states["invalid", default: 0] += 1 }
                    continue
                }
                if entry.writerAlive {
                    exited[entry.fileName] = nil
                    processes.append((process, true))
                    continue
                }
                let since = exited[entry.fileName] ?? now
                exited[entry.fileName] = since
                if now - since >= graceSeconds {
                    // The writer is gone and its grace is over: the file goes, and its series.
                    unlink(options.directory + "/" + entry.fileName)
                    exited[entry.fileName] = nil
                    continue
                }
                processes.append((process, false))
            }
            for name in exited.keys where !seen.contains(name) { exited[name] = nil }
        }
        // A reused pid: the live process wins over an exited one with the same labels.
        let live = Set(processes.filter(\.alive).map { "\($0.0.pid) \(Self.processName($0.0))" })
        processes.removeAll { !$0.alive && live.contains("\($0.0.pid) \(Self.processName($0.0))") }
        processes.sort { ($0.0.pid, $0.0.startTime) < ($1.0.pid, $1.0.startTime) }
        var lines = Lines(capacities: lastSizes.withLock { $0 })
        var seenNow: [WatchedProcess] = []
        for (index, (process, alive)) in processes.enumerated() {
            if index >= options.maxProcesses {
                states["over_limit", default: 0] += 1
                continue
            }
            states[alive ? "live" : "exited", default: 0] += 1
            seenNow.append(add(process, alive: alive, into: &lines))
        }
        lastSizes.withLock { $0 = lines.buffers.map(\.count) }
        lastSeen.withLock { $0 = seenNow }
        lines.flush(into: &samples)
    }

    /// The processes of --preload.dir and their sockets as a scan sees them now (one scan, as a
    /// scrape makes; the landing page calls it on each view).
    public func watched() -> [WatchedProcess] {
        var discarded = Samples()
        collect(into: &discarded)
        return lastSeen.withLock { $0 }
    }

    /// A process of --preload.dir, summed per `socket` label as /metrics shows it.
    public struct WatchedProcess: Sendable {
        public struct Socket: Sendable {
            public var label: String
            public var type: String
            public var connections: Int64
            public var messagesIn: UInt64
            public var messagesOut: UInt64
            public var handshakeFailures: UInt64
        }

        public var name: String
        public var pid: Int32
        public var alive: Bool
        public var sockets: [Socket]
    }

    static func processName(_ process: PreloadProcess) -> String {
        process.name.isEmpty ? "pid-\(process.pid)" : process.name
    }

    /// libzmq's socket type numbers (`ZMQ_PAIR` 0 ... `ZMQ_STREAM` 11).
    static let typeNames = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"]

    static func typeName(_ type: Int32) -> String {
        type >= 0 && Int(type) < typeNames.count ? typeNames[Int(type)] : "type-\(type)"
    }

    /// The `socket` label: the operator's name (`ZMQ_EXPORTER_SOCKET_NAMES`), else the type and
    /// the first endpoint as the program wrote it (`PUSH tcp://*:5557`), stable across restarts.
    static func socketLabel(_ socket: PreloadSocket) -> String {
        if socket.isOverflow { return "_other" }
        if socket.named { return socket.name }
        let type = typeName(socket.type)
        return socket.name.isEmpty ? type : type + " " + socket.name
    }

    /// One process's sockets, slots of one label summed (a socket closed and opened again under
    /// the same name and type goes on counting where it was).
    /// Returns what the landing page shows of the process: the same sockets, summed the same way.
    private func add(_ process: PreloadProcess, alive: Bool, into lines: inout Lines) -> WatchedProcess {
        var processPart: [UInt8] = Array(",process=\"".utf8)
        TextFormat.appendEscaped(Self.processName(process), into: &processPart)
        processPart.append(contentsOf: "\",pid=\"\(process.pid)\"}".utf8)
        // The per-process families have no socket label: `{process="...",pid="..."}`.
        let processOnly = [UInt8(ascii: "{")] + processPart.dropFirst()
        lines.append(.processUp, prefix: processOnly, Int64(alive ? 1 : 0))
        lines.append(.eventsDropped, prefix: processOnly, Int64(clamping: process.droppedEvents))
        lines.append(.unmonitored, prefix: processOnly,
                     Int64(process.sockets.count { $0.state == .live && (!$0.monitored || $0.monitorLost || $0.unmonitored) }))
        var order: [String] = []
        var grouped: [String: Aggregate] = [:]
        for socket in process.sockets {
            var label = Self.socketLabel(socket)
            if grouped[label] == nil && order.count >= options.maxSocketsPerProcess { label = "_other" }
            if grouped[label] == nil { order.append(label) }
            grouped[label, default: Aggregate(bounds: process.bucketBounds)].add(socket)
        }
        for label in order {
            grouped[label]!.emit(socket: label, processPart: processPart, bounds: process.bucketBounds, into: &lines)
        }
        return WatchedProcess(name: Self.processName(process), pid: process.pid, alive: alive, sockets: order.map { label in
            let socket = grouped[label]!
            return WatchedProcess.Socket(label: label, type: Self.typeName(socket.type), connections: max(0, socket.connections),
                                         messagesIn: socket.messagesReceived, messagesOut: socket.messagesSent,
                                         handshakeFailures: socket.handshake.values.reduce(0, &+))
        })
    }

    /// Sample lines per family, written straight from pre-escaped label parts: a process of 20
    /// sockets is about 800 samples, and 100 of them should not cost a label array, an escape
    /// pass and a dictionary look-up each.
    struct Lines {
        enum Family: Int, CaseIterable {
            case info, endpoint, events, connections, duration, handshake
            case received, sent, bytesReceived, bytesSent, sendFailures
            case processUp, eventsDropped, unmonitored

            var catalog: MetricCatalog.Family {
                switch self {
                case .info: MetricCatalog.socketInfo
                case .endpoint: MetricCatalog.endpointInfo
                case .events: MetricCatalog.events
                case .connections: MetricCatalog.connections
                case .duration: MetricCatalog.connectionDuration
                case .handshake: MetricCatalog.handshakeFailures
                case .received: MetricCatalog.messagesReceived
                case .sent: MetricCatalog.messagesSent
                case .bytesReceived: MetricCatalog.bytesReceived
                case .bytesSent: MetricCatalog.bytesSent
                case .sendFailures: MetricCatalog.sendFailures
                case .processUp: MetricCatalog.appProcessUp
                case .eventsDropped: MetricCatalog.appEventsDropped
                case .unmonitored: MetricCatalog.appSocketsUnmonitored
                }
            }

            static let names: [[UInt8]] = allCases.map { Array($0.catalog.name.utf8) }
        }

        var buffers = [[UInt8]](repeating: [], count: Family.allCases.count)

        init(capacities: [Int]) {
            for (index, capacity) in capacities.enumerated() where index < buffers.count {
                buffers[index].reserveCapacity(capacity + capacity / 8)
            }
        }

        /// `name` + `prefix` (the labels with their braces, or empty) + ` value`.
        mutating func append(_ family: Family, prefix: some Collection<UInt8>, _ value: Int64, suffix: String = "") {
            buffers[family.rawValue].append(contentsOf: Family.names[family.rawValue])
            buffers[family.rawValue].append(contentsOf: suffix.utf8)
            buffers[family.rawValue].append(contentsOf: prefix)
            buffers[family.rawValue].append(UInt8(ascii: " "))
            buffers[family.rawValue].appendDecimal(value)
            buffers[family.rawValue].append(UInt8(ascii: "\n"))
        }

        /// A line labelled `{socket="…",KEY="VALUE",process="…",pid="…"}`: `socketPart` is
        /// `{socket="…"`, `processPart` `,process="…",pid="…"}`; `key` and `value` are added
        /// between them, escaped, when given.
        /// - Parameter plain: `label` needs no escaping (event names, reasons, bounds: ours).
        mutating func append(_ family: Family, socketPart: [UInt8], _ key: String? = nil, _ label: String = "", plain: Bool = true,
                             processPart: [UInt8], _ value: Int64, suffix: String = "") {
            // Written in place: a copy of the label parts per line would cost an allocation each.
            buffers[family.rawValue].append(contentsOf: Family.names[family.rawValue])
            buffers[family.rawValue].append(contentsOf: suffix.utf8)
            buffers[family.rawValue].append(contentsOf: socketPart)
            if let key {
                buffers[family.rawValue].append(UInt8(ascii: ","))
                buffers[family.rawValue].append(contentsOf: key.utf8)
                buffers[family.rawValue].append(contentsOf: "=\"".utf8)
                if plain {
                    buffers[family.rawValue].append(contentsOf: label.utf8)
                } else {
                    TextFormat.appendEscaped(label, into: &buffers[family.rawValue])
                }
                buffers[family.rawValue].append(UInt8(ascii: "\""))
            }
            buffers[family.rawValue].append(contentsOf: processPart)
            buffers[family.rawValue].append(UInt8(ascii: " "))
            buffers[family.rawValue].appendDecimal(value)
            buffers[family.rawValue].append(UInt8(ascii: "\n"))
        }

        func flush(into samples: inout Samples) {
            for family in Family.allCases where !buffers[family.rawValue].isEmpty {
                samples.appendLines(family.catalog, buffers[family.rawValue])
            }
        }
    }

    /// The counters of every slot that shares one `socket` label.
    struct Aggregate {
        var type: Int32 = -1
        var live = false
        var endpoints: [PreloadSocket.Endpoint] = []
        var messagesSent: UInt64 = 0, messagesReceived: UInt64 = 0, bytesSent: UInt64 = 0, bytesReceived: UInt64 = 0
        var sendFailures: [UInt64] = [0, 0, 0]
        var connections: Int64 = 0
        var events: [UInt64] = Array(repeating: 0, count: 16)
        var handshake: [String: UInt64] = [:]
        var lifetime: [UInt64]
        var lifetimeSum = 0.0

        init(bounds: [Double]) { lifetime = Array(repeating: 0, count: bounds.count + 1) }

        mutating func add(_ socket: PreloadSocket) {
            if type < 0 || socket.state == .live { type = socket.type }
            if socket.state == .live {
                live = true
                connections += socket.connections
                for endpoint in socket.endpoints where !endpoints.contains(endpoint) { endpoints.append(endpoint) }
            }
            messagesSent &+= socket.messagesSent
            messagesReceived &+= socket.messagesReceived
            bytesSent &+= socket.bytesSent
            bytesReceived &+= socket.bytesReceived
            sendFailures[0] &+= socket.sendWouldBlock
            sendFailures[1] &+= socket.sendUnroutable
            sendFailures[2] &+= socket.sendError
            for (index, count) in socket.events.prefix(16).enumerated() { events[index] &+= count }
            if socket.closedBeforeHandshake > 0 { handshake[HandshakeReason.closedBeforeHandshake, default: 0] &+= socket.closedBeforeHandshake }
            for failure in socket.handshakeFailures {
                let event = MonitorEvent(kind: MonitorEvent.Kind(rawValue: Int(failure.event)), value: failure.value, endpoint: "")
                handshake[HandshakeReason.of(event) ?? "event_0x" + String(failure.event, radix: 16), default: 0] &+= failure.count
            }
            if socket.handshakeOverflow > 0 { handshake["other", default: 0] &+= socket.handshakeOverflow }
            for (index, count) in socket.lifetimeBuckets.prefix(lifetime.count).enumerated() { lifetime[index] &+= count }
            lifetimeSum += socket.lifetimeSumSeconds
        }

        func emit(socket: String, processPart: [UInt8], bounds: [Double], into lines: inout Lines) {
            var socketPart: [UInt8] = Array("{socket=\"".utf8)
            TextFormat.appendEscaped(socket, into: &socketPart)
            socketPart.append(UInt8(ascii: "\""))
            var info = socketPart
            info.append(contentsOf: ",role=\"app\",type=\"\(PreloadCollector.typeName(type))\"".utf8)
            info.append(contentsOf: processPart)
            lines.append(.info, prefix: info, 1)
            for endpoint in endpoints {
                var labels = socketPart
                labels.append(contentsOf: ",endpoint=\"".utf8)
                TextFormat.appendEscaped(endpoint.address, into: &labels)
                labels.append(contentsOf: "\",mode=\"\(endpoint.mode.rawValue)\"".utf8)
                labels.append(contentsOf: processPart)
                lines.append(.endpoint, prefix: labels, 1)
            }
            for (index, kind) in MonitorEvent.Kind.known.enumerated() {
                lines.append(.events, socketPart: socketPart, "event", kind.name, processPart: processPart, Int64(clamping: events[index]))
            }
            lines.append(.connections, socketPart: socketPart, processPart: processPart, max(0, connections))
            if bounds.count + 1 == lifetime.count, !bounds.isEmpty, zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) {
                var cumulative: Int64 = 0
                for (index, bound) in bounds.enumerated() {
                    cumulative += Int64(clamping: lifetime[index])
                    lines.append(.duration, socketPart: socketPart, "le", TextFormat.sampleText(bound), processPart: processPart, cumulative, suffix: "_bucket")
                }
                cumulative += Int64(clamping: lifetime[bounds.count])
                lines.append(.duration, socketPart: socketPart, "le", "+Inf", processPart: processPart, cumulative, suffix: "_bucket")
                var sum = socketPart
                sum.append(contentsOf: processPart)
                var text = Array(Lines.Family.names[Lines.Family.duration.rawValue])
                text.append(contentsOf: "_sum".utf8)
                text.append(contentsOf: sum)
                text.append(UInt8(ascii: " "))
                text.appendSample(lifetimeSum)
                text.append(UInt8(ascii: "\n"))
                lines.buffers[Lines.Family.duration.rawValue].append(contentsOf: text)
                lines.append(.duration, socketPart: socketPart, processPart: processPart, cumulative, suffix: "_count")
            }
            for (reason, count) in handshake.sorted(by: { $0.key < $1.key }) {
                lines.append(.handshake, socketPart: socketPart, "reason", reason, processPart: processPart, Int64(clamping: count))
            }
            lines.append(.received, socketPart: socketPart, processPart: processPart, Int64(clamping: messagesReceived))
            lines.append(.sent, socketPart: socketPart, processPart: processPart, Int64(clamping: messagesSent))
            lines.append(.bytesReceived, socketPart: socketPart, processPart: processPart, Int64(clamping: bytesReceived))
            lines.append(.bytesSent, socketPart: socketPart, processPart: processPart, Int64(clamping: bytesSent))
            for (index, reason) in ["would_block", "unroutable", "error"].enumerated() {
                lines.append(.sendFailures, socketPart: socketPart, "reason", reason, processPart: processPart, Int64(clamping: sendFailures[index]))
            }
        }
    }
}
