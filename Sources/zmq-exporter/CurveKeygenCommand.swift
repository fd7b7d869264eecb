import Posix
import ZMQExporter

/// `zmq-exporter curve-keygen [--out PREFIX]`: writes `PREFIX` (public certificate, 0644) and
/// `PREFIX_secret` (secret certificate, 0600), as pyzmq's `zmq.auth.create_certificates` names
/// them, and prints the public key. Existing files are never replaced.
enum CurveKeygenCommand {
    static let summary = "Write a new CURVE key pair as zcert files: PREFIX (public) and PREFIX_secret (secret)."

    static var flags: FlagSet {
        var flags = FlagSet(command: "curve-keygen", summary: summary)
        flags.value("out", default: CurveKeygen.defaultPrefix, placeholder: CurveKeygen.defaultPrefix,
                    help: "Path prefix of the two files: PREFIX gets the public key (mode 0644), PREFIX_secret both keys (mode 0600).")
        return flags
    }

    static func run(_ parsed: FlagSet.Parsed) throws(UsageError) -> Int32 {
        let prefix = parsed.value("out")
        guard !prefix.isEmpty else { throw UsageError("--out must name a file") }
        do {
            let written = try CurveKeygen.write(prefix: prefix)
            StandardStream.output.write("""
                public key: \(written.publicKey.z85)
                wrote \(written.publicPath) (public, mode 0644) and \(written.secretPath) (secret, mode 0600)

                """)
            return 0
        } catch {
            StandardStream.error.write("zmq-exporter: curve-keygen: \(error)\n")
            return 1
        }
    }
}
