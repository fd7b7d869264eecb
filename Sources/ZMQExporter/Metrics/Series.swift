import Synchronization

/// A monotonically increasing integer: one relaxed atomic add per increment, no lock.
public final class Counter: Sendable {
    let prefix: [UInt8]
    private let value = Atomic<Int64>(0)

    init(prefix: [UInt8]) { self.prefix = prefix }

    @inline(__always)
    public func increment(by amount: Int64 = 1) {
        value.wrappingAdd(amount, ordering: .relaxed)
    }

    public var current: Int64 { value.load(ordering: .relaxed) }

    func emit(into out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        out.appendDecimal(value.load(ordering: .relaxed))
        out.append(UInt8(ascii: "\n"))
    }
}

/// A value that goes up and down: a Double's bits in one atomic word.
public final class Gauge: Sendable {
    let prefix: [UInt8]
    private let bits = Atomic<UInt64>(0)

    init(prefix: [UInt8]) { self.prefix = prefix }

    public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    public func set(_ value: Int64) { set(Double(value)) }
    public func set(_ value: Int) { set(Double(value)) }

    public var current: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    func emit(into out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        out.appendSample(current)
        out.append(UInt8(ascii: "\n"))
    }
}

/// Observations counted in buckets by upper bound, with their sum: lock-free, one atomic add
/// for the bucket and a compare-exchange loop for the sum. The `+Inf` bucket and `_count` are
/// both the sum of the bucket counts read at render, so they always agree.
public final class Histogram: @unchecked Sendable {
    public let bounds: [Double]
    /// `name_bucket{labels,le="b"} ` per bound, then the `+Inf` line's, `_sum`'s and `_count`'s.
    let prefixes: [[UInt8]]
    /// Per bucket (not cumulative); the last is above every bound. One allocation for all of
    /// them (an object per bucket cost 13 allocations a socket), written only atomically.
    private let counts: UnsafeMutablePointer<Atomic<Int64>>
    private let buckets: Int
    private let sumBits = Atomic<UInt64>(0)

    init(bounds: [Double], prefixes: [[UInt8]]) {
        self.bounds = bounds
        self.prefixes = prefixes
        buckets = bounds.count + 1
        counts = .allocate(capacity: buckets)
        for index in 0..<buckets { (counts + index).initialize(to: Atomic(0)) }
    }

    deinit {
        counts.deinitialize(count: buckets)
        counts.deallocate()
    }

    public func record(_ value: Double) {
        // Bounds are few (about 17): a linear scan beats a binary search's branches.
        var index = 0
        while index < bounds.count && value > bounds[index] { index += 1 }
        counts[index].wrappingAdd(1, ordering: .relaxed)
        var old = sumBits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + value).bitPattern
            let (exchanged, original) = sumBits.compareExchange(expected: old, desired: new, ordering: .relaxed)
            if exchanged { break }
            old = original
        }
    }

    /// Observations so far.
    public var count: Int64 { (0..<buckets).reduce(0) { $0 + counts[$1].load(ordering: .relaxed) } }
    public var sum: Double { Double(bitPattern: sumBits.load(ordering: .relaxed)) }

    func emit(into out: inout [UInt8]) {
        TextFormat.appendHistogram(prefixes: prefixes, buckets: buckets, count: { counts[$0].load(ordering: .relaxed) },
                                   sum: sum, into: &out)
    }
}
