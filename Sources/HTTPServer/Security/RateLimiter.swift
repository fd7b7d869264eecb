/// A token bucket as Go's `rate.NewLimiter(rate.Every(interval), burst)`: starts full with
/// `burst` tokens, gains one every `interval`. Touched by the event loop thread only.
struct TokenBucket {
    let interval: UInt64
    let burst: Double
    private var tokens: Double
    private var last: UInt64

    init(interval: Duration, burst: Int, now: UInt64) {
        self.interval = max(1, interval.nanoseconds)
        self.burst = Double(max(0, burst))
        tokens = self.burst
        last = now
    }

    /// Takes one token if there is one.
    mutating func take(now: UInt64) -> Bool {
        if now > last {
            tokens = min(burst, tokens + Double(now - last) / Double(interval))
            last = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
