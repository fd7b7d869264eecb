import Testing
import ZeroMQ

@Suite struct VersionTests {
    @Test func runtimeVersionIsLibzmq43() {
        let version = ZMQ.version
        #expect(version.major == 4)
        #expect(version.minor == 3)
        #expect(version.patch >= 0)
        #expect(ZMQ.versionString == "\(version.major).\(version.minor).\(version.patch)")
        #expect(ZMQ.versionString.hasPrefix("4.3."))
    }

    @Test func capabilitiesMatchWhatTheLibraryCanDo() throws {
        #expect(ZMQ.has("ipc"))
        #expect(!ZMQ.has("no-such-capability"))
        // CURVE is reported exactly when key generation works.
        if ZMQ.has("curve") {
            let keys = try CurveKeyPair.generate()
            #expect(keys.publicKey.count == 32)
            #expect(keys.secretKey.count == 32)
            #expect(keys.publicKey != keys.secretKey)
        } else {
            #expect(throws: ZMQError.self) { _ = try CurveKeyPair.generate() }
        }
    }
}
