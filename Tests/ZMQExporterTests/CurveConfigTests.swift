import Foundation
import Posix
import Testing
@testable import ZMQExporter
import ZeroMQ

/// `curve:` in the config: every problem is one `file:line:column` error naming the key or file.
@Suite(.enabled(if: ZMQ.has("curve"), "libzmq was built without CURVE"))
struct CurveConfigTests {
    func errors(_ yaml: String, in keys: KeyDirectory) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml, file: keys.configFile)
            return []
        } catch {
            return error.errors.map { $0.description.replacingOccurrences(of: keys.path + "/", with: "") }
        }
    }

    func probe(_ curve: String) -> String {
        """
        sockets:
          - name: ping
            role: probe
            type: REQ
            connect: ["tcp://127.0.0.1:5555"]
            curve: \(curve)
        """
    }

    @Test func keysLoadFromRelativeZcertFiles() throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let client = try keys.pair("client")
        let config = try ConfigLoader.parse(probe("{server_key: server.key, secret_key_file: client.key_secret}"), file: keys.configFile)
        guard case .probe(let probe) = config.sockets[0].role else { Issue.record("not a probe"); return }
        #expect(probe.socket.curve == CurveConfig(mode: .client(serverKey: server.publicCurveKey), publicKey: client.publicCurveKey, secretKey: client.secretCurveKey))
    }

    @Test func relativeKeyPathsReadFromTheGivenBaseDirectoryInsteadOfTheFilesOne() throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let client = try keys.pair("client")
        // The file is named elsewhere (as the demo names examples/demo.yml); errors still name it.
        let config = try ConfigLoader.parse(probe("{server_key: server.key, secret_key_file: client.key_secret}"),
                                            file: "/nowhere/demo.yml", baseDirectory: keys.path)
        guard case .probe(let ping) = config.sockets[0].role else { Issue.record("not a probe"); return }
        #expect(ping.socket.curve == CurveConfig(mode: .client(serverKey: server.publicCurveKey), publicKey: client.publicCurveKey, secretKey: client.secretCurveKey))
        #expect(throws: ConfigErrors.self) {
            try ConfigLoader.parse(probe("{server_key: server.key, secret_key_file: client.key_secret}"), file: "/nowhere/demo.yml")
        }
    }

    @Test func badZ85ServerKeyIsAnError() throws {
        let keys = try KeyDirectory()
        try keys.pair("client")
        #expect(errors(probe("{server_key: \"abc\", secret_key_file: client.key_secret}"), in: keys) == [
            "test.yml:6:25: probe 'ping': server_key 'abc' is neither a Z85 key (a Z85 key has 40 characters, not 3) nor a key file (cannot read the file: No such file or directory)",
        ])
        let forty = String(repeating: "a", count: 39) + "~"
        #expect(errors(probe("{server_key: \"\(forty)\", secret_key_file: client.key_secret}"), in: keys) == [
            "test.yml:6:25: probe 'ping': server_key '\(forty)' is neither a Z85 key ('~' is not a Z85 character) nor a key file (cannot read the file: No such file or directory)",
        ])
    }

    @Test func secretKeyFileReadableByOthersIsRefused() throws {
        let keys = try KeyDirectory()
        let pair = try CurveKeyPair.generate()
        try keys.write("open.key_secret", ZCert.secretText(publicKey: pair.publicCurveKey, secretKey: pair.secretCurveKey, generatedBy: "test"), mode: 0o644)
        #expect(errors(probe("{server_key: \"\(pair.publicCurveKey.z85)\", secret_key_file: open.key_secret}"), in: keys) == [
            "test.yml:6:86: probe 'ping': secret_key_file 'open.key_secret' is readable or writable by group or others (mode 0644); run chmod 600 on it",
        ])
    }

    @Test func missingSecretKeyFileIsAnError() throws {
        let keys = try KeyDirectory()
        let pair = try CurveKeyPair.generate()
        #expect(errors(probe("{server_key: \"\(pair.publicCurveKey.z85)\", secret_key_file: nowhere.key_secret}"), in: keys) == [
            "test.yml:6:86: probe 'ping': secret_key_file 'nowhere.key_secret': cannot read the file: No such file or directory",
        ])
    }

    @Test func publicCertificateAsSecretKeyFileIsAnError() throws {
        let keys = try KeyDirectory()
        let pair = try keys.pair("server")
        try keys.write("public-only", ZCert.publicText(pair.publicCurveKey, generatedBy: "test"), mode: 0o600)
        #expect(errors(probe("{server_key: server.key, secret_key_file: public-only}"), in: keys) == [
            "test.yml:6:54: probe 'ping': secret_key_file 'public-only' has no secret-key in its curve section (is it the public certificate? the secret one ends in _secret)",
        ])
    }

    @Test func serverNeedsAllowedClientsAndClientNeedsServerKey() throws {
        let keys = try KeyDirectory()
        try keys.pair("server")
        #expect(errors(probe("{server: true, secret_key_file: server.key_secret}"), in: keys) == [
            "test.yml:6:12: probe 'ping': a CURVE server needs 'allowed_clients': the client public keys it accepts (Z85 or zcert files)",
        ])
        #expect(errors(probe("{secret_key_file: server.key_secret}"), in: keys) == [
            "test.yml:6:12: probe 'ping': a CURVE client needs 'server_key' (the server's public key, Z85 or a zcert file), or 'server: true' for a server",
        ])
    }

    @Test func zcertFromPyzmqIsRead() throws {
        // As pyzmq 27's zmq.auth.create_certificates writes it.
        let text = """
            #   ****  Generated on 2026-12-01 21:00:00.000000 by pyzmq  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
            curve
                public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
                secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

            """
        let cert = try ZCert.parse(text)
        #expect(cert.publicKey?.z85 == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
        #expect(cert.secretKey?.z85 == "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
        #expect(try cert.secretKey?.publicKey() == cert.publicKey)
        #expect(throws: ZCert.ParseError(line: 3, message: "public-key is not a Z85 key: a Z85 key has 40 characters, not 5")) {
            try ZCert.parse("curve\n#   a comment\n    public-key = \"short\"\n")
        }
    }

    @Test func keygenWritesModesAndRefusesToOverwrite() throws {
        let keys = try KeyDirectory()
        let written = try CurveKeygen.write(prefix: "\(keys.path)/agent.key")
        #expect(written.publicPath == "\(keys.path)/agent.key" && written.secretPath == "\(keys.path)/agent.key_secret")
        #expect(try Files.permissions(written.publicPath).get() == 0o644)
        #expect(try Files.permissions(written.secretPath).get() == 0o600)
        #expect(throws: CurveKeygen.Failure.self) { try CurveKeygen.write(prefix: "\(keys.path)/agent.key") }
    }
}

