import CZeroMQ

/// libzmq as loaded at run time.
public enum ZMQ {
    /// The version of the libzmq library loaded at run time (not the headers built against).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// The run-time version as `major.minor.patch`.
    public static var versionString: String {
        let v = version
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Whether libzmq was built with a capability: `curve`, `ipc`, `pgm`, `tipc`, `norm`, `gssapi`, `draft`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}
