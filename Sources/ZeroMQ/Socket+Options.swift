import CZeroMQ

/// The socket options the agent sets and reads. Durations are whole milliseconds, as in libzmq.
extension Socket {
    // MARK: Raw access

    func setOption(_ option: Int32, _ value: Int32, _ name: String) throws(ZMQError) {
        let h = try live("zmq_setsockopt(\(name))")
        var v = value
        try zmqCall("zmq_setsockopt(\(name))") { zmq_setsockopt(h, option, &v, MemoryLayout<Int32>.size) }
    }

    func setOption(_ option: Int32, bytes: [UInt8], _ name: String) throws(ZMQError) {
        let h = try live("zmq_setsockopt(\(name))")
        try zmqCall("zmq_setsockopt(\(name))") {
            bytes.withUnsafeBytes { zmq_setsockopt(h, option, $0.baseAddress, $0.count) }
        }
    }

    func intOption(_ option: Int32, _ name: String) throws(ZMQError) -> Int32 {
        let h = try live("zmq_getsockopt(\(name))")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try zmqCall("zmq_getsockopt(\(name))") { zmq_getsockopt(h, option, &value, &size) }
        return value
    }

    func bytesOption(_ option: Int32, capacity: Int, _ name: String) throws(ZMQError) -> [UInt8] {
        let h = try live("zmq_getsockopt(\(name))")
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        try zmqCall("zmq_getsockopt(\(name))") {
            buffer.withUnsafeMutableBytes { zmq_getsockopt(h, option, $0.baseAddress, &size) }
        }
        return Array(buffer.prefix(size))
    }

    // MARK: Queues and timing

