import CLinuxIO
import Glibc

/// An epoll instance owned by the event loop thread.
public final class Epoll {
    public private(set) var fd: Int32
    private var events: UnsafeMutableBufferPointer<epoll_event>

    public static let readable = EPOLLIN.rawValue
    public static let writable = EPOLLOUT.rawValue
    public static let peerClosed = EPOLLRDHUP.rawValue
    public static let hangUp = EPOLLHUP.rawValue
    public static let error = EPOLLERR.rawValue
    public static let edgeTriggered = EPOLLET.rawValue

    public init(maxEvents: Int = 256) throws(SystemError) {
        fd = try systemCallValue("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        events = .allocate(capacity: maxEvents)
    }

    /// An epoll instance with a new ``Wakeup`` registered under `id` for readability: how every
    /// event loop begins. Nothing is left open when it throws.
    public static func withWakeup(id: UInt64) throws(SystemError) -> (Epoll, Wakeup) {
        let epoll = try Epoll()
        do throws(SystemError) {
            let wakeup = try Wakeup()
            do throws(SystemError) {
                try epoll.add(wakeup.fd, events: readable, id: id)
            } catch {
                wakeup.close()
                throw error
            }
            return (epoll, wakeup)
        } catch {
            epoll.close()
            throw error
        }
    }

    deinit {
        assert(fd < 0, "epoll descriptor leaked")
        events.deallocate()
    }

    public func close() {
        guard fd >= 0 else { return }
        closeDescriptor(fd)
        fd = -1
    }

    public func add(_ descriptor: Int32, events mask: UInt32, id: UInt64) throws(SystemError) {
        var event = epoll_event(events: mask, data: epoll_data_t(u64: id))
        try systemCallValue("epoll_ctl") { epoll_ctl(fd, EPOLL_CTL_ADD, descriptor, &event) }
    }

    public func remove(_ descriptor: Int32) {
        // ENOENT/EBADF cannot happen for a registered descriptor; failure leaves nothing to undo.
        var event = epoll_event()
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, descriptor, &event)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body(id, events)` per event.
    public func wait(timeoutMilliseconds: Int32, _ body: (UInt64, UInt32) -> Void) throws(SystemError) {
        let count: Int32
        switch try systemCall("epoll_wait", { epoll_wait(fd, events.baseAddress, Int32(events.count), timeoutMilliseconds) }) {
        case .done(let n): count = n
        case .wouldBlock: count = 0
        }
        for index in 0..<Int(count) {
            let event = events[index]
            body(event.data.u64, event.events)
        }
    }
}
