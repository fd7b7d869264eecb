import ZeroMQ

/// What the collector writes for one stats file, made when the file is decoded and kept while
/// its ``PreloadFile/Signature`` stays the same: the text of every line up to its value, already
/// escaped, and where in the file each value comes from. A scrape then reads the counters, adds
/// up the slots of each `socket` label and writes numbers after the kept text
/// (``values(_:alive:)``, ``write(_:_:into:)``), instead of decoding, grouping and escaping
/// 800 lines per process again.
final class PreloadPlan: Sendable {
    /// The families the preload files add to, in the order of their blocks.
    enum Family: Int, CaseIterable, Sendable {
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
    }

    /// One family's lines of this file. A line's text up to its value is two pieces of `text`:
    /// the head (the name and the socket label) and the rest (one more label, if any, the
    /// process labels and the space); the pieces are kept once each, so a scrape reads a few
    /// kilobytes of text per file rather than every line's 120 bytes. Its value is
    /// `ints[value]`, or `doubles[~value]` when negative; the line is left out when
    /// `shown >= 0` and `ints[shown] == 0` (a handshake reason never seen).
    struct Template: Sendable {
        struct Line: Sendable {
            var head: Int32, headCount: Int32
            var rest: Int32, restCount: Int32
            var value: Int32, shown: Int32
        }

        var text: [UInt8] = []
        var lines: [Line] = []
        /// The lines' text, all of it.
        var textBytes = 0
        private var pieces: [[UInt8]: Int32] = [:]

        /// Room enough for the lines: their text, a value of at most 32 bytes and a newline
        /// each, and the seven bytes a piece's copy may write past its end.
        var bound: Int { textBytes + lines.count * 33 + 8 }

        mutating func add(_ head: [UInt8], _ middle: [UInt8], _ tail: [UInt8], value: Int, shown: Int = -1) {
            let rest = middle + tail
            lines.append(Line(head: piece(head), headCount: Int32(head.count), rest: piece(rest), restCount: Int32(rest.count),
                              value: Int32(value), shown: Int32(shown)))
            textBytes += head.count + rest.count
        }

        private mutating func piece(_ bytes: [UInt8]) -> Int32 {
            if let at = pieces[bytes] { return at }
            let at = Int32(text.count)
            text.append(contentsOf: bytes)
            pieces[bytes] = at
            return at
        }

        /// Drops what only building needed, and leaves eight bytes after the last piece for
        /// the copy that reads eight at a time.
        mutating func finish() {
            pieces = [:]
            text.append(contentsOf: repeatElement(0, count: 8))
        }
    }

    /// The slots summed under one `socket` label, and where its values go in ``Values/ints``.
    struct Group: Sendable {
        var label: String
        /// The type of its last live slot, else of its first (libzmq's number; -1 for `_other`).
        var type: Int32 = -1
        var typeName: String { PreloadCollector.typeName(type) }
        /// Offsets of its slots in the file; connections and endpoints come from the live ones.
        var slots: [Int] = []
        var liveSlots: [Int] = []
        var base = 0
        var reasons: [Reason] = []
    }

    /// A handshake-failure reason of a group: the counts that add up to it (closed before
    /// handshake, each table entry with this name, the overflow count), by their offset.
    struct Reason: Sendable {
        var name: String
        var sources: [Int] = []
        var value = 0
        var shown = 0
    }

    /// Group i's slots are `slots[slotEnds[i - 1]..<slotEnds[i]]` (from 0 for the first), and
    /// so on: a scrape walks these without copying a ``Group`` (four retains each).
    struct Flat: Sendable {
        var bases: [Int] = []
        var slots: [Int] = [], slotEnds: [Int] = []
        var liveSlots: [Int] = [], liveEnds: [Int] = []
        var reasonValues: [Int] = [], reasonEnds: [Int] = []
        var sources: [Int] = [], sourceEnds: [Int] = []

        init(_ groups: [Group]) {
            for group in groups {
                bases.append(group.base)
                slots += group.slots
                slotEnds.append(slots.count)
                liveSlots += group.liveSlots
                liveEnds.append(liveSlots.count)
                for reason in group.reasons {
                    reasonValues.append(reason.value)
                    sources += reason.sources
                    sourceEnds.append(sources.count)
                }
                reasonEnds.append(reasonValues.count)
            }
        }
    }

