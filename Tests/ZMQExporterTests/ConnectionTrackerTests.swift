import Testing
@testable import ZMQExporter
import ZeroMQ

/// The connection state machine alone, fed event sequences by hand.
@Suite struct ConnectionTrackerTests {
    static let bound = "tcp://127.0.0.1:5555"

    func event(_ kind: MonitorEvent.Kind, _ value: UInt32 = 0) -> MonitorEvent {
        MonitorEvent(kind: kind, value: value, endpoint: kind == .monitorStopped ? "" : Self.bound)
    }

    @Test func acceptedHandshakeDisconnectedCountsUpAndDown() {
        var tracker = ConnectionTracker()
        #expect(tracker.apply(event(.listening, 9), now: 0) == .init())
        #expect(tracker.count == 0)
        _ = tracker.apply(event(.accepted, 10), now: 1)
        _ = tracker.apply(event(.handshakeSucceeded), now: 1.1)
        _ = tracker.apply(event(.accepted, 11), now: 2)
        _ = tracker.apply(event(.handshakeSucceeded), now: 2.1)
        #expect(tracker.count == 2)
        let effect = tracker.apply(event(.disconnected, 10), now: 4.5)
        #expect(effect.closedLifetime == 3.5)
        #expect(effect.handshakeFailure == nil)
        #expect(tracker.count == 1)
        #expect(tracker.apply(event(.disconnected, 11), now: 5).closedLifetime == 3)
        #expect(tracker.count == 0)
    }

    @Test func connectSideCountsConnectedAndIgnoresFailedAttempts() {
        var tracker = ConnectionTracker()
        // A failed attempt: CONNECT_DELAYED, CLOSED of a descriptor never connected, CONNECT_RETRIED.
        _ = tracker.apply(event(.connectDelayed, 115), now: 0)
        #expect(tracker.apply(event(.closed, 12), now: 0.1) == .init())
        _ = tracker.apply(event(.connectRetried, 200), now: 0.1)
        #expect(tracker.count == 0)
        _ = tracker.apply(event(.connected, 12), now: 0.3)
        _ = tracker.apply(event(.handshakeSucceeded), now: 0.4)
        #expect(tracker.count == 1)
        #expect(tracker.apply(event(.disconnected, 12), now: 1.3).closedLifetime == 1)
        #expect(tracker.count == 0)
    }

    @Test func closedBeforeHandshakeIsReportedOnce() {
        var tracker = ConnectionTracker()
        _ = tracker.apply(event(.accepted, 20), now: 0)
        _ = tracker.apply(event(.accepted, 21), now: 0)
        // HANDSHAKE_* carry no descriptor: the oldest pending connection (20) is the one that finished.
        _ = tracker.apply(event(.handshakeSucceeded), now: 0.1)
        let first = tracker.apply(event(.disconnected, 20), now: 1)
        #expect(first.handshakeFailure == nil)
        let second = tracker.apply(event(.disconnected, 21), now: 1)
        #expect(second.handshakeFailure == HandshakeReason.closedBeforeHandshake)
        #expect(second.closedLifetime == 1)
        #expect(tracker.count == 0)
    }

    @Test func failedHandshakeIsCountedByReasonNotAgainAtClose() {
        var tracker = ConnectionTracker()
        _ = tracker.apply(event(.accepted, 30), now: 0)
        let failed = tracker.apply(event(.handshakeFailedProtocol, 0x1100_0001), now: 0.01)
        #expect(failed.handshakeFailure == ProtocolError(rawValue: 0x1100_0001).name)
        let closed = tracker.apply(event(.disconnected, 30), now: 0.02)
        #expect(closed.handshakeFailure == nil)
        #expect(closed.closedLifetime != nil)

        _ = tracker.apply(event(.accepted, 31), now: 1)
        #expect(tracker.apply(event(.handshakeFailedAuth, 400), now: 1).handshakeFailure == "zap_400")
        _ = tracker.apply(event(.accepted, 32), now: 2)
        #expect(tracker.apply(event(.handshakeFailedNoDetail, 110), now: 2).handshakeFailure == "no_detail")
        #expect(tracker.count == 2)
    }

