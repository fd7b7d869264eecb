import Testing
@testable import ZMQExporter

/// Every kind of config error, with its message and where it points (line:column, 1-based).
@Suite struct ConfigErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let kind: String
        let yaml: String
        let line: Int
        let column: Int
        let message: String
        /// Errors the file gives in all; more than one only where the mistake breaks two rules.
        var count = 1
        var testDescription: String { kind }
    }

    static let cases: [Case] = [
        Case(kind: "unknown key", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
                colour: red
            """, line: 6, column: 5,
            message: "socket 'a': unknown key 'colour' in a socket (known: backend, bind, buckets, connect, curve, decode, expect, frontend, heartbeat_ivl, heartbeat_timeout, heartbeat_ttl, interval, labels, linger, max_in_flight, max_label_values, max_series, min_peers, name, rcvhwm, reconnect_ivl, reconnect_ivl_max, request, request_timeout, retries, role, sndhwm, subscribe, timeout, timestamp, type)"),
        Case(kind: "unknown top-level key", yaml: """
            socket:
              - name: a
            """, line: 1, column: 1,
            // ...and so 'sockets' is missing too.
            message: "unknown key 'socket' in the top level: did you mean 'sockets'?", count: 2),
        Case(kind: "key of another role", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
                retries: 3
            """, line: 6, column: 14,
            message: "key 'retries' does not apply to a tap (socket 'a')"),
        Case(kind: "duplicate socket name", yaml: """
            sockets:
              - name: twin
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
              - name: twin
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5001]
            """, line: 6, column: 5,
            message: "duplicate socket name 'twin' (first at line 2)"),
        Case(kind: "type not for a tap", yaml: """
            sockets:
              - name: a
                role: tap
                type: PUB
                bind: [tcp://127.0.0.1:5000]
            """, line: 4, column: 11,
            message: "socket 'a': a tap's type PUB does not fit here (use one of SUB, PULL, PAIR, DEALER, ROUTER)"),
        Case(kind: "type not for a probe", yaml: """
            sockets:
              - name: p
                role: probe
                type: SUB
                connect: [tcp://127.0.0.1:5000]
            """, line: 4, column: 11,
            message: "socket 'p': a probe's type SUB does not fit here (use one of REQ, DEALER)"),
        Case(kind: "not a socket type", yaml: """
            sockets:
              - name: a
                role: tap
                type: SOCKET
                bind: [tcp://127.0.0.1:5000]
            """, line: 4, column: 11,
            message: "socket 'a': a tap's type 'SOCKET' is not a ZeroMQ socket type"),
        Case(kind: "endpoint scheme", yaml: """
            sockets:
              - name: a
                role: tap
                type: SUB
                connect: [udp://127.0.0.1:5000]
            """, line: 5, column: 14,
            message: "tap 'a': connect 'udp://127.0.0.1:5000' has an unsupported scheme 'udp': an endpoint is tcp://host:port, ipc://path or inproc://name"),
        Case(kind: "endpoint without port", yaml: """
            sockets:
              - name: a
                role: tap
                type: SUB
                connect: tcp://127.0.0.1
            """, line: 5, column: 14,
            message: "tap 'a': connect 'tcp://127.0.0.1' has no port: an endpoint is tcp://host:port, ipc://path or inproc://name"),
        Case(kind: "endpoint port out of range", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:70000"]
            """, line: 5, column: 12,
            message: "tap 'a': bind 'tcp://127.0.0.1:70000' has an invalid port '70000' (1-65535, or * to let libzmq pick one)"),
        Case(kind: "wildcard port on connect", yaml: """
            sockets:
              - name: a
                role: tap
                type: SUB
                connect: ["tcp://127.0.0.1:*"]
            """, line: 5, column: 14,
            message: "tap 'a': connect 'tcp://127.0.0.1:*': port * is for bind only"),
        Case(kind: "endpoint without scheme", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [127.0.0.1:5000]
            """, line: 5, column: 12,
            message: "tap 'a': bind '127.0.0.1:5000' has no scheme: an endpoint is tcp://host:port, ipc://path or inproc://name"),
        Case(kind: "no endpoint", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
            """, line: 2, column: 5,
            message: "tap 'a' needs at least one 'bind' or 'connect' endpoint"),
        Case(kind: "proxy pair", yaml: """
            sockets:
              - name: p
                role: proxy
                frontend: {type: ROUTER, bind: [tcp://127.0.0.1:5000]}
                backend: {type: PUSH, bind: [tcp://127.0.0.1:5001]}
            """, line: 4, column: 15,
            message: "proxy 'p' pairs ROUTER/PUSH: use one of ROUTER/DEALER, XSUB/XPUB, PULL/PUSH"),
        Case(kind: "proxy pair reversed", yaml: """
            sockets:
              - name: p
                role: proxy
                frontend: {type: XPUB, bind: [tcp://127.0.0.1:5000]}
                backend: {type: XSUB, bind: [tcp://127.0.0.1:5001]}
            """, line: 4, column: 15,
            message: "proxy 'p' pairs XPUB/XSUB: use one of ROUTER/DEALER, XSUB/XPUB, PULL/PUSH"),
        Case(kind: "duration", yaml: """
            sockets:
              - name: p
                role: probe
                type: REQ
                connect: [tcp://127.0.0.1:5000]
                interval: 5 seconds
            """, line: 6, column: 15,
            message: "socket 'p': interval '5 seconds' is not a duration like 250ms, 5s, 1m30s or 2h"),
        Case(kind: "bare number duration", yaml: """
            sockets:
              - name: p
                role: probe
                type: REQ
                connect: [tcp://127.0.0.1:5000]
                timeout: 250
            """, line: 6, column: 14,
            message: "socket 'p': timeout '250' is not a duration like 250ms, 5s, 1m30s or 2h"),
        Case(kind: "missing name", yaml: """
            sockets:
              - role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
            """, line: 2, column: 5,
            message: "a socket needs a 'name'"),
        Case(kind: "bad name", yaml: """
            sockets:
              - name: 9lives
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
            """, line: 2, column: 11,
            message: "socket name '9lives' must match [a-zA-Z_][a-zA-Z0-9_-]*"),
        Case(kind: "name with a dot", yaml: """
            sockets:
              - name: a.frontend
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
            """, line: 2, column: 11,
            message: "socket name 'a.frontend' must match [a-zA-Z_][a-zA-Z0-9_-]*"),
        Case(kind: "missing role", yaml: """
            sockets:
              - name: a
                type: PULL
                bind: [tcp://127.0.0.1:5000]
            """, line: 2, column: 5,
            message: "socket 'a' needs a 'role': tap, probe or proxy"),
        Case(kind: "labels without decode", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
                labels: {event: event}
            """, line: 6, column: 13,
            message: "socket 'a': labels need 'decode: json'"),
        Case(kind: "invalid YAML", yaml: """
            sockets:
              - name: a
                role: [tap
            """, line: 3, column: 11,
            message: "invalid YAML: the list '[...]' opened here is not closed"),
        Case(kind: "plain null where text belongs", yaml: """
            sockets:
              - name: a
                role: tap
                type: SUB
                connect: [tcp://127.0.0.1:5000]
                subscribe: ~
            """, line: 6, column: 16,
            message: "socket 'a': subscribe is null ('~'); quote it if you mean the text"),
        Case(kind: "empty file", yaml: "", line: 1, column: 1,
            message: "the file is empty: expected a mapping with 'sockets'"),
        Case(kind: "sockets not a list", yaml: "sockets: {name: a}", line: 1, column: 10,
            message: "'sockets' must be a list"),
        Case(kind: "option out of libzmq's range", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
                heartbeat_ttl: 2h
            """, line: 6, column: 20,
            message: "socket 'a': heartbeat_ttl must be between 0 and 6553599 ms, not 7200000"),
        Case(kind: "label combinations beyond an Int", yaml: """
            sockets:
              - name: a
                role: tap
                type: SUB
                connect: [tcp://127.0.0.1:5000]
                decode: json
                labels: {a: a, b: b, c: c, d: d, e: e, f: f, g: g, h: h, i: i, j: j}
            """, line: 7, column: 13,
            message: "socket 'a': 10 labels with max_label_values 100 allow too many combinations; use fewer labels or a lower max_label_values"),
        Case(kind: "two sockets bind one endpoint", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
              - name: b
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*", tcp://127.0.0.1:5000]
            """, line: 9, column: 33,
            message: "tap 'b': bind tcp://127.0.0.1:5000 clashes with the bind of tap 'a' at line 5: both cannot listen there"),
        Case(kind: "both sides of a proxy bind one port", yaml: """
            sockets:
              - name: p
                role: proxy
                frontend: {type: PULL, bind: ["tcp://*:5000"]}
                backend: {type: PUSH, bind: ["tcp://127.0.0.1:5000"]}
            """, line: 5, column: 34,
            message: "proxy 'p' backend: bind tcp://127.0.0.1:5000 clashes with the bind of proxy 'p' frontend at line 4 (tcp://*:5000): both cannot listen there"),
        Case(kind: "two sockets bind one ipc path", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: ipc:///tmp/x.sock
              - name: b
                role: tap
                type: PULL
                bind: ipc:///tmp/x.sock
            """, line: 9, column: 11,
            message: "tap 'b': bind ipc:///tmp/x.sock clashes with the bind of tap 'a' at line 5: both cannot listen there"),
        Case(kind: "misspelt key", yaml: """
            sockets:
              - name: a
                role: tap
                type: PULL
                conect: [tcp://127.0.0.1:5000]
            """, line: 5, column: 5,
            // ...and so the socket has no endpoint either.
            message: "socket 'a': unknown key 'conect' in a socket: did you mean 'connect'?", count: 2),
    ]

    @Test(arguments: cases)
    func errorKind(_ c: Case) {
        do {
            let config = try ConfigLoader.parse(c.yaml, file: "bad.yml")
            Issue.record("accepted: \(config)")
        } catch {
            let wanted = ConfigError(file: "bad.yml", line: c.line, column: c.column, message: c.message)
            #expect(error.errors.contains(wanted), "wanted \(wanted)\ngot:\n\(error)")
            // One mistake, one error: the same problem is not reported twice.
            #expect(error.errors.count == c.count, "\(error)")
            #expect(error.description.contains("bad.yml:\(c.line):\(c.column): \(c.message)"))
        }
    }

    @Test func errorsComeInFileOrderWhicheverCheckFoundThem() {
        let yaml = """
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
              - name: b
                role: tap
                type: PULL
                bind: [tcp://127.0.0.1:5000]
              - name: c
                role: probe
                type: REQ
                connect: [tcp://127.0.0.1:5001]
                interval: soon
            """
        #expect(throws: ConfigErrors.self) { try ConfigLoader.parse(yaml) }
        do {
            _ = try ConfigLoader.parse(yaml, file: "f.yml")
        } catch {
            #expect(error.errors.map(\.line) == [9, 14])
            #expect(error.errors.allSatisfy { $0.message.contains("'b'") || $0.message.hasPrefix("socket 'c': ") })
        }
    }

    @Test func aMissingFileSaysSoWithoutAPosition() {
        do {
            _ = try ConfigLoader.load(path: "/no/such/zmq-exporter.yml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description == "cannot open /no/such/zmq-exporter.yml: No such file or directory")
        }
    }

    @Test func bindsThatDoNotClashAreAccepted() throws {
        let config = try ConfigLoader.parse("""
            sockets:
              - name: a
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*", tcp://127.0.0.1:5000, "tcp://*:0"]
              - name: b
                role: tap
                type: PULL
                bind: ["tcp://127.0.0.1:*", tcp://127.0.0.2:5000, tcp://127.0.0.1:5001, ipc:///tmp/y.sock, "tcp://*:0"]
                connect: [tcp://127.0.0.1:5000]
            """)
        #expect(config.sockets.count == 2)
    }

    @Test func everyErrorOfAFileIsReported() {
        let yaml = """
            sockets:
              - name: a
                role: tap
                type: PUB
                bind: [tcp://127.0.0.1:5000]
              - name: b
                role: probe
                type: REQ
                connect: [tcp://127.0.0.1:5001]
                interval: soon
              - name: a
                role: proxy
                frontend: {type: PULL, bind: [tcp://127.0.0.1:5002]}
                backend: {type: DEALER, bind: [tcp://127.0.0.1:5003]}
            """
        do {
            _ = try ConfigLoader.parse(yaml, file: "many.yml")
            Issue.record("accepted a bad file")
        } catch {
            #expect(error.errors.map(\.line) == [4, 10, 13], "\(error)")
            #expect(error.description.split(separator: "\n").count == 3)
        }
    }

    @Test func unreadableFileIsAnError() {
        #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: "/nonexistent/zmq-exporter.yml") }
    }
}