    // The ints of a group, from its base.
    static let received = 0, sent = 1, bytesReceived = 2, bytesSent = 3, sendFailures = 4, connections = 7
    static let events = 8
    static var buckets: Int { events + MonitorEvent.Kind.known.count }
    /// Before the groups: the constant 1 of info lines, then the process's three values.
    static let one = 0, alive = 1, dropped = 2, unmonitored = 3, groupsStart = 4

    let pid: Int32
    let startTime: UInt64
    let processName: String
    /// `"PID NAME"`: a live process hides an exited one with the same labels (a reused pid).
    let processKey: String
    let unmonitoredSockets: Int64
    let bucketCount: Int
    let groups: [Group]
    /// The groups' slots and reasons in flat arrays, for ``values(_:alive:droppedEvents:)``.
    let flat: Flat
    let templates: [Template]
    /// Each family's text as last written, kept while its values stay the same.
    let rendered: [RenderedText]
    let intCount: Int
    /// The copy must be this long for every offset above to be read.
    let requiredSize: Int

    /// - Parameters:
    ///   - process: what ``PreloadFile/parse(_:)`` decoded from `copy`.
    ///   - signature: `copy`'s signature, for the slots' offsets.
    ///   - maxSockets: labels of the process shown one by one; the rest are summed as `_other`.
    init(process: PreloadProcess, copy: [UInt8], signature: PreloadFile.Signature, maxSockets: Int) {
        pid = process.pid
        startTime = process.startTime
        processName = PreloadCollector.processName(process)
        processKey = "\(process.pid) \(processName)"
        unmonitoredSockets = Int64(process.sockets.count { $0.state == .live && (!$0.monitored || $0.monitorLost || $0.unmonitored) })
        let bounds = process.bucketBounds
        bucketCount = bounds.count + 1
        let reader = ByteReader(bytes: copy)

        // Slots of one label add up (a socket closed and opened again goes on counting).
        var order: [String] = []
        var grouped: [String: Group] = [:]
        var endpoints: [String: [PreloadSocket.Endpoint]] = [:]
        var reasons: [String: [String: [Int]]] = [:]
        var required = PreloadFile.Header.droppedEvents + 8
        for socket in process.sockets {
            var label = PreloadCollector.socketLabel(socket)
            if grouped[label] == nil && order.count >= maxSockets { label = "_other" }
            if grouped[label] == nil {
                order.append(label)
                grouped[label] = Group(label: label)
            }
            let base = signature.slotOffset(socket.slot)
            required = max(required, base + PreloadFile.Slot.handshake + 16 * PreloadFile.Slot.handshakeMax)
            var group = grouped[label]!
            if group.type < 0 || socket.state == .live { group.type = socket.type }
            group.slots.append(base)
            if socket.state == .live {
                group.liveSlots.append(base)
                for endpoint in socket.endpoints where !endpoints[label, default: []].contains(endpoint) { endpoints[label, default: []].append(endpoint) }
            }
            grouped[label] = group
            // Every entry may count later without the signature changing: each is a candidate.
            let c = base + PreloadFile.Slot.counters
            reasons[label, default: [:]][HandshakeReason.closedBeforeHandshake, default: []].append(c + 64)
            let entries = Int((try? reader.uint32(base + PreloadFile.Slot.handshakeEntries)) ?? 0)
            for entry in 0..<min(entries, PreloadFile.Slot.handshakeMax) {
                let at = base + PreloadFile.Slot.handshake + 16 * entry
                let event = (try? reader.uint32(at)) ?? 0, value = (try? reader.uint32(at + 4)) ?? 0
                let failure = MonitorEvent(kind: MonitorEvent.Kind(rawValue: Int(event)), value: value, endpoint: "")
                reasons[label, default: [:]][HandshakeReason.of(failure) ?? "event_0x" + String(event, radix: 16), default: []].append(at + 8)
            }
            reasons[label, default: [:]]["other", default: []].append(c + 72)
        }

        var ints = Self.groupsStart
        var groups: [Group] = []
        for label in order {
            var group = grouped[label]!
            group.base = ints
            ints += Self.buckets + bucketCount
            for (name, sources) in reasons[label, default: [:]].sorted(by: { $0.key < $1.key }) {
                group.reasons.append(Reason(name: name, sources: sources, value: ints, shown: ints + 1))
                ints += 2
            }
            groups.append(group)
        }
        self.groups = groups
        flat = Flat(groups)
        intCount = ints
        requiredSize = required
        templates = Self.templates(groups, endpoints: endpoints, bounds: bounds, processName: processName, pid: process.pid)
        rendered = templates.map { _ in RenderedText() }
    }

