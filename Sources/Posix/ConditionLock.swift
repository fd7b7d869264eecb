import Glibc

/// A pthread mutex with a condition variable, for threads that sleep until work arrives or a
/// deadline passes. pthread primitives throughout, because ThreadSanitizer models them (see
/// ``Locked``).
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        // Deadlines on the monotonic clock, so setting the time neither cuts nor stretches a wait.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    /// Atomically unlocks, sleeps until signalled, relocks. Callers re-check their condition.
    public func wait() { pthread_cond_wait(condition, mutex) }
    /// ``wait()`` until `deadline` (from ``Monotonic/deadline(after:)``); false when it passed.
    public func wait(until deadline: timespec) -> Bool {
        var deadline = deadline
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }
    public func signal() { pthread_cond_signal(condition) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// Opened once, by a thread that finished its work; other threads wait for it with a deadline.
public final class Latch: @unchecked Sendable {
    private let lock = ConditionLock()
    // Only read and written with `lock` held.
    private var isOpen = false

    public init() {}

    public func open() {
        lock.lock()
        isOpen = true
        lock.broadcast()
        lock.unlock()
    }

    /// Waits until the latch is open or `timeout` has passed; returns whether it is open.
    public func wait(timeout: Duration) -> Bool {
        let deadline = Monotonic.deadline(after: timeout)
        lock.lock()
        defer { lock.unlock() }
        while !isOpen {
            if !lock.wait(until: deadline) { break }
        }
        return isOpen
    }
}
