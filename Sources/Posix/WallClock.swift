import Glibc

/// Seconds since the Unix epoch on the system clock, for timestamps that people and Prometheus
/// read. Durations use ContinuousClock instead: this clock jumps when the time is set.
public enum WallClock {
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// The UTC calendar fields of `seconds` since the epoch (fractions dropped).
    public static func utcFields(_ seconds: Double) -> tm {
        var whole = time_t(seconds)
        var fields = tm()
        gmtime_r(&whole, &fields)
        return fields
    }

    /// `2025-06-01T12:34:56Z`: ISO 8601 in UTC to the second, as logfmt and JSON log lines show it.
    public static func iso8601(_ seconds: Double) -> String {
        var fields = utcFields(seconds.rounded(.down))
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let length = strftime(buffer.baseAddress!, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &fields)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: length), as: UTF8.self)
        }
    }
}
