import Glibc
import HTTPServer

/// Starts a detached pthread running `body`: the agent's and the demo's long-lived threads, each
/// named for `top -H` and /proc.
/// - Parameter stackSize: bytes of stack, or nil for the system's default.
func startThread(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
    let threadName = threadName(name)
    let box = Unmanaged.passRetained(Box {
        nameCurrentThread(threadName)
        body()
    }).toOpaque()
    var handle = pthread_t()
    let rc = pthread_create(&handle, &attributes, { argument in
        Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
        return nil
    }, box)
    guard rc == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        throw SystemError(function: "pthread_create", errno: rc)
    }
}

/// Names the calling thread through /proc: pthread_setname_np is a GNU extension that Swift's
/// Glibc module leaves out. Best effort; a thread without a name works the same.
private func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    var name = name
    _ = name.withUTF8 { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

/// `name` cut to the 15 bytes the kernel keeps of a thread name, at a character boundary.
func threadName(_ name: String) -> String {
    var name = Substring(name)
    while name.utf8.count > 15 { name = name.dropLast() }
    return String(name)
}

/// Sleeps the calling thread for `duration`, sleeping again for what is left after a signal.
func sleepThread(_ duration: Duration) {
    guard duration > .zero else { return }
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR {
        request = remaining
    }
}

/// Opened once, by a thread that finished its work; other threads wait for it with a deadline.
// @unchecked Sendable: `isOpen` is only read and written with `mutex` held.
final class Latch: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var isOpen = false

    init() {
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

    func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until the latch is open or `timeout` has passed; returns whether it is open.
    func wait(timeout: Duration) -> Bool {
        var deadline = Self.monotonicDeadline(after: timeout)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !isOpen {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        return isOpen
    }

    private static func monotonicDeadline(after timeout: Duration) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let (seconds, attoseconds) = max(timeout, .zero).components
        // A cap far beyond any wait here keeps the sum from overflowing.
        var deadline = timespec(tv_sec: now.tv_sec + Int(min(seconds, Int64(Int32.max))), tv_nsec: now.tv_nsec + Int(attoseconds / 1_000_000_000))
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        return deadline
    }
}
