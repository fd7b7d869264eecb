/// Matches replies to requests through a ROUTER/DEALER proxy by routing envelope, and evicts
/// requests never answered, so memory stays bounded (``ProxyConfig/maxInFlight``).
struct RequestTracker {
    private var started: [[UInt8]: [Double]] = [:]
    /// Insertion order for eviction: (envelope, start time).
    private var order: [(key: [UInt8], time: Double)] = []
    private var orderHead = 0
    private(set) var inFlight = 0
    /// Changed by a reload (``ProxyLoop``): the next request or eviction uses the new values.
    var timeout: Double
    var capacity: Int

    init(timeout: Double, capacity: Int) {
        self.timeout = timeout
        self.capacity = capacity
    }

    /// Entries kept for eviction order (tests check that it stays bounded).
    var queuedEntries: Int { order.count - orderHead }

    private func isPending(_ entry: (key: [UInt8], time: Double)) -> Bool {
        started[entry.key]?.contains(entry.time) ?? false
    }

    /// A request with routing envelope `key` entered the frontend at `now`.
    /// Returns how many requests were evicted to stay within capacity.
    mutating func request(_ key: [UInt8], now: Double) -> Int {
        started[key, default: []].append(now)
        order.append((key, now))
        inFlight += 1
        var evicted = 0
        while inFlight > capacity, evictOldest() { evicted += 1 }
        compactIfNeeded()
        return evicted
    }

    /// A reply with envelope `key` left the frontend at `now`: its request's duration, if known.
    mutating func reply(_ key: [UInt8], now: Double) -> Double? {
        guard var times = started[key], !times.isEmpty else { return nil }
        let start = times.removeFirst()
        if times.isEmpty { started.removeValue(forKey: key) } else { started[key] = times }
        inFlight -= 1
        compactIfNeeded()
        return max(0, now - start)
    }

    /// Evicts requests older than the timeout; returns how many. Only expired entries are looked
    /// at: an answered entry at the head must not make a young pending request go instead.
    mutating func evictExpired(now: Double) -> Int {
        var evicted = 0
        while orderHead < order.count, now - order[orderHead].time >= timeout {
            let (key, time) = order[orderHead]
            orderHead += 1
            if removePending(key, time) { evicted += 1 }
        }
        compactIfNeeded()
        return evicted
    }

    /// Removes the pending start `time` of `key`; false when it was answered already.
    private mutating func removePending(_ key: [UInt8], _ time: Double) -> Bool {
        guard var times = started[key], let index = times.firstIndex(of: time) else { return false }
        times.remove(at: index)
        if times.isEmpty { started.removeValue(forKey: key) } else { started[key] = times }
        inFlight -= 1
        return true
    }

    /// Evicts the oldest pending request (over capacity); true when there was one.
    private mutating func evictOldest() -> Bool {
        while orderHead < order.count {
            let (key, time) = order[orderHead]
            orderHead += 1
            if removePending(key, time) { return true }
        }
        return false
    }

    private mutating func compactIfNeeded() {
        // Answered entries at the head are dead weight.
        while orderHead < order.count, !isPending(order[orderHead]) { orderHead += 1 }
        if orderHead > 1024 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        // Answered entries behind a long-pending one: keep the queue within a bound of the
        // requests really in flight, whatever the rate and timeout.
        if order.count - orderHead > 2 * capacity + 1024 {
            order = order[orderHead...].filter { isPending($0) }
            orderHead = 0
        }
        if inFlight == 0 && orderHead == order.count {
            order.removeAll(keepingCapacity: true)
            orderHead = 0
        }
    }
}