    /// Outgoing high-water mark, in messages (libzmq default 1000; 0 is unlimited).
    public var sendHighWaterMark: Int32 {
        get throws(ZMQError) { try intOption(ZMQ_SNDHWM, "ZMQ_SNDHWM") }
    }
    public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDHWM, messages, "ZMQ_SNDHWM")
    }
    /// Incoming high-water mark, in messages.
    public var receiveHighWaterMark: Int32 {
        get throws(ZMQError) { try intOption(ZMQ_RCVHWM, "ZMQ_RCVHWM") }
    }
    public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) {
        try setOption(ZMQ_RCVHWM, messages, "ZMQ_RCVHWM")
    }
    /// How long `close` keeps unsent messages, in ms (-1 forever, 0 drop at once).
    public var linger: Int32 {
        get throws(ZMQError) { try intOption(ZMQ_LINGER, "ZMQ_LINGER") }
    }
    public func setLinger(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_LINGER, milliseconds, "ZMQ_LINGER")
    }
    /// First reconnect interval in ms (libzmq default 100).
    public func setReconnectInterval(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_RECONNECT_IVL, milliseconds, "ZMQ_RECONNECT_IVL")
    }
    /// Upper bound of the doubling reconnect interval in ms (0: no backoff).
    public func setReconnectIntervalMax(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_RECONNECT_IVL_MAX, milliseconds, "ZMQ_RECONNECT_IVL_MAX")
    }
    /// ZMTP heartbeat PING interval in ms (0 disables heartbeats).
    public func setHeartbeatInterval(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_HEARTBEAT_IVL, milliseconds, "ZMQ_HEARTBEAT_IVL")
    }
    /// How long to wait for traffic after a PING before the connection is declared dead, in ms.
    public func setHeartbeatTimeout(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, milliseconds, "ZMQ_HEARTBEAT_TIMEOUT")
    }
    /// The time-to-live this side asks its peer to apply, in ms (rounded down to 100 ms).
    public func setHeartbeatTTL(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_HEARTBEAT_TTL, milliseconds, "ZMQ_HEARTBEAT_TTL")
    }
    /// Receive timeout in ms (-1 blocks forever); an expired receive throws would-block.
    public func setReceiveTimeout(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_RCVTIMEO, milliseconds, "ZMQ_RCVTIMEO")
    }
    /// Send timeout in ms (-1 blocks forever).
    public func setSendTimeout(_ milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDTIMEO, milliseconds, "ZMQ_SNDTIMEO")
    }

    // MARK: Routing and subscriptions

    /// SUB/XSUB: receive messages starting with `prefix` ("" for all).
    public func subscribe(_ prefix: some Collection<UInt8>) throws(ZMQError) {
        try setOption(ZMQ_SUBSCRIBE, bytes: Array(prefix), "ZMQ_SUBSCRIBE")
    }
    public func subscribe(_ prefix: String) throws(ZMQError) { try subscribe(Array(prefix.utf8)) }
    public func unsubscribe(_ prefix: some Collection<UInt8>) throws(ZMQError) {
        try setOption(ZMQ_UNSUBSCRIBE, bytes: Array(prefix), "ZMQ_UNSUBSCRIBE")
    }
    public func unsubscribe(_ prefix: String) throws(ZMQError) { try unsubscribe(Array(prefix.utf8)) }

    /// The identity a ROUTER peer sees for this socket (1 to 255 bytes).
    public var routingID: [UInt8] {
        get throws(ZMQError) { try bytesOption(ZMQ_ROUTING_ID, capacity: 256, "ZMQ_ROUTING_ID") }
    }
    public func setRoutingID(_ id: [UInt8]) throws(ZMQError) {
        try setOption(ZMQ_ROUTING_ID, bytes: id, "ZMQ_ROUTING_ID")
    }
    /// ROUTER: fail sends to unknown peers with EHOSTUNREACH instead of dropping them silently.
    public func setRouterMandatory(_ on: Bool) throws(ZMQError) {
        try setOption(ZMQ_ROUTER_MANDATORY, on ? 1 : 0, "ZMQ_ROUTER_MANDATORY")
    }
    /// XPUB: pass every subscription upstream, duplicates included.
    public func setXPubVerbose(_ on: Bool) throws(ZMQError) {
        try setOption(ZMQ_XPUB_VERBOSE, on ? 1 : 0, "ZMQ_XPUB_VERBOSE")
    }
    /// REQ: allow a new request before the reply to the last (Lazy Pirate without re-creating).
    public func setRequestRelaxed(_ on: Bool) throws(ZMQError) {
        try setOption(ZMQ_REQ_RELAXED, on ? 1 : 0, "ZMQ_REQ_RELAXED")
    }
    /// REQ: match replies to requests, dropping stale ones.
    public func setRequestCorrelate(_ on: Bool) throws(ZMQError) {
        try setOption(ZMQ_REQ_CORRELATE, on ? 1 : 0, "ZMQ_REQ_CORRELATE")
    }

    // MARK: State

    /// The endpoint of the last bind or connect, with the port libzmq picked for `*`.
    public var lastEndpoint: String {
        get throws(ZMQError) {
            let bytes = try bytesOption(ZMQ_LAST_ENDPOINT, capacity: 1024, "ZMQ_LAST_ENDPOINT")
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
    /// Whether the last frame received has more frames after it.
    public var receiveMore: Bool {
        get throws(ZMQError) { try intOption(ZMQ_RCVMORE, "ZMQ_RCVMORE") != 0 }
    }
    /// `ZMQ_POLLIN`/`ZMQ_POLLOUT` bits the socket is ready for now.
    public var events: PollEvents {
        get throws(ZMQError) { PollEvents(rawValue: Int16(try intOption(ZMQ_EVENTS, "ZMQ_EVENTS"))) }
    }
    /// The file descriptor that signals (edge-triggered) when ``events`` may have changed.
    public var fileDescriptor: Int32 {
        get throws(ZMQError) { try intOption(ZMQ_FD, "ZMQ_FD") }
    }

    // MARK: Security

    /// Makes this socket a CURVE server with `secretKey` (32 bytes).
    public func setCurveServer(secretKey: [UInt8]) throws(ZMQError) {
        try setOption(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey, "ZMQ_CURVE_SECRETKEY")
    }
    /// Makes this socket a CURVE client of the server whose public key is `serverKey`.
    public func setCurveClient(serverKey: [UInt8], publicKey: [UInt8], secretKey: [UInt8]) throws(ZMQError) {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: serverKey, "ZMQ_CURVE_SERVERKEY")
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: publicKey, "ZMQ_CURVE_PUBLICKEY")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey, "ZMQ_CURVE_SECRETKEY")
    }
    /// The ZAP domain sent to the authentication handler; setting one turns ZAP on for NULL.
    public func setZAPDomain(_ domain: String) throws(ZMQError) {
        try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8), "ZMQ_ZAP_DOMAIN")
    }
}

/// A CURVE key pair, 32-byte binary keys.
public struct CurveKeyPair: Sendable {
    public let publicKey: [UInt8]
    public let secretKey: [UInt8]

    /// Generates a new key pair (`zmq_curve_keypair`); throws when libzmq lacks CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicZ85 = [CChar](repeating: 0, count: 41)
        var secretZ85 = [CChar](repeating: 0, count: 41)
        try zmqCall("zmq_curve_keypair") { zmq_curve_keypair(&publicZ85, &secretZ85) }
        return CurveKeyPair(publicKey: decodeZ85(publicZ85), secretKey: decodeZ85(secretZ85))
    }

    private static func decodeZ85(_ text: [CChar]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = zmq_z85_decode(&out, text)
        return out
    }
}
