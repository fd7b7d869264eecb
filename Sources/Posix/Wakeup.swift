import CLinuxIO
import Glibc

/// An eventfd any thread may signal to wake the loop's `epoll_wait`.
///
/// Signal and close take the same lock, so a worker finishing late can never write into a
/// descriptor number that has been closed and reused for something else.
public final class Wakeup: Sendable {
    private let descriptor: Locked<Int32>
    /// The descriptor to register with epoll; valid until ``close()``.
    public let fd: Int32

    public init() throws(SystemError) {
        fd = try systemCallValue("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        descriptor = Locked(fd)
    }

    deinit {
        assert(descriptor.withLock { $0 } < 0, "eventfd leaked")
    }

    /// Makes the loop's next `epoll_wait` return. Harmless after ``close()``.
    public func signal() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            var one: UInt64 = 1
            // EAGAIN means the counter is already non-zero: the loop will wake anyway.
            _ = Glibc.write(fd, &one, 8)
        }
    }

    /// Resets the counter after a wake-up; called on the loop thread.
    public func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }

    public func close() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            closeDescriptor(fd)
            fd = -1
        }
    }
}
