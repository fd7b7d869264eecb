import Posix
import Testing

/// Poll timeouts from durations: rounded up, so a wait never ends just before its deadline.
@Suite struct DurationTests {
    @Test func millisecondsRoundUpAndNeverGoNegative() {
        #expect(Duration.zero.millisecondsRoundedUp == 0)
        #expect(Duration.milliseconds(-5).millisecondsRoundedUp == 0)
        #expect(Duration.nanoseconds(1).millisecondsRoundedUp == 1)
        #expect(Duration.milliseconds(1).millisecondsRoundedUp == 1)
        #expect((Duration.milliseconds(1) + .nanoseconds(1)).millisecondsRoundedUp == 2)
        #expect(Duration.seconds(2).millisecondsRoundedUp == 2000)
        #expect(Duration.seconds(Int64.max).millisecondsRoundedUp == Int.max)
    }
}
