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

        /// The text that names the series in its family: its line's `name{labels} ` (for a
        /// histogram, its `_count` line's). Kept by the series anyway, so the registry's index
        /// and owners share its storage instead of keeping label keys of their own.
        var identity: [UInt8] {
            switch self {
            case .counter(let counter): counter.prefix
            case .gauge(let gauge): gauge.prefix
            case .histogram(let histogram): histogram.prefixes[histogram.prefixes.count - 1]
            }
        }
    }

    /// A series' place: its family's position in ``MetricCatalog/all`` and its identity.
    struct Key: Hashable {
        let family: Int
        let identity: [UInt8]
    }

    /// One family's series in registration order, with how many owners hold each.
    /// Changed in place only (through ``State/families``): a copy taken out and stored back
    /// would copy its arrays on every registration, making a start with N sockets O(N²).
    struct FamilySeries {
        var list: [Series] = []
        /// Owners holding each series. One made without an owner stays at 0, and is never
        /// removed, until an owner holds it.
        var holds: [Int32] = []
        /// The owner that took a hold last, while it still holds the series: answers "does this
        /// owner hold it already?" without searching the owner's list, as when a tap's new
        /// decoder meets again each label combination it adopted on reload.
        var lastHolder: [ObjectIdentifier?] = []
        var index: [[UInt8]: Int] = [:]

        /// The series named `identity`: the registered one when `matches` accepts it, else
        /// `make()`'s, which takes its place; and its position.
        mutating func series(_ identity: [UInt8], matches: (Series) -> Bool, make: () -> Series) -> (Series, at: Int) {
            if let at = index[identity] {
                if matches(list[at]) { return (list[at], at) }
                let series = make()
                list[at] = series
                return (series, at)
            }
            let series = make()
            assert(series.identity == identity, "a series must be found again by the text it was registered under")
            index[series.identity] = list.count
            list.append(series)
            holds.append(0)
            lastHolder.append(nil)
            return (series, list.count - 1)
        }

        mutating func remove(_ identity: [UInt8]) {
            guard let at = index.removeValue(forKey: identity) else { return }
            list.remove(at: at)
            holds.remove(at: at)
            lastHolder.remove(at: at)
            for (other, position) in index where position > at { index[other] = position - 1 }
        }
    }

    struct State {
        /// By position in ``MetricCatalog/all``.
        var families = [FamilySeries](repeating: FamilySeries(), count: MetricCatalog.all.count)
        /// The series each owner holds, each once.
        var owned: [ObjectIdentifier: [Key]] = [:]
        var collectors: [any Collector] = []

        /// Adds `owner`'s hold on the series at `at` of `key`'s family unless it has one.
        mutating func hold(_ key: Key, at: Int, by owner: ObjectIdentifier) {
            // Read in place: a copy of the family would make the writes below copy its arrays.
            if families[key.family].holds[at] > 0 {
                if families[key.family].lastHolder[at] == owner { return }
                // Held by others, or by this owner among others: rare, so a search is fine.
                if owned[owner]?.contains(key) == true { return }
            }
            owned[owner, default: []].append(key)
            families[key.family].holds[at] += 1
            families[key.family].lastHolder[at] = owner
        }
    }

    public init() {}

    /// A counter (at 0 if new) with `labels` in the family's order.
    public func counter(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: MetricOwner? = nil) -> Counter {
        precondition(family.kind == .counter, "\(family.name) is a \(family.kind.rawValue), not a counter")
        let prefix = TextFormat.prefix(family.name, labels)
        let series = register(family, labels, identity: prefix, owner: owner, matches: { if case .counter = $0 { true } else { false } }) {
            .counter(Counter(prefix: prefix))
        }
        guard case .counter(let counter) = series else { preconditionFailure() }
        return counter
    }

    public func gauge(_ family: MetricCatalog.Family, _ labels: [(String, String)], owner: MetricOwner? = nil) -> Gauge {
        precondition(family.kind == .gauge, "\(family.name) is a \(family.kind.rawValue), not a gauge")
        let prefix = TextFormat.prefix(family.name, labels)
        let series = register(family, labels, identity: prefix, owner: owner, matches: { if case .gauge = $0 { true } else { false } }) {
            .gauge(Gauge(prefix: prefix))
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
        let identity = TextFormat.prefix(family.name + "_count", labels)
        let series = register(family, labels, identity: identity, owner: owner, matches: { if case .histogram(let h) = $0 { h.bounds == bounds } else { false } }) {
            .histogram(Histogram(bounds: bounds, prefixes: TextFormat.histogramPrefixes(family.name, labels, bounds: bounds)))
        }
        guard case .histogram(let histogram) = series else { preconditionFailure() }
        return histogram
    }

    /// The series of `family` with `labels`: the registered one when `matches` accepts it, else
    /// `make()`'s, which takes its place. `identity` is the text that names it (``Series/identity``).
    private func register(_ family: MetricCatalog.Family, _ labels: [(String, String)], identity: [UInt8], owner: MetricOwner?,
                          matches: (Series) -> Bool, make: () -> Series) -> Series {
        guard let position = MetricCatalog.position[family.name] else { preconditionFailure("\(family.name) is not in MetricCatalog.all") }
        precondition(family.accepts(labelNames: labels.map(\.0)), "\(family.name) takes labels \(family.labels), not \(labels.map(\.0))")
        return state.withLock { state in
            let (series, at) = state.families[position].series(identity, matches: matches, make: make)
            if let owner { state.hold(Key(family: position, identity: series.identity), at: at, by: ObjectIdentifier(owner)) }
            return series
        }
    }

    /// Drops `owner`'s hold on its series; those that no other owner holds are unregistered.
    public func remove(owner: MetricOwner) {
        let id = ObjectIdentifier(owner)
        state.withLock { state in
            for key in state.owned.removeValue(forKey: id) ?? [] {
                guard let at = state.families[key.family].index[key.identity] else { continue }
                state.families[key.family].holds[at] -= 1
                if state.families[key.family].holds[at] <= 0 {
                    state.families[key.family].remove(key.identity)
                } else if state.families[key.family].lastHolder[at] == id {
                    // Another object may later get this identifier.
                    state.families[key.family].lastHolder[at] = nil
                }
            }
        }
    }

    /// Makes `new` hold every series of `old` that `keep` accepts (family and labels), so they
    /// outlive `remove(owner: old)`.
    public func adopt(from old: MetricOwner, into new: MetricOwner, where keep: (MetricCatalog.Family, [(String, String)]) -> Bool) {
        state.withLock { state in
            let target = ObjectIdentifier(new)
            // A set for this pass, not a search per key: a tap's decoder can hand over a
            // thousand label combinations.
            var held = Set(state.owned[target] ?? [])
            for key in state.owned[ObjectIdentifier(old)] ?? [] {
                guard let at = state.families[key.family].index[key.identity], !held.contains(key),
                      keep(MetricCatalog.all[key.family], TextFormat.labels(inPrefix: key.identity)) else { continue }
                held.insert(key)
                state.owned[target, default: []].append(key)
                state.families[key.family].holds[at] += 1
                state.families[key.family].lastHolder[at] = target
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
        guard let position = MetricCatalog.position[family.name] else { return [] }
        let identities = state.withLock { $0.families[position].list.map(\.identity) }
        return identities.map { TextFormat.labels(inPrefix: $0) }
    }

    /// How many owners hold series, and how many holds they have, for tests that look for leaks.
    var ownership: (owners: Int, holds: Int) {
        state.withLock { state in
            let holds = state.owned.values.reduce(0) { $0 + $1.count }
            assert(holds == state.families.reduce(0) { $0 + $1.holds.reduce(0) { $0 + Int($1) } }, "holds counted twice")
            return (state.owned.count, holds)
        }
    }

    /// What one scrape renders: the registered series of each family in catalog order, and the
    /// collectors to ask.
    func snapshot() -> (families: [(MetricCatalog.Family, [Series])], collectors: [any Collector]) {
        state.withLock { state in
            (MetricCatalog.all.indices.map { (MetricCatalog.all[$0], state.families[$0].list) }, state.collectors)
        }
    }
}

extension MetricCatalog {
    /// Each family's place in ``all``.
    static let position: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.name, $0) })
}
