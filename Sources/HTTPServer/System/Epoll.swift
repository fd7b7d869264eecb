import CLinuxIO
import Glibc
import Posix

/// An epoll instance owned by the event loop thread.
final class Epoll {
    private(set) var fd: Int32
    private var events: UnsafeMutableBufferPointer<epoll_event>

    static let readable = EPOLLIN.rawValue
    static let writable = EPOLLOUT.rawValue
    static let peerClosed = EPOLLRDHUP.rawValue
    static let hangUp = EPOLLHUP.rawValue
    static let error = EPOLLERR.rawValue
    static let edgeTriggered = EPOLLET.rawValue

    init(maxEvents: Int = 256) throws(SystemError) {
        fd = try systemCallValue("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        events = .allocate(capacity: maxEvents)
    }

    deinit {
        assert(fd < 0, "epoll descriptor leaked")
        events.deallocate()
    }

    func close() {
        guard fd >= 0 else { return }
        closeDescriptor(fd)
        fd = -1
    }

    func add(_ descriptor: Int32, events mask: UInt32, id: UInt64) throws(SystemError) {
        var event = epoll_event(events: mask, data: epoll_data_t(u64: id))
        try systemCallValue("epoll_ctl") { epoll_ctl(fd, EPOLL_CTL_ADD, descriptor, &event) }
    }

    func remove(_ descriptor: Int32) {
        // ENOENT/EBADF cannot happen for a registered descriptor; failure leaves nothing to undo.
        var event = epoll_event()
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, descriptor, &event)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body(id, events)` per event.
    func wait(timeoutMilliseconds: Int32, _ body: (UInt64, UInt32) -> Void) throws(SystemError) {
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
