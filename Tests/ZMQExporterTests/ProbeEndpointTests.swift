import Testing
@testable import ZMQExporter
import ZeroMQ

/// `/probe`'s pieces that need no socket: modules in the config, the query, the timeout.
@Suite struct ProbeEndpointTests {
    @Test func aConfigMayHoldOnlyModules() throws {
        let config = try ConfigLoader.parse("""
            sockets: []
            modules:
              echo: {type: DEALER, request: hi, expect: hi, timeout: 1s500ms}
              plain: {}
            """)
        #expect(config.sockets.isEmpty)
        #expect(config.modules.map(\.name) == ["echo", "plain"])
        #expect(config.modules[0].type == .dealer && config.modules[0].timeout == .milliseconds(1500))
        #expect(config.modules[0].expect == Array("hi".utf8))
        #expect(config.modules[1].type == .req && config.modules[1].expect == nil)
    }

    @Test func aBadModuleSaysWhichAndWhere() {
        #expect(throws: ConfigErrors.self) {
            try ConfigLoader.parse("sockets: []\nmodules:\n  echo: {type: SUB, timout: 1s}\n")
        }
        do {
            _ = try ConfigLoader.parse("sockets: []\nmodules:\n  echo: {type: SUB, timout: 1s}\n", file: "m.yml")
        } catch {
            #expect(error.description == """
                m.yml:3:16: module 'echo': type SUB does not fit here (use one of REQ, DEALER)
                m.yml:3:21: unknown key 'timout' in module 'echo': did you mean 'timeout'?
                """)
        }
    }

    @Test func queriesAreDecodedAsURLsEncodeThem() {
        #expect(QueryString.parse("module=echo&target=tcp%3A%2F%2F127.0.0.1%3A5555&module=x")
                == ["module": "echo", "target": "tcp://127.0.0.1:5555"])
        #expect(QueryString.parse("a=b+c&d") == ["a": "b c", "d": ""])
        #expect(QueryString.parse("target=%zz") == nil)
    }

    @Test func theTimeoutIsTheModulesOrTheScrapeTimeoutLessHalfASecond() {
        #expect(ProbeEndpoint.timeout(module: .seconds(5), scrapeTimeoutHeader: nil) == .seconds(5))
        #expect(ProbeEndpoint.timeout(module: .seconds(5), scrapeTimeoutHeader: "2") == .milliseconds(1500))
        #expect(ProbeEndpoint.timeout(module: .seconds(1), scrapeTimeoutHeader: "10") == .seconds(1))
        #expect(ProbeEndpoint.timeout(module: .seconds(1), scrapeTimeoutHeader: "0.2") == .milliseconds(10))
        #expect(ProbeEndpoint.timeout(module: .seconds(1), scrapeTimeoutHeader: "soon") == .seconds(1))
    }

    @Test func targetsAreTcpOrIpcConnectEndpoints() {
        #expect(ProbeEndpoint.targetProblem("tcp://127.0.0.1:5555") == nil)
        #expect(ProbeEndpoint.targetProblem("ipc:///run/x.sock") == nil)
        #expect(ProbeEndpoint.targetProblem("inproc://agent") != nil)
        #expect(ProbeEndpoint.targetProblem("tcp://*:5555") != nil)
        #expect(ProbeEndpoint.targetProblem("127.0.0.1:5555") != nil)
    }
}
