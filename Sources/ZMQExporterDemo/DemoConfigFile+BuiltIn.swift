import ZMQExporter
extension DemoConfigFile {
    /// A copy of examples/demo.yml, byte for byte, for a binary run away from its source tree.
    /// Edit the file, then copy it here; `test_demo.py` fails until both agree.
    public static let builtIn = #"""
# The agent's configuration for `zmq-exporter demo`: the demo reads this file (or, when it cannot
# find it, a built-in copy that a test keeps byte-for-byte equal to it), so what you read is what runs.
#
# The demo system is the task-distribution system of the "ZeroMQ in practice" article: a producer
# PUSHes tasks to 3 workers, which PUSH results to a collector and PUBlish lifecycle events; a Lazy
# Pirate REQ client calls a REP service with 2 workers. Here the agent sits in the middle as three
# proxies and watches with a tap and a probe; a second tap takes CURVE-encrypted status reports:
#
#   producer PUSH -> [tasks PULL|PUSH] -> 3 workers PULL -> collector PULL
#   producer + workers PUB -> [events XSUB|XPUB] -> event-tap SUB
#   Lazy Pirate client REQ, service-probe REQ -> [service ROUTER|DEALER] -> 2 REP workers
#   reporter PUSH (CURVE, key listed), unknown-key client PUSH (CURVE, refused) -> [reports PULL]
#
# The ports are those of the default --demo.port-base 15550, so this file is a config like any
# other (`zmq-exporter check-config examples/demo.yml` passes once the reports socket's keys are
# made, as its comment below says). With another base N the demo moves
# each endpoint tcp://127.0.0.1:1555K to port N+K before the agent reads it:
#   tasks frontend   15550    events frontend  15552    service frontend  15554    reports  15556
#   tasks backend    15551    events backend   15553    service backend   15555
# (the demo's result collector binds N+7). With --demo.port-base 0 the sockets that bind these
# endpoints bind free ports first and the endpoints get the ports they were given. Each of these
# seven endpoints must appear in a `bind`, because that is where the demo system connects.
#
# Faults, every 36 s: a misconfigured peer keeps connecting to the tasks frontend with the wrong
# socket type (PUB) or the wrong security mechanism (CURVE); a pipeline worker crashes and comes
# back; both REP workers go silent for longer than the probe timeout and the proxy's request_timeout.
# All the time: a client with a CURVE key nobody listed tries the reports tap every 5 s.
sockets:
  # The pipeline stage between the producer and the workers. min_peers: the 3 workers.
  - name: tasks
    role: proxy
    frontend: {type: PULL, bind: ["tcp://127.0.0.1:15550"]}
    backend: {type: PUSH, bind: ["tcp://127.0.0.1:15551"], min_peers: 3}

  # The event bus: publishers connect PUB to the XSUB frontend, subscribers SUB to the XPUB backend.
  - name: events
    role: proxy
    frontend: {type: XSUB, bind: ["tcp://127.0.0.1:15552"], min_peers: 4}
    backend: {type: XPUB, bind: ["tcp://127.0.0.1:15553"]}

  # Counts events by their "event" field; "time" (ms since the epoch) gives each event's age.
  - name: event-tap
    role: tap
    type: SUB
    connect: ["tcp://127.0.0.1:15553"]
    subscribe: [""]
    decode: json
    labels: {event: event}
    timestamp: {field: time, unit: ms}
    reconnect_ivl: 100ms
    reconnect_ivl_max: 2s

  # The request/reply service. A request unanswered for 3 s is counted as unanswered.
  - name: service
    role: proxy
    frontend: {type: ROUTER, bind: ["tcp://127.0.0.1:15554"]}
    backend: {type: DEALER, bind: ["tcp://127.0.0.1:15555"], min_peers: 2}
    request_timeout: 3s

  # Checks the service the way its clients use it; the REP workers answer "ping" with "OK ping".
  - name: service-probe
    role: probe
    type: REQ
    connect: ["tcp://127.0.0.1:15554"]
    interval: 2s
    timeout: 1s
    retries: 1
    request: "ping"
    expect: "OK ping"

  # CURVE (docs/curve.md): encrypted status reports from the one client whose key is listed. The
  # demo's unknown-key client is refused by the agent's ZAP handler (status 400), which shows as
  # zmq_socket_handshake_failures_total{reason="zap_400"} and the ZeroMQHandshakeAuthFailures alert.
  # The key paths are relative, and `zmq-exporter demo` reads them from a private directory it
  # makes at each start ($TMPDIR/zmq-exporter-demo.XXXXXX, mode 0700, secret files 0600, removed at
  # exit) holding fresh keys under these names: no key is ever kept in the repository. To run this
  # file with the agent itself, make the keys beside it first (examples/demo-keys/ is git-ignored):
  #   mkdir -m 700 examples/demo-keys
  #   zmq-exporter curve-keygen --out examples/demo-keys/agent.key
  #   zmq-exporter curve-keygen --out examples/demo-keys/reporter.key
  - name: reports
    role: tap
    type: PULL
    bind: ["tcp://127.0.0.1:15556"]
    curve:
      server: true
      secret_key_file: demo-keys/agent.key_secret
      allowed_clients: [demo-keys/reporter.key]

"""#
}
