/// Something whose samples are read when `/metrics` is scraped rather than kept in series: the
/// process's /proc figures, the HTTP server's counts, the preload library's files. Its samples
/// join the families of ``MetricCatalog`` beside the registered series, one block per family.
public protocol Collector: AnyObject, Sendable {
    /// Adds this scrape's samples. Called once per scrape, on the scrape's thread.
    func collect(into samples: inout Samples)
}

/// The samples collectors add during one scrape, kept as text per family.
public struct Samples {
    private(set) var byFamily: [String: [UInt8]] = [:]

    public init() {}

    /// A counter or gauge sample.
    public mutating func add(_ family: MetricCatalog.Family, _ labels: [(String, String)], _ value: Double) {
        check(family, labels)
        precondition(family.kind != .histogram, "\(family.name): use addHistogram")
        byFamily[family.name, default: []].append(contentsOf: TextFormat.prefix(family.name, labels))
        byFamily[family.name]!.appendSample(value)
        byFamily[family.name]!.append(UInt8(ascii: "\n"))
    }

    public mutating func add(_ family: MetricCatalog.Family, _ labels: [(String, String)], _ value: Int64) {
        check(family, labels)
        precondition(family.kind != .histogram, "\(family.name): use addHistogram")
        byFamily[family.name, default: []].append(contentsOf: TextFormat.prefix(family.name, labels))
        byFamily[family.name]!.appendDecimal(value)
        byFamily[family.name]!.append(UInt8(ascii: "\n"))
    }

    /// A histogram sample: `counts` per bucket (not cumulative; one more than `bounds`, the
    /// last above every bound) and the sum of the observations.
    public mutating func addHistogram(_ family: MetricCatalog.Family, _ labels: [(String, String)], bounds: [Double], counts: [Int64], sum: Double) {
        check(family, labels)
        precondition(family.kind == .histogram && counts.count == bounds.count + 1, "\(family.name): a histogram with one count per bucket")
        let prefixes = TextFormat.histogramPrefixes(family.name, labels, bounds: bounds)
        var out = byFamily[family.name] ?? []
        var cumulative: Int64 = 0
        for (index, count) in counts.enumerated() {
            cumulative += count
            out.append(contentsOf: prefixes[index])
            out.appendDecimal(cumulative)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: prefixes[counts.count])
        out.appendSample(sum)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: prefixes[counts.count + 1])
        out.appendDecimal(cumulative)
        out.append(UInt8(ascii: "\n"))
        byFamily[family.name] = out
    }

    private func check(_ family: MetricCatalog.Family, _ labels: [(String, String)]) {
        precondition(MetricCatalog.position[family.name] != nil, "\(family.name) is not in MetricCatalog.all")
        precondition(family.accepts(labelNames: labels.map(\.0)), "\(family.name) takes labels \(family.labels), not \(labels.map(\.0))")
    }
}
