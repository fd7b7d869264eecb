import Glibc
import Posix
import ZeroMQ

/// The forwarding loop of one proxy, on its runner's thread.
struct ProxyLoop {
    enum Direction { case forward, backward }

    let runner: ProxyRunner
    let front: MonitoredSocket
    let back: MonitoredSocket
    let kind: ProxyConfig.Kind
    var frames: [Message] = []
    var tracker: RequestTracker
    var topics: Set<[UInt8]> = []
    /// A broker whose backend took nothing for a whole request timeout drops requests it cannot
    /// pass on at once, instead of leaving the frontend unread: libzmq keeps every unread request
    /// of a client that gave up and reconnected (a Lazy Pirate client does every timeout), about
    /// 11 KiB each, until the frontend is read, so a broker without workers would grow without
    /// bound and later hand its workers requests nobody waits for. Cleared by the next send that
    /// goes through.
    var backendStalled = false
    var stallLimit: Duration
    var poller = Poller()
    let frontIndex: Int
    let backIndex: Int
    let frontMonitor: Int
    let backMonitor: Int
    /// The runner's wakeup (a stop or an update), when it has one.
    let wake: Int?

    init(runner: ProxyRunner, front: MonitoredSocket, back: MonitoredSocket) {
        self.runner = runner
        self.front = front
        self.back = back
        kind = runner.proxy.kind
        let timeout = runner.proxy.requestTimeout
        stallLimit = timeout
        tracker = RequestTracker(timeout: timeout.seconds, capacity: runner.proxy.maxInFlight)
        frontIndex = poller.add(front.socket)
        // A PUSH backend never has anything to read.
        backIndex = poller.add(back.socket, events: kind == .pipeline ? [] : .readable)
        frontMonitor = poller.add(front.monitor.pairSocket)
        backMonitor = poller.add(back.monitor.pairSocket)
        if let wakeup = runner.wakeup {
            wake = poller.add(fileDescriptor: wakeup.fd)
        } else {
            wake = nil
        }
    }

    /// How long the loop may wait: a broker looks at its requests' deadlines four times a
    /// second; a socket with failed binds waits for its next retry; else until something happens.
    func waitMilliseconds() -> Int {
        var wait = kind == .broker ? Self.expiryCheckMilliseconds : -1
        if !front.failures.isEmpty || !back.failures.isEmpty {
            let left = (runner.nextRetry - .now).millisecondsRoundedUp
            wait = wait < 0 ? left : min(wait, left)
        }
        return wait
    }

    /// How often a broker evicts requests past their timeout.
    static let expiryCheckMilliseconds = 250

    mutating func run() {
        while !runner.isStopping {
            do {
                try poller.poll(timeoutMilliseconds: waitMilliseconds())
            } catch {
                return
            }
            if let wake, poller.isReadable(wake) { runner.wakeup?.drain() }
            if poller.isReadable(frontMonitor) { front.drainMonitor() }
            if poller.isReadable(backMonitor) { back.drainMonitor() }
            let frontReady = poller.isReadable(frontIndex)
            let backReady = poller.isReadable(backIndex)
            if frontReady { pump(.forward) }
            if backReady { pump(.backward) }
            if kind == .broker { expireRequests() }
            runner.retryFailedIfDue([front, back], info: runner.info)
            if runner.applyPendingUpdate() {
                // Requests in flight keep their start times; the new limits apply from now on.
                stallLimit = runner.proxy.requestTimeout
                tracker.timeout = runner.proxy.requestTimeout.seconds
                tracker.capacity = runner.proxy.maxInFlight
            }
        }
    }


    /// Moves up to a batch of messages in one direction, then updates the counters once.
    mutating func pump(_ direction: Direction) {
        let (source, destination) = direction == .forward ? (front, back) : (back, front)
        var messages = 0, bytes = 0, sentMessages = 0, sentBytes = 0
        while messages < ProxyRunner.batch, !runner.isStopping {
            guard let size = receiveMessage(from: source.socket) else { break }
            messages += 1
            bytes += size
            let frameCount = receivedFrames
            observe(direction, frameCount: frameCount)
            if send(frameCount: frameCount, to: destination) {
                sentMessages += 1
                sentBytes += size
            }
        }
        source.recorder.metrics.received(messages: messages, bytes: bytes)
        destination.recorder.metrics.sent(messages: sentMessages, bytes: sentBytes)
        // One message of a million frames must not pin a million zmq_msg_t for good.
        if frames.count > Self.keptFrames { frames.removeLast(frames.count - Self.keptFrames) }
    }

    private var receivedFrames = 0
    static let keptFrames = 64

    /// Receives all frames of one message into `frames`; returns its size or nil when none is queued.
    mutating func receiveMessage(from socket: Socket) -> Int? {
        var count = 0
        var size = 0
        repeat {
            if count == frames.count { frames.append(Message()) }
            do {
                size += try socket.receive(into: frames[count], flags: .dontWait)
            } catch {
                // Frames of a message arrive together, so only the first can be missing.
                if count == 0 { return nil }
                break
            }
            count += 1
        } while frames[count - 1].hasMore
        receivedFrames = count
        return size
    }

