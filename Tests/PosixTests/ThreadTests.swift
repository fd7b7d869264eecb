import Glibc
import Posix
import Synchronization
import Testing

/// The one thread trampoline: names that fit the kernel's 15 bytes, joins, detached threads,
/// sleeps, and the latch and lock built on pthreads.
@Suite struct ThreadTests {
    @Test func kernelNamesAreCutByBytesAtCharacterBoundaries() {
        #expect(Thread.kernelName("zmq-short") == "zmq-short")
        #expect(Thread.kernelName("zmq-a-very-long-socket-name") == "zmq-a-very-long")
        #expect(Thread.kernelName("zmq-ééééééééé") == "zmq-ééééé")
        #expect(Thread.kernelName("zmq-ééééééééé").utf8.count == 14)
        #expect(Thread.kernelName("日本語のソケット名") == "日本語のソ")
    }

    /// A long non-ASCII name used to be cut by characters and left the thread unnamed (ERANGE).
    @Test(arguments: ["zmq-a-very-long-socket-name", "zmq-ééééééééé", "日本語のソケット名", "short"])
    func threadsCarryTheirNames(name: String) throws {
        let seen = Locked<String?>(nil)
        let thread = try Thread(name: name) { seen.withLock { $0 = Thread.currentName } }
        thread.join()
        #expect(seen.withLock { $0 } == Thread.kernelName(name))
    }

    @Test func detachedThreadsRunAndJoinIsANoOp() throws {
        let latch = Latch()
        let thread = try Thread(name: "detached", detached: true) { latch.open() }
        #expect(latch.wait(timeout: .seconds(5)))
        thread.join()
    }

    @Test func latchOpensOnceAndTimesOut() throws {
        let latch = Latch()
        let start = ContinuousClock.now
        #expect(!latch.wait(timeout: .milliseconds(50)))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        try Thread.detach(name: "latch-test") {
            Thread.sleep(.milliseconds(20))
            latch.open()
        }
        #expect(latch.wait(timeout: .seconds(5)))
        #expect(latch.wait(timeout: .zero))
    }

    @Test func lockedSerialisesWriters() throws {
        let total = Locked(0)
        let threads = try (0..<4).map { _ in
            try Thread(name: "adder") { for _ in 0..<10_000 { total.withLock { $0 += 1 } } }
        }
        for thread in threads { thread.join() }
        #expect(total.withLock { $0 } == 40_000)
    }

    @Test func sleepLastsAtLeastItsDuration() {
        let start = ContinuousClock.now
        Thread.sleep(.milliseconds(30))
        #expect(ContinuousClock.now - start >= .milliseconds(30))
        Thread.sleep(.zero)
        Thread.sleep(.milliseconds(-5))
    }

    @Test func systemErrorsSayTheCallAndReason() {
        let error = SystemError(function: "bind", errno: EADDRINUSE)
        #expect(error.description == "bind: Address already in use (errno 98)")
    }
}
