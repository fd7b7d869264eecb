import Prometheus
import Synchronization

/// What a tap does with each message's body: count it under its labels, decode JSON, observe
/// its age. Independent of sockets so it can be tested and fuzzed on bytes.
public final class TapDecoder: @unchecked Sendable {
    // Used by the tap's thread only (and tests); the counters it writes are thread-safe.
    let config: TapConfig
    let socketLabel: String
    let metrics: Metrics
    let owner: String
    private let scanner: JSONFieldScanner
    private var seenValues: [Set<String>]
    private var counters: [[String]: Counter] = [:]
    private let unlabeled: Counter?
    public let decodeErrors: Counter
    public let labelValuesDropped: Counter
    public let messageAge: ValueHistogram?

    public static let overflowValue = "__overflow__"
    /// Longer label values are cut to this many bytes, so one message cannot make a huge series.
    public static let maxLabelValueBytes = 128

    public init(config: TapConfig, socketLabel: String, metrics: Metrics, owner: String, buckets: [Double]) {
        self.config = config
        self.socketLabel = socketLabel
        self.metrics = metrics
        self.owner = owner
        var fields = config.labels.map(\.field)
        if let ts = config.timestamp { fields.append(ts.field) }
        scanner = JSONFieldScanner(fields: fields)
        seenValues = Array(repeating: [], count: config.labels.count)
        let l = [("socket", socketLabel)]
        unlabeled = config.labels.isEmpty ? metrics.counter(MetricCatalog.tapMessages, l, owner: owner) : nil
        decodeErrors = metrics.counter(MetricCatalog.tapDecodeErrors, l, owner: owner)
        labelValuesDropped = metrics.counter(MetricCatalog.tapLabelValuesDropped, l, owner: owner)
        messageAge = config.timestamp == nil ? nil : metrics.histogram(MetricCatalog.tapMessageAge, l, buckets: buckets, owner: owner)
    }

    /// Accounts for one message whose body (last frame) is `body`; `now` is Unix time in seconds.
    public func observe(body: UnsafeRawBufferPointer, now: Double) {
        if let unlabeled, !config.decodeJSON {
            unlabeled.increment()
            return
        }
        let values: [JSONFieldScanner.Value?]
        do {
            values = try scanner.scan(body)
        } catch {
            decodeErrors.increment()
            // The message still counts, under empty labels.
            counter(for: config.labels.map { _ in "" }).increment()
            return
        }
        var labelValues: [String] = []
        labelValues.reserveCapacity(config.labels.count)
        var dropped = false
        for index in config.labels.indices {
            var text = Self.labelText(values[index])
            if !seenValues[index].contains(text) {
                if seenValues[index].count < config.maxLabelValues {
                    seenValues[index].insert(text)
                } else {
                    text = Self.overflowValue
                    dropped = true
                }
            }
            labelValues.append(text)
        }
        if dropped { labelValuesDropped.increment() }
        counter(for: labelValues).increment()
        if let ts = config.timestamp, let messageAge, let value = values[config.labels.count] {
            var sent: Double?
            switch value {
            case .number(_, let n): sent = n
            case .string(let s): sent = Double(s)
            default: sent = nil
            }
            if let sent, sent.isFinite {
                // A clock slightly ahead of ours gives a small negative age: count it as zero.
                messageAge.record(max(0, now - sent * ts.unit.scale))
            }
        }
    }

    private func counter(for labelValues: [String]) -> Counter {
        if let unlabeled { return unlabeled }
        if let counter = counters[labelValues] { return counter }
        var labels = [("socket", socketLabel)]
        for (index, label) in config.labels.enumerated() { labels.append((label.label, labelValues[index])) }
        let counter = metrics.counter(MetricCatalog.tapMessages, labels, owner: owner)
        counters[labelValues] = counter
        return counter
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
