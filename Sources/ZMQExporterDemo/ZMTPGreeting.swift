import ZMQExporter
/// The opening bytes of a ZMTP 3.0 connection with the NULL mechanism (RFC 23/ZMTP): the 64-byte
/// greeting, then the READY command naming the socket type. The demo's misconfigured peer sends
/// them over a STREAM socket to pose as a socket type the proxy does not accept.
enum ZMTPGreeting {
    static func null(socketType: String) -> [UInt8] {
        var bytes: [UInt8] = [0xFF] + [UInt8](repeating: 0, count: 8) + [0x7F]  // signature
        bytes += [3, 0]  // version 3.0
        bytes += Array("NULL".utf8) + [UInt8](repeating: 0, count: 16)  // mechanism, 20 bytes
        bytes += [0]  // as-server: no
        bytes += [UInt8](repeating: 0, count: 31)  // filler
        // READY: command name, then one property "Socket-Type" with a 4-byte big-endian length.
        var body: [UInt8] = [5] + Array("READY".utf8)
        let name = Array("Socket-Type".utf8), value = Array(socketType.utf8)
        body += [UInt8(name.count)] + name
        body += [0, 0, 0, UInt8(value.count)] + value
        bytes += [0x04, UInt8(body.count)] + body  // short command frame
        return bytes
    }
}
