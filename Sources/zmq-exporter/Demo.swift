import ArgumentParser
import ZMQExporter

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run a small ZeroMQ system under the agent (not built yet).")
    func run() throws {
        print("zmq-exporter demo: not built yet")
        throw ExitCode(1)
    }
}
