import Foundation
import Synchronization
import Testing
import ZeroMQ

// Shared helpers: sockets that never block context termination, event waits with a deadline,
// a port nobody listens on, temporary directories for ipc, and a joinable helper thread.

/// A wait that reached its deadline; the description lists every event seen, for the test log.
struct WaitTimedOut: Error, CustomStringConvertible {
    let wanted: String
    let seen: [MonitorEvent]
    var description: String {
        "no \(wanted) before the deadline; events seen: [\(seen.map(\.description).joined(separator: ", "))]"
    }
}

/// The errno values the tests compare with (Linux).
enum Errno {
    static let wouldBlock: Int32 = 11   // EAGAIN
    static let invalid: Int32 = 22      // EINVAL
    static let notSocket: Int32 = 88    // ENOTSOCK
    static let addressInUse: Int32 = 98 // EADDRINUSE
    static let inProgress: Int32 = 115  // EINPROGRESS
    static let terminated: Int32 = 156_384_765 // ETERM (libzmq's own number)
}

/// A socket with LINGER 0, so a test's context always terminates at once.
func makeSocket(_ context: Context, _ type: SocketType) throws -> Socket {
    let socket = try context.socket(type)
    try socket.setLinger(0)
    return socket
}

/// Reads a monitor's events and remembers them all, so a test can wait for one event and then
/// look at what came before or between.
final class EventRecorder {
    let monitor: SocketMonitor
    private(set) var seen: [MonitorEvent] = []
    /// Index in ``seen`` of the first event not yet looked at by a wait.
    private(set) var position = 0

    init(_ monitor: SocketMonitor) { self.monitor = monitor }

    /// Waits for the next event (after ``position``) matching `predicate`, polling the monitor
    /// until `within` has passed. Throws ``WaitTimedOut`` listing every event seen.
    @discardableResult
    func next(
        _ wanted: String, within: Duration = .seconds(10), where predicate: (MonitorEvent) -> Bool
    ) throws -> MonitorEvent {
        let deadline = ContinuousClock.now + within
        while true {
            while position < seen.count {
                let event = seen[position]
                position += 1
                if predicate(event) { return event }
            }
            let remaining = deadline - .now
            if remaining <= .zero { throw WaitTimedOut(wanted: wanted, seen: seen) }
            let milliseconds = max(1, min(200, Int(remaining / .milliseconds(1))))
            if let event = try monitor.receive(timeoutMilliseconds: milliseconds) {
                seen.append(event)
            }
        }
    }

    /// Waits for the next event of `kind`.
    @discardableResult
    func next(_ kind: MonitorEvent.Kind, within: Duration = .seconds(10)) throws -> MonitorEvent {
        try next(kind.name, within: within) { $0.kind == kind }
    }
}

/// A monitored socket: the monitor is created before any bind or connect, as libzmq requires.
func monitored(_ context: Context, _ type: SocketType) throws -> (Socket, SocketMonitor, EventRecorder) {
    let socket = try makeSocket(context, type)
    let monitor = try SocketMonitor(socket: socket)
    return (socket, monitor, EventRecorder(monitor))
}

/// A `tcp://127.0.0.1:port` endpoint where nothing listens: binds a probe to a port libzmq picks,
/// unbinds it and waits until the listener's CLOSED event says the port is released.
func unusedTCPEndpoint(_ context: Context) throws -> String {
    let (probe, monitor, events) = try monitored(context, .pull)
    defer { monitor.stop(); probe.close() }
    try probe.bind("tcp://127.0.0.1:*")
    let endpoint = try probe.lastEndpoint
    let listening = try events.next(.listening)
    try probe.unbind(endpoint)
    try events.next("closed listener") { $0.kind == .closed && $0.value == listening.value }
    return endpoint
}

/// A fresh private directory for ipc endpoints, removed by `cleanUp`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/zmqtests-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkdtemp failed, errno \(errno)"])
        }
        path = String(cString: made)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

/// A thread a test starts and must stop: `stop()` raises the flag the body polls, then waits
/// (bounded) for the body to return.
final class HelperThread: Sendable {
    private let stopFlag = AtomicFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable (_ shouldStop: @Sendable () -> Bool) -> Void) {
        let flag = stopFlag
        let finished = finished
        let thread = Thread {
            body { flag.isSet }
            finished.signal()
        }
        thread.start()
    }

    /// Asks the body to return and waits up to `within`; false if it did not finish in time.
    func stop(within: Duration = .seconds(5)) -> Bool {
        stopFlag.set()
        return finished.wait(timeout: .now() + within / .seconds(1)) == .success
    }
}

final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// `count` bytes of a pattern that does not repeat every 256 bytes, so a shifted or dropped
/// chunk would not compare equal. Beyond 64 KiB, each 64 KiB block is the first block rotated
/// by a different amount (copies, not a per-byte loop: debug builds are slow at those).
func patternBytes(_ count: Int, seed: UInt32 = 0x9E37_79B9) -> [UInt8] {
    let blockSize = 64 * 1024
    var state = seed
    let block = (0..<min(count, blockSize)).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
    guard count > blockSize else { return block }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var blockIndex = 0
    while bytes.count < count {
        let shift = (blockIndex * 7919) % blockSize
        let rotated = block[shift...] + block[..<shift]
        bytes += rotated.prefix(count - bytes.count)
        blockIndex += 1
    }
    return bytes
}

/// Whether `message` holds exactly `expected` (memcmp: fast even in debug builds).
func holds(_ message: Message, _ expected: [UInt8]) -> Bool {
    message.withUnsafeBytes { got in
        expected.withUnsafeBytes { want in
            got.count == want.count && (got.count == 0 || memcmp(got.baseAddress!, want.baseAddress!, got.count) == 0)
        }
    }
}
