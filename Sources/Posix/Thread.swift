import CLinuxIO
import Glibc

/// A pthread running a closure: the agent's, the HTTP server's and the demo's long-lived threads,
/// each named for `top -H`, /proc and gdb. One trampoline for every thread in the program.
public final class Thread: @unchecked Sendable {
    // Written once in init before any other thread sees the object; `joined` only by the one
    // thread that may join.
    private var handle = pthread_t()
    private var joined = false

    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts a thread running `body`.
    /// - Parameters:
    ///   - name: shown by the kernel, cut to its 15 bytes at a character boundary.
    ///   - stackSize: bytes of stack, or nil for the system's default (8 MiB on Linux).
    ///   - detached: a detached thread cannot be joined and frees itself when it returns.
    /// - Throws: `pthread_create`'s error (EAGAIN when the process is out of threads).
    @discardableResult
    public init(name: String, stackSize: Int? = nil, detached: Bool = false, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if detached {
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            joined = true
        }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        let box = Unmanaged.passRetained(Box(name: Self.kernelName(name), body: body)).toOpaque()
        let rc = pthread_create(&handle, &attributes, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            // Named by the thread itself: a detached thread's handle may be gone by the time
            // the creator would name it.
            _ = pthread_setname_np(pthread_self(), box.name)
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError(function: "pthread_create", errno: rc)
        }
    }

    /// Starts a detached thread running `body` (see ``init(name:stackSize:detached:_:)``).
    public static func detach(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        try Thread(name: name, stackSize: stackSize, detached: true, body)
    }

    /// Waits for the thread to return; only one thread may call this, once. Nothing for a
    /// detached thread.
    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }

    /// `name` cut to the 15 bytes the kernel keeps of a thread name (16 with the NUL), at a
    /// character boundary: `pthread_setname_np` fails with ERANGE on a longer one, so a cut by
    /// characters (not bytes) left long non-ASCII names unset.
    public static func kernelName(_ name: String) -> String {
        var name = Substring(name)
        while name.utf8.count > 15 { name = name.dropLast() }
        return String(name)
    }

    /// The calling thread's name as the kernel has it.
    public static var currentName: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            guard pthread_getname_np(pthread_self(), buffer.baseAddress!, buffer.count) == 0 else { return "" }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// Sleeps the calling thread for `duration`, sleeping again for what is left after a signal.
    public static func sleep(_ duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR {
            request = remaining
        }
    }
}
