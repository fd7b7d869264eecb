import ArgumentParser
import Logging
import ZMQExporter
import ZeroMQ

/// Flags shared by the agent and the demo, named as in the Prometheus exporters.
struct WebOptions: ParsableArguments {
    @Option(name: .customLong("web.listen-address"), help: "Address to listen on for the web interface and telemetry; repeat for several (e.g. :10027, 127.0.0.1:0, [::1]:10027).")
    var listenAddresses: [String] = []

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath = "/metrics"

    @Option(name: .customLong("web.max-requests"), help: "Maximum number of parallel scrape requests; 0 disables the limit.")
    var maxRequests = 40

    @Option(name: .customLong("log.level"), help: "Only log messages with the given severity or above: debug, info, warn, error.")
    var logLevel = "info"

    @Option(name: .customLong("log.format"), help: "Output format of log messages: logfmt or json.")
    var logFormat = "logfmt"

    func validate() throws {
        guard ["debug", "info", "warn", "error"].contains(logLevel) else {
            throw ValidationError("--log.level must be debug, info, warn or error, not '\(logLevel)'")
        }
        guard ExporterLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format must be logfmt or json, not '\(logFormat)'")
        }
        guard telemetryPath.hasPrefix("/") else { throw ValidationError("--web.telemetry-path must start with /") }
        guard maxRequests >= 0 else { throw ValidationError("--web.max-requests must be 0 or more") }
    }

    func makeLogger() -> Logger {
        let level: Logger.Level = switch logLevel {
        case "debug": .debug
        case "warn": .warning
        case "error": .error
        default: .info
        }
        let format = ExporterLogHandler.Format(rawValue: logFormat) ?? .logfmt
        return Logger(label: "zmq-exporter") { label in ExporterLogHandler(label: label, level: level, format: format) }
    }

    func serviceOptions(defaultAddress: String = ":10027") -> ExporterService.Options {
        var options = ExporterService.Options()
        options.listenAddresses = listenAddresses.isEmpty ? [defaultAddress] : listenAddresses
        options.telemetryPath = telemetryPath
        options.maxRequests = maxRequests
        return options
    }
}

@main
struct ZMQExporterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zmq-exporter",
        abstract: "Prometheus exporter and observability agent for ZeroMQ.",
        version: "zmq-exporter \(Agent.version) (libzmq \(ZMQ.versionString))",
        subcommands: [Run.self, CheckConfig.self, Demo.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the agent (the default).")

    @Option(name: .customLong("config.file"), help: "Path to the configuration file.")
    var configFile = "zmq-exporter.yml"

    @OptionGroup var web: WebOptions

    func run() throws {
        Lifecycle.blockSignals()
        let logger = web.makeLogger()
        let config: ExporterConfig
        do {
            config = try ConfigLoader.load(path: configFile)
        } catch {
            StandardStream.error.write("zmq-exporter: invalid config:\n\(error)\n")
            throw ExitCode(1)
        }
        Lifecycle.raiseFileLimit()
        let agent = try Agent(configPath: configFile, logger: logger)
        agent.start(config)
        let service = ExporterService(agent: agent, options: web.serviceOptions())
        try Lifecycle.serve(service, logger: logger)
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Check a configuration file and print a summary of each socket.")

    @Argument(help: "The configuration file.")
    var file: String

    func run() throws {
        do {
            let config = try ConfigLoader.load(path: file)
            for socket in config.sockets { print(ConfigSummary.line(socket)) }
            print("\(file): \(config.sockets.count) socket(s), OK")
        } catch {
            StandardStream.error.write("\(error)\n")
            throw ExitCode(1)
        }
    }
}
