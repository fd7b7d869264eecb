import Glibc
import Posix
import Testing

/// A deliberate data race, run only with `ZMQ_EXPORTER_RACE_CANARY=1` (`make test-sanitizers
/// RACE_CANARY=1`): the ThreadSanitizer pass must fail on it, so a green pass cannot be green
/// because the sanitizer saw nothing.
@Suite struct RaceCanaryTests {
    final class Unguarded: @unchecked Sendable {
        var value = 0
    }

    @Test(.enabled(if: getenv("ZMQ_EXPORTER_RACE_CANARY") != nil, "a deliberate race for the sanitizer check"))
    func twoThreadsWriteWithoutALock() throws {
        let shared = Unguarded()
        let threads = try (0..<2).map { index in
            try Thread(name: "racer-\(index)") { for _ in 0..<10_000 { shared.value += 1 } }
        }
        for thread in threads { thread.join() }
        #expect(shared.value > 0)
    }
}
