import Foundation
import Posix
import Synchronization
import ZeroMQ

// The real peers a test talks to the agent with: their own context, LINGER 0, closed at the end.

/// Sockets of one test, in a context of their own (as a separate process would be).
final class Peers: @unchecked Sendable {
    let context: Context
    private let opened = Locked<[Socket]>([])

    init() throws {
        context = try Context()
    }

    /// A socket with LINGER 0, so closing never waits on undelivered messages.
    func socket(_ type: SocketType) throws -> Socket {
        let socket = try context.socket(type)
        try socket.setLinger(0)
        opened.withLock { $0.append(socket) }
        return socket
    }

    /// Closes every socket still open. Threads using them must have stopped first.
    func close() {
        for socket in opened.withLock({ $0 }) where !socket.isClosed { socket.close() }
    }
}

/// Receives one whole message, waiting at most `within`.
func receive(_ socket: Socket, within: Duration = .seconds(10)) throws -> [Message] {
    let deadline = ContinuousClock.now + within
    var poller = Poller()
    poller.add(socket)
    while ContinuousClock.now < deadline {
        let left = deadline - .now
        let ms = max(1, min(100, Int(left / .milliseconds(1))))
        if try poller.poll(timeoutMilliseconds: ms) > 0 {
            return try socket.receiveMultipart(flags: .dontWait)
        }
    }
    throw TimedOut(what: "a message on a \(socket.type.rawValue) socket")
}

/// A thread a test starts and must stop: `stop()` raises the flag the body polls and waits,
/// bounded, for the body to return.
final class PeerThread: Sendable {
    private let flag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ name: String, _ body: @escaping @Sendable (_ shouldStop: () -> Bool) -> Void) {
        let thread = Thread { [self] in
            body { self.flag.load(ordering: .acquiring) }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Returns false when the body did not finish within `within`.
    @discardableResult
    func stop(within: Duration = .seconds(5)) -> Bool {
        flag.store(true, ordering: .releasing)
        return finished.wait(timeout: .now() + .milliseconds(Int(within / .milliseconds(1)))) == .success
    }
}

/// What a replier does with each request.
enum ReplyMode: Int {
    case echo, silent, wrong
}

/// A REP (or any reply-capable) socket served on its own thread: echoes each request, answers
/// wrongly, or stays silent (reads nothing) as its mode says at the time. Counts requests answered.
final class Replier: Sendable {
    private let mode = Atomic<Int>(ReplyMode.echo.rawValue)
    private let answeredCount = Atomic<Int>(0)
    private let thread = Locked<PeerThread?>(nil)

    init(_ socket: Socket, mode initial: ReplyMode = .echo) {
        mode.store(initial.rawValue, ordering: .relaxed)
        let peer = PeerThread("replier") { [self] shouldStop in serve(socket, shouldStop) }
        thread.withLock { $0 = peer }
    }

    private func serve(_ socket: Socket, _ shouldStop: () -> Bool) {
        var poller = Poller()
        poller.add(socket)
        while !shouldStop() {
            let current = ReplyMode(rawValue: mode.load(ordering: .acquiring)) ?? .echo
            if current == .silent {
                // Reads nothing, so requests stay queued unanswered; the flag is polled 100 times a second.
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            guard (try? poller.poll(timeoutMilliseconds: 20)) ?? 0 > 0,
                  let request = try? socket.receiveMultipart(flags: .dontWait) else { continue }
            var reply = request
            if current == .wrong, let last = reply.indices.last { reply[last] = Message(string: "wrong") }
            if (try? socket.send(multipart: reply)) != nil { answeredCount.add(1, ordering: .relaxed) }
        }
        socket.close()
    }

    var answered: Int { answeredCount.load(ordering: .relaxed) }

    func set(_ newMode: ReplyMode) { mode.store(newMode.rawValue, ordering: .releasing) }

    /// Stops the thread, which closes the socket.
    @discardableResult
    func stop() -> Bool { thread.withLock { $0 }?.stop() ?? true }
}
