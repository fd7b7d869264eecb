import Glibc

/// A value guarded by a pthread mutex.
///
/// Used instead of Synchronization's `Mutex` for state shared between threads: on Linux that
/// Mutex waits on a futex ThreadSanitizer cannot see, so every contended `withLock` is reported
/// as a "Swift access race" (checked with Swift 6.3.1). TSan intercepts pthread mutexes, so the
/// test suite stays TSan-clean and real races remain visible. The one lock type of the program.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    // Only touched between lock and unlock.
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
