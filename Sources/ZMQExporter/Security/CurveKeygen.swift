import Posix
import ZeroMQ

/// `zmq-exporter curve-keygen`: a new CURVE key pair as zcert files named as pyzmq's
/// `zmq.auth.create_certificates(dir, name)` names them: `PREFIX` holds the public key (mode
/// 0644, for peers) and `PREFIX_secret` both keys (mode 0600, for this side's
/// `secret_key_file`). pyzmq's prefix is `DIR/NAME.key`.
public enum CurveKeygen {
    public static let defaultPrefix = "curve.key"

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Writes a new pair; existing files are never replaced. Returns the public key and the
    /// two paths.
    public static func write(prefix: String) throws(Failure) -> (publicKey: CurveKey, publicPath: String, secretPath: String) {
        guard ZMQ.has("curve") else {
            throw Failure(description: "libzmq \(ZMQ.versionString) was built without CURVE (zmq_has(\"curve\") is false)")
        }
        let pair: CurveKeyPair
        do {
            pair = try CurveKeyPair.generate()
        } catch {
            throw Failure(description: "\(error)")
        }
        let (publicPath, secretPath) = try write(pair, prefix: prefix)
        return (pair.publicCurveKey, publicPath, secretPath)
    }

    /// Writes `pair` as `PREFIX` (public, 0644) and `PREFIX_secret` (both keys, 0600), as
    /// ``write(prefix:)`` does, for a caller that keeps the pair in memory too (the demo).
    public static func write(_ pair: CurveKeyPair, prefix: String, generatedBy: String = "zmq-exporter curve-keygen") throws(Failure) -> (publicPath: String, secretPath: String) {
        let publicPath = prefix
        let secretPath = prefix + "_secret"
        let secretText = ZCert.secretText(publicKey: pair.publicCurveKey, secretKey: pair.secretCurveKey, generatedBy: generatedBy)
        let publicText = ZCert.publicText(pair.publicCurveKey, generatedBy: generatedBy)
        // The secret first: if it cannot be written, no public file names a key nobody holds.
        if case .failure(let problem) = Files.create(secretPath, Array(secretText.utf8), mode: 0o600) {
            throw Failure(description: problem.message)
        }
        if case .failure(let problem) = Files.create(publicPath, Array(publicText.utf8), mode: 0o644) {
            throw Failure(description: problem.message)
        }
        return (publicPath, secretPath)
    }
}
