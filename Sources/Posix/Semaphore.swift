import Glibc

/// A POSIX counting semaphore: one thread hands work or a result to another and wakes it.
/// `post` and `wait` also order the memory accesses around them (ThreadSanitizer models them).
public final class Semaphore: @unchecked Sendable {
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    public init(_ value: UInt32 = 0) {
        sem_init(semaphore, 0, value)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    public func post() { sem_post(semaphore) }

    /// Waits until the count is above zero and takes one, waiting again after a signal.
    public func wait() {
        while sem_wait(semaphore) != 0 {}  // only EINTR
    }
}
