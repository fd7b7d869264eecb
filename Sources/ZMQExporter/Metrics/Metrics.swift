import Posix

/// Who registered a series: a running socket, or its info. ``Metrics/remove(owner:)`` drops the
/// series that no other owner holds, so a socket restarted by a reload can keep what its new
/// runner registers again and lose the rest.
public final class MetricOwner: Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
}

/// The agent's metric registry: series made through ``MetricCatalog`` families only (each
/// registration checked against the family's type, labels and buckets), grouped by owner for
/// removal, and collectors that add samples read at scrape time to the same families.
public final class Metrics: Sendable {
    private let state = Locked(State())

    enum Series {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)

        func emit(into out: inout [UInt8]) {
            switch self {
            case .counter(let counter): counter.emit(into: &out)
            case .gauge(let gauge): gauge.emit(into: &out)
            case .histogram(let histogram): histogram.emit(into: &out)
            }
        }
    }

    /// A series' identity: its family and its labels.
    struct Key: Hashable {
        let family: String
        let labels: String

        init(_ family: MetricCatalog.Family, _ labels: [(String, String)]) {
            self.family = family.name
            var text = ""
            for (name, value) in labels {
                text += name
                text += "\u{0}"
                text += value
                text += "\u{0}"
            }
            self.labels = text
        }
    }

    /// One family's series in registration order.
    /// Changed in place only (through the `families` subscript): a copy taken out and stored
    /// back would copy its arrays on every registration, making a start with N sockets O(N²).
    struct FamilySeries {
        var list: [Series] = []
        var index: [String: Int] = [:]
        var labels: [[(String, String)]] = []

        /// The series under `key`: the registered one when `matches` accepts it, else `make()`'s,
        /// which takes its place.
        mutating func series(_ key: String, _ labelPairs: [(String, String)], matches: (Series) -> Bool, make: () -> Series) -> Series {
            if let at = index[key] {
                if matches(list[at]) { return list[at] }
                let series = make()
                list[at] = series
                return series
            }
            let series = make()
            index[key] = list.count
            list.append(series)
            labels.append(labelPairs)
            return series
        }

        mutating func remove(_ key: String) {
            guard let at = index.removeValue(forKey: key) else { return }
            list.remove(at: at)
            labels.remove(at: at)
            for (other, position) in index where position > at { index[other] = position - 1 }
        }
    }

    struct State {
        var families: [String: FamilySeries] = [:]
        /// How many owners hold each owned series; series made without an owner stay for good.
        var holders: [Key: Int] = [:]
        var owned: [ObjectIdentifier: Set<Key>] = [:]
        var collectors: [any Collector] = []
    }

    public init() {}

    /// A counter (at 0 if new) with `labels` in the family's order.
    public func counter(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: MetricOwner? = nil) -> Counter {
        precondition(family.kind == .counter, "\(family.name) is a \(family.kind.rawValue), not a counter")
        let series = register(family, labels, owner: owner, matches: { if case .counter = $0 { true } else { false } }) {
            .counter(Counter(prefix: TextFormat.prefix(family.name, labels)))
        }
        guard case .counter(let counter) = series else { preconditionFailure() }
        return counter
    }

    public func gauge(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: MetricOwner? = nil) -> Gauge {
        precondition(family.kind == .gauge, "\(family.name) is a \(family.kind.rawValue), not a gauge")
        let series = register(family, labels, owner: owner, matches: { if case .gauge = $0 { true } else { false } }) {
            .gauge(Gauge(prefix: TextFormat.prefix(family.name, labels)))
        }
        guard case .gauge(let gauge) = series else { preconditionFailure() }
        return gauge
    }

    /// A histogram of the family's buckets: its fixed ones, or `buckets` (the socket's setting)
    /// for a family with configured buckets. A series registered again with other buckets is
    /// replaced by a new, empty one.
    public func histogram(_ family: MetricCatalog.Family, _ labels: [(String, String)], buckets: [Double]? = nil, owner: MetricOwner? = nil) -> Histogram {
        let bounds: [Double]
        switch family.buckets {
        case .none:
            preconditionFailure("\(family.name) is a \(family.kind.rawValue), not a histogram")
        case .fixed(let fixed):
            precondition(buckets == nil || buckets == fixed, "\(family.name) has fixed buckets")
            bounds = fixed
        case .configured:
            bounds = buckets ?? SocketConfig.defaultBuckets
        }
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "\(family.name): bounds must increase")
        let series = register(family, labels, owner: owner, matches: { if case .histogram(let h) = $0 { h.bounds == bounds } else { false } }) {
            .histogram(Histogram(bounds: bounds, prefixes: TextFormat.histogramPrefixes(family.name, labels, bounds: bounds)))
        }
        guard case .histogram(let histogram) = series else { preconditionFailure() }
        return histogram
    }

    /// The series of `family` with `labels`: the registered one when `matches` accepts it, else
    /// `make()`'s, which takes its place.
    private func register(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: MetricOwner?,
                          matches: (Series) -> Bool, make: () -> Series) -> Series {
        precondition(MetricCatalog.position[family.name] != nil, "\(family.name) is not in MetricCatalog.all")
        precondition(family.accepts(labelNames: labels.map(\.0)), "\(family.name) takes labels \(family.labels), not \(labels.map(\.0))")
        let key = Key(family, labels)
        return state.withLock { state in
            let series = state.families[family.name, default: FamilySeries()].series(key.labels, labels, matches: matches, make: make)
            if let owner, state.owned[ObjectIdentifier(owner), default: []].insert(key).inserted {
                state.holders[key, default: 0] += 1
            }
            return series
        }
    }

    /// Drops `owner`'s hold on its series; those that no other owner holds are unregistered.
    public func remove(owner: MetricOwner) {
        state.withLock { state in
            for key in state.owned.removeValue(forKey: ObjectIdentifier(owner)) ?? [] {
                let left = (state.holders[key] ?? 1) - 1
                if left > 0 {
                    state.holders[key] = left
                    continue
                }
                state.holders[key] = nil
                state.families[key.family]?.remove(key.labels)
                if state.families[key.family]?.list.isEmpty == true { state.families[key.family] = nil }
            }
        }
    }

    /// Makes `new` hold every series of `old` that `keep` accepts (family and labels), so they
    /// outlive `remove(owner: old)`.
    public func adopt(from old: MetricOwner, into new: MetricOwner, where keep: (MetricCatalog.Family, [(String, String)]) -> Bool) {
        state.withLock { state in
            for key in state.owned[ObjectIdentifier(old)] ?? [] {
                guard let family = MetricCatalog.byName[key.family], let entry = state.families[key.family],
                      let at = entry.index[key.labels], keep(family, entry.labels[at]) else { continue }
                if state.owned[ObjectIdentifier(new), default: []].insert(key).inserted {
                    state.holders[key, default: 0] += 1
                }
            }
        }
    }

    /// Adds a collector whose samples every scrape merges into their families.
    public func register(_ collector: any Collector) {
        state.withLock { $0.collectors.append(collector) }
    }

    public func unregister(_ collector: any Collector) {
        state.withLock { $0.collectors.removeAll { $0 === collector } }
    }

    /// The label sets registered for `family`, in registration order (for tests and pages).
    public func labelSets(_ family: MetricCatalog.Family) -> [[(String, String)]] {
        state.withLock { $0.families[family.name]?.labels ?? [] }
    }

    /// How many owners hold series, and how many holds they have, for tests that look for leaks.
    var ownership: (owners: Int, holds: Int) {
        state.withLock { state in (state.owned.count, state.owned.values.reduce(0) { $0 + $1.count }) }
    }

    /// What one scrape renders: the registered series of each family in catalog order, and the
    /// collectors to ask.
    func snapshot() -> (families: [(MetricCatalog.Family, [Series])], collectors: [any Collector]) {
        let (families, collectors) = state.withLock { ($0.families, $0.collectors) }
        var ordered: [(MetricCatalog.Family, [Series])] = []
        ordered.reserveCapacity(MetricCatalog.all.count)
        for family in MetricCatalog.all {
            ordered.append((family, families[family.name]?.list ?? []))
        }
        return (ordered, collectors)
    }
}

extension MetricCatalog {
    /// Each family's place in ``all``.
    static let position: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.name, $0) })
    static let byName: [String: Family] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
