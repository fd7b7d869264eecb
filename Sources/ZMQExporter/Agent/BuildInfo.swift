import CBuildInfo

/// What the binary was built from, as the Prometheus exporters report it (`--version`,
/// `zmq_exporter_build_info`): written by scripts/build-info.sh before `make` builds, "unknown"
/// for a plain `swift build`.
public enum BuildInfo {
    public static let version = Agent.version
    /// The git commit, 12 hex digits.
    public static let revision = ZMQX_REVISION
    public static let branch = ZMQX_BRANCH
    /// The commit's date, `YYYYMMDD-HH:MM:SS` as Prometheus's `builddate` (the commit's rather
    /// than the build's, so two builds of one commit report the same).
    public static let buildDate = ZMQX_BUILD_DATE
    /// The compiler's version, e.g. `6.2.1`; from the compiler itself when the script did not run.
    public static let swiftVersion: String = ZMQX_SWIFT_VERSION.isEmpty ? compilerVersion : ZMQX_SWIFT_VERSION

    static var compilerVersion: String {
        #if compiler(>=6.4)
        "6.4"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #else
        "6"
        #endif
    }

    /// The labels of `zmq_exporter_build_info`, in the catalog's order.
    static func labels(libzmq: String) -> [(String, String)] {
        [("version", version), ("revision", revision), ("branch", branch), ("builddate", buildDate),
         ("swift_version", swiftVersion), ("libzmq_version", libzmq)]
    }
}