    /// Each family's lines, in the order the collector wrote them before this plan existed.
    private static func templates(_ groups: [Group], endpoints: [String: [PreloadSocket.Endpoint]], bounds: [Double],
                                  processName: String, pid: Int32) -> [Template] {
        var templates = [Template](repeating: Template(), count: Family.allCases.count)
        func name(_ family: Family, _ suffix: String = "") -> [UInt8] { Array((family.catalog.name + suffix).utf8) }
        func label(_ key: String, _ value: String, escaped: Bool = false) -> [UInt8] {
            var out = Array(",\(key)=\"".utf8)
            if escaped { TextFormat.appendEscaped(value, into: &out) } else { out.append(contentsOf: value.utf8) }
            out.append(UInt8(ascii: "\""))
            return out
        }
        var processPart = label("process", processName, escaped: true)
        processPart.append(contentsOf: ",pid=\"\(pid)\"} ".utf8)
        let processOnly = [UInt8(ascii: "{")] + processPart.dropFirst()
        templates[Family.processUp.rawValue].add(name(.processUp) + processOnly, [], [], value: alive)
        templates[Family.eventsDropped.rawValue].add(name(.eventsDropped) + processOnly, [], [], value: dropped)
        templates[Family.unmonitored.rawValue].add(name(.unmonitored) + processOnly, [], [], value: unmonitored)
        let increasing = !bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }
        for (position, group) in groups.enumerated() {
            var socketPart = Array("{socket=\"".utf8)
            TextFormat.appendEscaped(group.label, into: &socketPart)
            socketPart.append(UInt8(ascii: "\""))
            func head(_ family: Family, _ suffix: String = "") -> [UInt8] { name(family, suffix) + socketPart }
            let base = group.base
            templates[Family.info.rawValue].add(head(.info), label("role", "app") + label("type", group.typeName), processPart, value: one)
            for endpoint in endpoints[group.label] ?? [] {
                templates[Family.endpoint.rawValue].add(head(.endpoint), label("endpoint", endpoint.address, escaped: true) + label("mode", endpoint.mode.rawValue),
                                                        processPart, value: one)
            }
            for (index, kind) in MonitorEvent.Kind.known.enumerated() {
                templates[Family.events.rawValue].add(head(.events), label("event", kind.name), processPart, value: base + events + index)
            }
            templates[Family.connections.rawValue].add(head(.connections), [], processPart, value: base + connections)
            if increasing {
                for (index, bound) in bounds.enumerated() {
                    templates[Family.duration.rawValue].add(head(.duration, "_bucket"), label("le", TextFormat.sampleText(bound)), processPart,
                                                            value: base + buckets + index)
                }
                let total = base + buckets + bounds.count
                templates[Family.duration.rawValue].add(head(.duration, "_bucket"), label("le", "+Inf"), processPart, value: total)
                templates[Family.duration.rawValue].add(head(.duration, "_sum"), [], processPart, value: ~position)
                templates[Family.duration.rawValue].add(head(.duration, "_count"), [], processPart, value: total)
            }
            for reason in group.reasons {
                templates[Family.handshake.rawValue].add(head(.handshake), label("reason", reason.name), processPart, value: reason.value, shown: reason.shown)
            }
            templates[Family.received.rawValue].add(head(.received), [], processPart, value: base + received)
            templates[Family.sent.rawValue].add(head(.sent), [], processPart, value: base + sent)
            templates[Family.bytesReceived.rawValue].add(head(.bytesReceived), [], processPart, value: base + bytesReceived)
            templates[Family.bytesSent.rawValue].add(head(.bytesSent), [], processPart, value: base + bytesSent)
            for (index, reason) in ["would_block", "unroutable", "error"].enumerated() {
                templates[Family.sendFailures.rawValue].add(head(.sendFailures), label("reason", reason), processPart, value: base + sendFailures + index)
            }
        }
        for index in templates.indices { templates[index].finish() }
        return templates
    }
}
