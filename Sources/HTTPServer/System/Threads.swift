import CLinuxIO
import Glibc

/// A pthread that can be joined, for the event loop (its stop waits for the loop to return).
final class JoinableThread: @unchecked Sendable {
    // Written once in init before any other thread sees the object.
    private var handle = pthread_t()
    private var joined = false

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    init(name: String, detached: Bool = false, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError(function: "pthread_create", errno: rc)
        }
        _ = pthread_setname_np(handle, String(name.prefix(15)))
        if detached {
            pthread_detach(handle)
            joined = true
        }
    }

    /// Waits for the thread to return; only one thread may call this, once.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }
}

/// A mutex with a condition variable, for worker threads that sleep until a job arrives.
/// (Synchronization's Mutex has no condition variable to wait on.)
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Atomically unlocks, sleeps until signalled, relocks. Callers re-check their condition.
    func wait() { pthread_cond_wait(condition, mutex) }
    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }
}
