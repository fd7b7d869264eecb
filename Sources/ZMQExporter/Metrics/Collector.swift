/// Something whose samples are read when `/metrics` is scraped rather than kept in series: the
/// process's /proc figures, the HTTP server's counts, the preload library's files. Its samples
/// join the families of ``MetricCatalog`` beside the registered series, one block per family.
public protocol Collector: AnyObject, Sendable {
    /// Adds this scrape's samples. Called once per scrape, on the scrape's thread.
    func collect(into samples: inout Samples)
}

/// The samples collectors add during one scrape, kept as text per family, or as writers of
/// their text.
public struct Samples {
    private(set) var byFamily: [String: [UInt8]] = [:]
    private(set) var writers: [String: [Writer]] = [:]

    public init() {}

    /// A counter or gauge sample.
    public mutating func add(_ family: MetricCatalog.Family, _ labels: [(String, String)], _ value: Double) {
        append(family, labels) { $0.appendSample(value) }
    }

    public mutating func add(_ family: MetricCatalog.Family, _ labels: [(String, String)], _ value: Int64) {
        append(family, labels) { $0.appendDecimal(value) }
    }

    private mutating func append(_ family: MetricCatalog.Family, _ labels: [(String, String)], value: (inout [UInt8]) -> Void) {
        check(family, labels)
        precondition(family.kind != .histogram, "\(family.name): use addHistogram")
        var out = byFamily.removeValue(forKey: family.name) ?? []
        out.append(contentsOf: TextFormat.prefix(family.name, labels))
        value(&out)
        out.append(UInt8(ascii: "\n"))
        byFamily[family.name] = out
    }

    /// A histogram sample: `counts` per bucket (not cumulative; one more than `bounds`, the
    /// last above every bound) and the sum of the observations.
    public mutating func addHistogram(_ family: MetricCatalog.Family, _ labels: [(String, String)], bounds: [Double], counts: [Int64], sum: Double) {
        check(family, labels)
        precondition(family.kind == .histogram && counts.count == bounds.count + 1, "\(family.name): a histogram with one count per bucket")
        var out = byFamily.removeValue(forKey: family.name) ?? []
        TextFormat.appendHistogram(prefixes: TextFormat.histogramPrefixes(family.name, labels, bounds: bounds), buckets: counts.count,
                                   count: { counts[$0] }, sum: sum, into: &out)
        byFamily[family.name] = out
    }

    /// Adds part `part` of a family's sample lines to `out`, as arrays of text sent one after
    /// another: text kept from an earlier scrape goes out as it is, without a copy.
    public typealias PartWriter = @Sendable (_ part: Int, _ out: inout [[UInt8]]) -> Void

    /// A family's lines written at render time, in `parts` parts that may be written by
    /// different threads and are sent in order.
    struct Writer {
        let parts: Int
        let write: PartWriter
    }

    /// Lines of `family` that `write` adds when the family is rendered, after its other
    /// samples: for collectors of many samples of a few families (the preload files), which so
    /// write them once, straight into the exposition. `write(part, &out)` is called for each
    /// part from 0 on, perhaps on different threads at once; the parts follow one another in
    /// the exposition, so a family of tens of thousands of lines is shared by two threads.
    /// Each line is `name{labels} value\n`, with the family's label names and escaped values;
    /// the caller answers for their form.
    public mutating func appendWriter(_ family: MetricCatalog.Family, parts: Int, _ write: @escaping PartWriter) {
        precondition(MetricCatalog.position[family.name] != nil, "\(family.name) is not in MetricCatalog.all")
        precondition(parts >= 1, "\(family.name): a writer of \(parts) parts")
        writers[family.name, default: []].append(Writer(parts: parts, write: write))
    }

    private func check(_ family: MetricCatalog.Family, _ labels: [(String, String)]) {
        precondition(MetricCatalog.position[family.name] != nil, "\(family.name) is not in MetricCatalog.all")
        precondition(family.accepts(labelNames: labels.map(\.0)), "\(family.name) takes labels \(family.labels), not \(labels.map(\.0))")
    }
}
