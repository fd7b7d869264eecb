import Posix
import ZMQExporter
import ZeroMQ

/// The CURVE keys of the demo's secured `reports` tap, made fresh at every start so that no key
/// is ever kept in the repository or reused between runs.
///
/// They are written as zcert files (as `zmq-exporter curve-keygen` writes them) into a private
/// directory, `$TMPDIR/zmq-exporter-demo.XXXXXX` (mode 0700, secret files 0600), under the names
/// examples/demo.yml uses: `demo-keys/agent.key_secret` (the tap's own pair) and
/// `demo-keys/reporter.key` (the one client it lets in). The agent reads the file's relative key
/// paths from ``directory`` (``DemoLaunch``). The demo's own clients take their keys from memory;
/// the unknown client's pair is never written anywhere. ``remove()`` deletes it all at exit.
public struct DemoKeys: Sendable {
    /// The private directory the relative key paths of examples/demo.yml are read from.
    public let directory: String
    /// The `reports` tap's pair (the agent is its CURVE server).
    let agent: CurveKeyPair
    /// The client the tap's `allowed_clients` lists.
    let reporter: CurveKeyPair
    private let files: [String]

    /// The subdirectory and file prefixes examples/demo.yml names.
    static let subdirectory = "demo-keys"
    static let agentPrefix = "agent.key"
    static let reporterPrefix = "reporter.key"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Makes both pairs and writes them; on failure nothing is left behind.
    public static func create() throws(Failure) -> DemoKeys {
        guard ZMQ.has("curve") else {
            throw Failure(description: "the demo's reports tap needs CURVE, and libzmq \(ZMQ.versionString) was built without it")
        }
        let directory: String
        switch Files.makePrivateTemporaryDirectory(prefix: "zmq-exporter-demo.") {
        case .success(let path): directory = path
        case .failure(let problem): throw Failure(description: "cannot make a directory for the demo's CURVE keys: \(problem.message)")
        }
        var written: [String] = []
        do throws(Failure) {
            let keys = Path.join(directory, subdirectory)
            if case .failure(let problem) = Files.makeDirectory(keys, mode: 0o700) {
                throw Failure(description: problem.message)
            }
            written.append(keys)
            let agent = try generate()
            let reporter = try generate()
            for (pair, prefix) in [(agent, agentPrefix), (reporter, reporterPrefix)] {
                do throws(CurveKeygen.Failure) {
                    let paths = try CurveKeygen.write(pair, prefix: Path.join(keys, prefix), generatedBy: "zmq-exporter demo")
                    written += [paths.secretPath, paths.publicPath]
                } catch {
                    throw Failure(description: error.description)
                }
            }
            return DemoKeys(directory: directory, agent: agent, reporter: reporter, files: written.reversed() + [directory])
        } catch {
            for path in written.reversed() + [directory] { Files.remove(path) }
            throw Failure(description: "cannot write the demo's CURVE keys: \(error.description)")
        }
    }

    private static func generate() throws(Failure) -> CurveKeyPair {
        do {
            return try CurveKeyPair.generate()
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// Deletes the key files and the directory; false when something could not be removed.
    @discardableResult
    public func remove() -> Bool {
        files.map { Files.remove($0) }.allSatisfy { $0 }
    }
}