    @Test func monitorStoppedResetsEverything() {
        var tracker = ConnectionTracker()
        for fd: UInt32 in 40...44 { _ = tracker.apply(event(.accepted, fd), now: 0) }
        #expect(tracker.count == 5)
        #expect(tracker.apply(event(.monitorStopped), now: 1) == .init())
        #expect(tracker.count == 0)
        // Late DISCONNECTEDs of the old connections change nothing and report nothing.
        #expect(tracker.apply(event(.disconnected, 40), now: 2) == .init())
        #expect(tracker.count == 0)
        // A pending handshake from before the reset cannot be matched to a new connection.
        _ = tracker.apply(event(.accepted, 50), now: 3)
        _ = tracker.apply(event(.handshakeSucceeded), now: 3)
        #expect(tracker.apply(event(.disconnected, 50), now: 4).handshakeFailure == nil)
    }

    @Test func neverGoesNegative() {
        var tracker = ConnectionTracker()
        for fd: UInt32 in [1, 2, 3, 1, 1] {
            _ = tracker.apply(event(.disconnected, fd), now: 0)
            _ = tracker.apply(event(.closed, fd), now: 0)
            #expect(tracker.count >= 0)
        }
        _ = tracker.apply(event(.accepted, 7), now: 0)
        _ = tracker.apply(event(.disconnected, 7), now: 0)
        _ = tracker.apply(event(.disconnected, 7), now: 0)
        _ = tracker.apply(event(.handshakeSucceeded), now: 0)
        #expect(tracker.count == 0)
    }

    @Test func aReusedDescriptorIsOneConnection() {
        var tracker = ConnectionTracker()
        _ = tracker.apply(event(.accepted, 8), now: 0)
        // Lost DISCONNECTED, then the kernel hands out fd 8 again.
        _ = tracker.apply(event(.accepted, 8), now: 5)
        #expect(tracker.count == 1)
        _ = tracker.apply(event(.handshakeSucceeded), now: 5)
        let effect = tracker.apply(event(.disconnected, 8), now: 6)
        #expect(effect.closedLifetime == 1)
        #expect(effect.handshakeFailure == nil)
    }

    @Test func eventsWithoutConnectionMeaningAreIgnored() {
        var tracker = ConnectionTracker()
        for kind in [MonitorEvent.Kind.bindFailed, .acceptFailed, .closeFailed, .connectRetried, .unknown(0x10000)] {
            #expect(tracker.apply(event(kind, 98), now: 0) == .init())
        }
        #expect(tracker.count == 0)
    }
}

/// Request matching in the ROUTER/DEALER proxy (pure, no sockets).
@Suite struct RequestTrackerTests {
    @Test func anAnsweredOldRequestDoesNotEvictAYoungPendingOne() {
        var tracker = RequestTracker(timeout: 30, capacity: 100)
        _ = tracker.request([1], now: 0)
        #expect(tracker.reply([1], now: 0.001) != nil)
        _ = tracker.request([2], now: 29.9995)
        // The answered request at the head expires now; the young pending one must stay.
        #expect(tracker.evictExpired(now: 30.0) == 0)
        #expect(tracker.inFlight == 1)
        #expect(tracker.reply([2], now: 30.001) != nil)
    }

    @Test func anExpiredPendingRequestIsEvictedOnce() {
        var tracker = RequestTracker(timeout: 1, capacity: 100)
        _ = tracker.request([7], now: 0)
        #expect(tracker.evictExpired(now: 0.5) == 0)
        #expect(tracker.evictExpired(now: 1.5) == 1)
        #expect(tracker.evictExpired(now: 2.5) == 0)
        #expect(tracker.inFlight == 0)
        #expect(tracker.reply([7], now: 3) == nil)
    }

    @Test func capacityEvictsTheOldestPending() {
        var tracker = RequestTracker(timeout: 60, capacity: 2)
        #expect(tracker.request([1], now: 0) == 0)
        #expect(tracker.request([2], now: 1) == 0)
        #expect(tracker.request([3], now: 2) == 1)
        #expect(tracker.reply([1], now: 3) == nil)
        #expect(tracker.reply([2], now: 3) == 2)
    }

    @Test func answeredEntriesDoNotAccumulateBehindALongPendingOne() {
        var tracker = RequestTracker(timeout: 3600, capacity: 10)
        _ = tracker.request([0], now: 0)  // never answered
        for i in 1...100_000 {
            let key: [UInt8] = [UInt8(i % 200), UInt8(i / 200 % 256)]
            _ = tracker.request(key, now: Double(i) * 1e-3)
            _ = tracker.reply(key, now: Double(i) * 1e-3 + 1e-4)
        }
        #expect(tracker.inFlight == 1)
        #expect(tracker.queuedEntries <= 2 * 10 + 1024 + 1)
    }
}