extension CurveConfigTests {
    @Test func summaryShowsPublicKeysNeverTheSecret() throws {
        let keys = try KeyDirectory()
        let server = try keys.pair("server")
        let client = try keys.pair("client")
        let config = try ConfigLoader.parse("""
            sockets:
              - name: jobs
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:5555"]
                curve: {server: true, secret_key_file: server.key_secret, allowed_clients: [client.key]}
            """, file: keys.configFile)
        let line = ConfigSummary.line(config.sockets[0])
        #expect(line == "jobs: tap PULL bind tcp://127.0.0.1:5555 (curve server \(server.publicCurveKey.z85) (1 allowed client))")
        #expect(!line.contains(server.secretCurveKey.z85) && !"\(config)".contains(server.secretCurveKey.z85))
        _ = client
    }
}

/// ZCert.parse on damaged certificates: it throws or returns keys that are 32 bytes, never
/// traps (a stand-in for a fuzzer: the parser is small and sees only files the operator names).
@Suite struct ZCertDamageTests {
    @Test func damagedCertificatesNeverTrap() throws {
        let pair = try CurveKeyPair.generate()
        let good = Array(ZCert.secretText(publicKey: pair.publicCurveKey, secretKey: pair.secretCurveKey, generatedBy: "test").utf8)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(" \t\r\n#=\"'curvepublic-keysecret-keymetadata0aZ%.:é".utf8)
        for _ in 0..<5_000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: index)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
                }
                if bytes.isEmpty { bytes = [0x0A] }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let cert = try? ZCert.parse(text) {
                #expect(cert.publicKey.map { $0.bytes.count == 32 } ?? true)
                #expect(cert.secretKey.map { $0.bytes.count == 32 } ?? true)
            }
        }
        #expect(try ZCert.parse(String(decoding: good, as: UTF8.self)) == ZCert(publicKey: pair.publicCurveKey, secretKey: pair.secretCurveKey))
    }
}
