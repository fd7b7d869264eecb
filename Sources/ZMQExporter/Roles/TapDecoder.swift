import Glibc
import Synchronization

/// What a tap does with each message's body: count it under its labels, decode JSON, observe
/// its age. Independent of sockets so it can be tested and fuzzed on bytes.
public final class TapDecoder: @unchecked Sendable {
    // Used by the tap's thread only (and tests); the counters it writes are thread-safe. Being
    // one thread's, its per-message state skips Swift's run-time exclusivity checks (several
    // per message, a measurable share of a JSON tap's time: BENCHMARKS.md).
    let config: TapConfig
    let socketLabel: String
    let metrics: Metrics
    let owner: MetricOwner
    private let scanner: JSONFieldScanner
    @exclusivity(unchecked) private var slots: [JSONFieldScanner.Slot] = []
    /// Per label, the values seen so far (bytes and text), at most max_label_values.
    @exclusivity(unchecked) private var known: [[(bytes: [UInt8], text: String)]]
    /// Counters by label combination: the values' indices in `known` in mixed radix. Indexed
    /// directly when the combinations are few (no hashing per message), else by a dictionary.
    @exclusivity(unchecked) private var table: [Counter?]
    @exclusivity(unchecked) private var counters: [Int: Counter] = [:]
    /// Label combinations with a counter of their own so far, at most `max_series`.
    @exclusivity(unchecked) private var seriesMade = 0
    /// Label combinations up to this many are looked up in ``table``.
    static let tableLimit = 1 << 16
    private let unlabeled: Counter?
    public let decodeErrors: Counter
    public let labelValuesDropped: Counter
    public let messageAge: Histogram?

    /// Message ages at or beyond this many seconds are not observed.
    public static let maxPlausibleAge: Double = 86_400

    public static let overflowValue = "__overflow__"
    /// Longer label values are cut to this many bytes, so one message cannot make a huge series.
    public static let maxLabelValueBytes = 128

    public init(config: TapConfig, socketLabel: String, metrics: Metrics, owner: MetricOwner, buckets: [Double]) {
        self.config = config
        self.socketLabel = socketLabel
        self.metrics = metrics
        self.owner = owner
        var fields = config.labels.map(\.field)
        if let ts = config.timestamp { fields.append(ts.field) }
        scanner = JSONFieldScanner(fields: fields)
        known = Array(repeating: [], count: config.labels.count)
        var combinations = 1
        for _ in config.labels where combinations <= Self.tableLimit {
            combinations = combinations.multipliedReportingOverflow(by: config.maxLabelValues + 1).partialValue
        }
        table = config.labels.isEmpty || combinations > Self.tableLimit ? [] : Array(repeating: nil, count: combinations)
        let l = [("socket", socketLabel)]
        unlabeled = config.labels.isEmpty ? metrics.counter(MetricCatalog.tapMessages, l, owner: owner) : nil
        decodeErrors = metrics.counter(MetricCatalog.tapDecodeErrors, l, owner: owner)
        labelValuesDropped = metrics.counter(MetricCatalog.tapLabelValuesDropped, l, owner: owner)
        messageAge = config.timestamp == nil ? nil : metrics.histogram(MetricCatalog.tapMessageAge, l, buckets: buckets, owner: owner)
    }

    /// Whether messages must be looked at one by one; otherwise ``observe(count:)`` suffices.
    public var inspectsMessages: Bool { config.decodeJSON }

    /// Accounts for `count` messages that need no decoding, in one atomic add.
    public func observe(count: Int) {
        guard count > 0 else { return }
        unlabeled?.increment(by: Int64(count))
    }

    /// Accounts for one message whose body (last frame) is `body`; `now` is Unix time in seconds.
    public func observe(body: UnsafeRawBufferPointer, now: Double) {
        if let unlabeled, !config.decodeJSON {
            unlabeled.increment()
            return
        }
        do {
            try scanner.scan(body, into: &slots)
        } catch {
            decodeErrors.increment()
            // The message still counts, under empty labels, whatever the label limit.
            undecodedCounter.increment()
            return
        }
        var dropped = false
        let key = labelKey(body: body, dropped: &dropped)
        let counter = counter(forKey: key, dropped: &dropped)
        if dropped { labelValuesDropped.increment() }
        counter.increment()
        if let ts = config.timestamp, let messageAge, let sent = Self.number(slots[config.labels.count], in: body), sent > 0 {
            // A clock slightly ahead of ours gives a small negative age: count it as zero. An age
            // beyond a day is a wrong unit or a bogus field; one such value would swamp the sum.
            let age = now - sent * ts.unit.scale
            if age.isFinite && age < Self.maxPlausibleAge { messageAge.record(max(0, age)) }
        }
    }

    /// The combination key of the labels' values in `slots`, learning new values up to the limit.
    private func labelKey(body: UnsafeRawBufferPointer, dropped: inout Bool) -> Int {
        var key = 0
        let radix = config.maxLabelValues + 1
        for index in config.labels.indices {
            key = key * radix + valueIndex(label: index, slot: slots[index], body: body, dropped: &dropped)
        }
        return key
    }