    /// Sends the received frames whole. Waits (draining monitors) while the destination is at
    /// its high-water mark, except for a ROUTER, which drops like libzmq's own ROUTER does, and
    /// a broker's backend, which it waits for one request timeout at most (``backendStalled``).
    /// Returns whether the message was sent.
    mutating func send(frameCount: Int, to destination: MonitoredSocket) -> Bool {
        let metrics = destination.recorder.metrics
        var countedBlock = false
        while true {
            do {
                try destination.socket.send(frames[0], flags: frameCount > 1 ? [.dontWait, .sendMore] : .dontWait)
                break
            } catch where error.kind == .wouldBlock {
                if !countedBlock { metrics.sendWouldBlock.increment(); countedBlock = true }
                if destination.socket.type == .router || runner.isStopping {
                    discard(from: 1, to: frameCount)
                    return false
                }
                if kind == .broker && destination === back {
                    // The request stays in the tracker and is counted unanswered when it expires.
                    if backendStalled || !waitWritable(destination, within: stallLimit) {
                        backendStalled = true
                        discard(from: 1, to: frameCount)
                        return false
                    }
                } else {
                    waitWritable(destination)
                }
            } catch {
                if error.errno == EHOSTUNREACH { metrics.sendUnroutable.increment() } else { metrics.sendError.increment() }
                discard(from: 1, to: frameCount)
                return false
            }
        }
        if destination === back { backendStalled = false }
        // libzmq accepts the rest of a message once its first frame is in.
        for index in 1..<max(1, frameCount) {
            let flags: SendFlags = index < frameCount - 1 ? .sendMore : []
            do {
                try destination.socket.send(frames[index], flags: flags)
            } catch {
                metrics.sendError.increment()
                discard(from: index + 1, to: frameCount)
                return false
            }
        }
        return true
    }

    private func discard(from start: Int, to end: Int) {
        for index in start..<max(start, end) { frames[index].reset() }
    }

    /// Waits until `destination` can take a message, draining both monitors meanwhile; false
    /// when `limit` passed first or the proxy is stopping.
    @discardableResult
    private func waitWritable(_ destination: MonitoredSocket, within limit: Duration? = nil) -> Bool {
        let deadline = limit.map { ContinuousClock.now + $0 }
        var waiter = Poller()
        let data = waiter.add(destination.socket, events: .writable)
        let fm = waiter.add(front.monitor.pairSocket)
        let bm = waiter.add(back.monitor.pairSocket)
        // A stop wakes the wait. An update's wake-up is drained here: the main loop looks for
        // pending updates on every turn anyway.
        let wake = runner.wakeup.map { waiter.add(fileDescriptor: $0.fd) }
        while !runner.isStopping {
            var timeout = -1
            if let deadline {
                let left = deadline - .now
                guard left > .zero else { return false }
                timeout = left.millisecondsRoundedUp
            }
            guard (try? waiter.poll(timeoutMilliseconds: timeout)) != nil else { return false }
            if waiter.isReadable(fm) { front.drainMonitor() }
            if waiter.isReadable(bm) { back.drainMonitor() }
            if let wake, waiter.isReadable(wake) { runner.wakeup?.drain() }
            if waiter.events(at: data).contains(.writable) { return true }
        }
        return false
    }

    // MARK: Role-specific accounting

    mutating func observe(_ direction: Direction, frameCount: Int) {
        switch kind {
        case .pipeline:
            return
        case .bus:
            // Subscriptions travel backward, from XPUB to XSUB: 0x01 topic or 0x00 topic.
            guard direction == .backward, frameCount == 1 else { return }
            let frame = frames[0]
            let (flag, topic) = frame.withUnsafeBytes { raw -> (UInt8?, [UInt8]) in
                (raw.first, Array(raw.dropFirst()))
            }
            if flag == 1 { topics.insert(topic) } else if flag == 0 { topics.remove(topic) }
            runner.subscriptions?.set(Int64(topics.count))
        case .broker:
            let key = envelope(frameCount: frameCount)
            let now = Self.now()
            if direction == .forward {
                let evicted = tracker.request(key, now: now)
                if evicted > 0 { runner.unanswered?.increment(by: Int64(evicted)) }
            } else if let seconds = tracker.reply(key, now: now) {
                runner.requestDuration?.record(seconds)
                runner.latencies.record(seconds)
            }
            runner.inFlight?.set(Int64(tracker.inFlight))
        }
    }

    /// The routing envelope: every frame up to and including the empty delimiter (REQ peers),
    /// or the first frame alone (DEALER peers without a delimiter).
    func envelope(frameCount: Int) -> [UInt8] {
        let delimiter = (0..<frameCount).first { frames[$0].count == 0 }
        let last = delimiter ?? 0
        var key: [UInt8] = []
        for index in 0...last {
            let frame = frames[index]
            // Length-prefixed so that different frame splits never give the same key.
            withUnsafeBytes(of: UInt32(frame.count)) { key.append(contentsOf: $0) }
            frame.withUnsafeBytes { key.append(contentsOf: $0) }
        }
        return key
    }

    mutating func expireRequests() {
        let evicted = tracker.evictExpired(now: Self.now())
        if evicted > 0 {
            runner.unanswered?.increment(by: Int64(evicted))
            runner.inFlight?.set(Int64(tracker.inFlight))
        }
        runner.inFlightCount.store(tracker.inFlight, ordering: .relaxed)
    }

    static func now() -> Double {
        Monotonic.seconds()
    }
}
