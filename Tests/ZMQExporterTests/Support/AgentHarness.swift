import Foundation
import Logging
import Testing
import ZMQExporter
import ZeroMQ

// Starting an agent on an in-memory config and waiting, with deadlines, for what it exports.

/// A wait that reached its deadline.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every few milliseconds until it holds; throws ``TimedOut`` after `within`.
func waitUntil(_ what: String, within: Duration = .seconds(10), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + within
    while true {
        if try condition() { return }
        if ContinuousClock.now >= deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A series and the value it must reach.
struct Expectation: CustomStringConvertible {
    let name: String
    let labels: [String: String]
    let value: Double

    init(_ name: String, _ labels: [String: String], _ value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    var description: String { Sample(name: name, labels: labels, value: value).description }
}

/// Parses `yaml` (as if read from `file`: relative paths in it resolve against its directory),
/// starts an agent on it and waits until every socket is set up.
/// The caller stops the agent (`defer { agent.stop() }`).
/// `loops`: how many socket loops run the taps and probes (the agent's default when nil).
func startAgent(_ yaml: String, file: String = "test.yml", loops: Int? = nil, within: Duration = .seconds(10)) async throws -> Agent {
    let config = try ConfigLoader.parse(yaml, file: file)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let agent = try Agent(configPath: nil, logger: logger, context: try Context(maxSockets: .max), loops: loops)
    agent.start(config)
    do {
        try await waitUntil("the agent to be ready", within: within) { agent.isReady }
    } catch {
        agent.stop()
        throw error
    }
    return agent
}

extension Agent {
    /// The running socket called `name`.
    func runner(_ name: String) throws -> any SocketRunnerStatus {
        guard let runner = sockets.first(where: { $0.config.name == name }) else { throw TimedOut(what: "a socket named \(name)") }
        return runner
    }

    /// The first endpoint socket `name` bound or connected on `side` (0 frontend, 1 backend), as
    /// libzmq resolved it: `tcp://127.0.0.1:*` comes back with its port.
    func endpoint(_ name: String, side: Int = 0) throws -> String {
        let sides = try runner(name).resolvedEndpoints
        guard side < sides.count, let endpoint = sides[side].first?.endpoint else {
            throw TimedOut(what: "a resolved endpoint of \(name) side \(side)")
        }
        return endpoint
    }

    /// Waits until the series reach their values, then checks each one exactly, so a counter
    /// that overshoots fails as surely as one that never arrives.
    func expectValues(_ expected: [Expectation], within: Duration = .seconds(15),
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + within
        var scrape = scrape()
        while ContinuousClock.now < deadline, !expected.allSatisfy({ scrape.value($0.name, $0.labels) == $0.value }) {
            try await Task.sleep(for: .milliseconds(20))
            scrape = self.scrape()
        }
        for item in expected {
            let actual = scrape.value(item.name, item.labels)
            #expect(actual == item.value, "\(item) but got \(actual.map { "\($0)" } ?? "no series")", sourceLocation: sourceLocation)
        }
    }

    /// Waits until the series is at least `minimum`; returns the scrape that showed it.
    @discardableResult
    func waitForValue(_ name: String, _ labels: [String: String], atLeast minimum: Double,
                      within: Duration = .seconds(15)) async throws -> Scrape {
        var last = scrape()
        try await waitUntil("\(Sample(name: name, labels: labels, value: minimum)) or more") {
            last = scrape()
            return (last.value(name, labels) ?? -1) >= minimum
        }
        return last
    }
}
