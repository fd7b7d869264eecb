/// Matches replies to requests through a ROUTER/DEALER proxy by routing envelope, and evicts
/// requests never answered, so memory stays bounded (``ProxyConfig/maxInFlight``).
struct RequestTracker {
    private var started: [[UInt8]: [Double]] = [:]
    /// Insertion order for eviction: (envelope, start time).
    private var order: [(key: [UInt8], time: Double)] = []
    private var orderHead = 0
    private(set) var inFlight = 0
    let timeout: Double
    let capacity: Int

    init(timeout: Double, capacity: Int) {
        self.timeout = timeout
        self.capacity = capacity
    }

    /// A request with routing envelope `key` entered the frontend at `now`.
    /// Returns how many requests were evicted to stay within capacity.
    mutating func request(_ key: [UInt8], now: Double) -> Int {
        started[key, default: []].append(now)
        order.append((key, now))
        inFlight += 1
        var evicted = 0
        while inFlight > capacity, evictOldest() { evicted += 1 }
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

    /// Evicts requests older than the timeout; returns how many.
    mutating func evictExpired(now: Double) -> Int {
        var evicted = 0
        while orderHead < order.count, now - order[orderHead].time >= timeout {
            if evictOldest() { evicted += 1 }
        }
        compactIfNeeded()
        return evicted
    }

    /// Drops the oldest entry of `order`; true when it was still unanswered.
    private mutating func evictOldest() -> Bool {
        while orderHead < order.count {
            let (key, time) = order[orderHead]
            orderHead += 1
            // Stale entries (already answered) are skipped: the earliest start of the key is
            // the one this entry records only if it is still pending.
            if var times = started[key], let index = times.firstIndex(of: time) {
                times.remove(at: index)
                if times.isEmpty { started.removeValue(forKey: key) } else { started[key] = times }
                inFlight -= 1
                return true
            }
        }
        return false
    }

    private mutating func compactIfNeeded() {
        if orderHead > 1024 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        if inFlight == 0 && orderHead == order.count {
            order.removeAll(keepingCapacity: true)
            orderHead = 0
        }
    }
}