    /// The index of the slot's value among the label's known values; `maxLabelValues` stands
    /// for `__overflow__`.
    private func valueIndex(label: Int, slot: JSONFieldScanner.Slot, body: UnsafeRawBufferPointer, dropped: inout Bool) -> Int {
        let bytes: UnsafeRawBufferPointer
        var owned: [UInt8] = []
        switch slot {
        case .string(let range, false), .number(let range):
            bytes = UnsafeRawBufferPointer(rebasing: body[range.prefix(Self.maxLabelValueBytes)])
        case .string, .bool:
            // Escaped strings and booleans are rare: compare their rendered text instead.
            owned = Array(Self.labelText(JSONFieldScanner.value(of: slot, in: body)).utf8)
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        case .missing, .null, .composite:
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        let found = owned.withUnsafeBytes { ownedBytes -> Int? in
            let view = owned.isEmpty ? bytes : ownedBytes
            for (i, value) in known[label].enumerated() where value.bytes.count == view.count {
                if view.count == 0 || value.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, view.baseAddress!, view.count) == 0 }) {
                    return i
                }
            }
            guard known[label].count < config.maxLabelValues else { return nil }
            let copy = Array(view)
            known[label].append((copy, String(decoding: copy, as: UTF8.self)))
            return known[label].count - 1
        }
        if let found { return found }
        dropped = true
        return config.maxLabelValues
    }

    /// Where messages that are not JSON count: every configured label empty.
    private lazy var undecodedCounter: Counter = unlabeled ?? metrics.counter(
        MetricCatalog.tapMessages, [("socket", socketLabel)] + config.labels.map { ($0.label, "") }, owner: owner)

    /// The key of the combination with `__overflow__` for every label.
    private var overflowKey: Int {
        config.labels.indices.reduce(0) { key, _ in key * (config.maxLabelValues + 1) + config.maxLabelValues }
    }

    /// The counter of a label combination. Past `max_series` combinations, a new one counts
    /// under `__overflow__` for every label (and `dropped` is set): per-label limits alone would
    /// let three labels of 100 values make a million series.
    private func counter(forKey key: Int, dropped: inout Bool) -> Counter {
        if let unlabeled { return unlabeled }
        if key < table.count, let counter = table[key] { return counter }
        if table.isEmpty, let counter = counters[key] { return counter }
        let overflow = overflowKey
        if key != overflow && seriesMade >= config.maxSeries {
            dropped = true
            return counter(forKey: overflow, dropped: &dropped)
        }
        if key != overflow { seriesMade += 1 }
        var labels: [(String, String)] = []
        var rest = key
        let radix = config.maxLabelValues + 1
        for index in config.labels.indices.reversed() {
            let valueIndex = rest % radix
            rest /= radix
            let text = valueIndex < known[index].count ? known[index][valueIndex].text : Self.overflowValue
            labels.insert((config.labels[index].label, text), at: 0)
        }
        let counter = metrics.counter(MetricCatalog.tapMessages, [("socket", socketLabel)] + labels, owner: owner)
        if key < table.count { table[key] = counter } else { counters[key] = counter }
        return counter
    }

    /// A timestamp field's value: a JSON number, or a string holding one.
    static func number(_ slot: JSONFieldScanner.Slot, in body: UnsafeRawBufferPointer) -> Double? {
        switch slot {
        case .number(let range):
            return fastNumber(UnsafeRawBufferPointer(rebasing: body[range]))
        case .string(let range, false):
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: body[range]), as: UTF8.self)
            return Double(text)
        default:
            return nil
        }
    }

    /// Digits with an optional fraction, parsed without a String; anything else (exponents,
    /// signs, 16+ digits) goes through Double's own parser.
    static func fastNumber(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var integer: UInt64 = 0
        var digits = 0
        var fraction = 0.0
        var scale = 0.1
        var inFraction = false
        for byte in bytes {
            if byte == UInt8(ascii: "."), !inFraction {
                inFraction = true
                continue
            }
            guard byte >= 0x30 && byte <= 0x39, digits < 16 else {
                return Double(String(decoding: bytes, as: UTF8.self))
            }
            digits += 1
            if inFraction {
                fraction += Double(byte - 0x30) * scale
                scale *= 0.1
            } else {
                integer = integer * 10 + UInt64(byte - 0x30)
            }
        }
        return Double(integer) + fraction
    }

    static func labelText(_ value: JSONFieldScanner.Value?) -> String {
        let text: String
        switch value {
        case .string(let s)?: text = s
        case .number(let t, _)?: text = t
        case .bool(let b)?: text = b ? "true" : "false"
        case .null?, .composite?, nil: text = ""
        }
        if text.utf8.count <= maxLabelValueBytes { return text }
        return String(decoding: text.utf8.prefix(maxLabelValueBytes), as: UTF8.self)
    }
}
