import Glibc
import HTTPServer
import Logging
import Posix
import ZMQExporter
import ZeroMQ

/// `zmq-exporter [run] [<flags>]`, `zmq-exporter check-config <file>`, `zmq-exporter demo [<flags>]`,
/// `zmq-exporter watch [<flags>] -- PROGRAM [ARGS...]`.
/// A command line that does not fit exits 2 with the reason and a pointer to --help; a config
/// or a start-up that fails exits 1.
@main
enum ZMQExporterCommand {
    static let program = "zmq-exporter"
    /// As the Prometheus exporters print it (`version X (branch: B, revision: R)`, then build
    /// facts), plus the libzmq this binary runs on.
    static let version = """
        zmq-exporter, version \(BuildInfo.version) (branch: \(BuildInfo.branch), revision: \(BuildInfo.revision))
          build date:       \(BuildInfo.buildDate)
          swift version:    \(BuildInfo.swiftVersion)
          libzmq version:   \(ZMQ.versionString)
          platform:         linux/\(architecture)
        """

    static var architecture: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
    static let commands: [(name: String, summary: String)] = [
        ("run", "Run the agent (the default when no command is given)."),
        ("check-config", "Check a configuration file and print a summary of each socket."),
        ("check-web-config", "Check a web configuration file (TLS, basic auth) without starting."),
        ("demo", "Run a small ZeroMQ system with scheduled faults under the agent, configured by examples/demo.yml."),
        ("watch", "Run a program with the zero-code preload library: watch [<flags>] -- PROGRAM [ARGS...]."),
        ("curve-keygen", CurveKeygenCommand.summary),
        ("help", "Show help for a command."),
    ]

    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var command = "run"
        if let first = arguments.first, commands.contains(where: { $0.name == first }) {
            command = first
            arguments.removeFirst()
        }
        if command == "help" {
            let topic = arguments.first ?? "run"
            if topic == "help" {
                StandardStream.output.write("usage: \(program) help [<command>]\n\nShow help for a command: \(commands.map(\.name).filter { $0 != "help" }.joined(separator: ", ")) (run when none is given).\n")
                exit(0)
            }
            guard commands.contains(where: { $0.name == topic }) else { usageFailure("unknown command '\(topic)'") }
            StandardStream.output.write(help(for: topic))
            exit(0)
        }
        // watch's program and its arguments follow "--" and are not ours to parse.
        var program: [String] = []
        if command == "watch", let dash = arguments.firstIndex(of: "--") {
            program = Array(arguments[(dash + 1)...])
            arguments.removeSubrange(dash...)
        }
        do {
            let parsed = try flags(for: command).parse(arguments)
            if parsed.helpRequested {
                StandardStream.output.write(help(for: command))
                exit(0)
            }
            if parsed.versionRequested {
                StandardStream.output.write(version + "\n")
                exit(0)
            }
            switch command {
            case "check-config": exit(try checkConfig(parsed))
            case "check-web-config": exit(try checkWebConfig(parsed))
            case "demo":
                var demo = try Demo(parsed)
                exit(demo.run())
            case "watch": exit(try Watch(parsed, program: program).run())
            case "curve-keygen": exit(try CurveKeygenCommand.run(parsed))
            default: exit(try run(parsed))
            }
        } catch {
            usageFailure(error.message)
        }
    }

    static func flags(for command: String) -> FlagSet {
        switch command {
        case "check-config":
            var flags = FlagSet(command: command, summary: "Check a configuration file and print a summary of each socket.")
            flags.positional = ("file", "The configuration file.")
            flags.value("web.config.file", default: "", placeholder: "FILE", help: "Also check this web configuration file (TLS, basic auth).")
            return flags
        case "check-web-config":
            var flags = FlagSet(command: command, summary: "Check a web configuration file (exporter-toolkit format) and the certificates it names.")
            flags.positional = ("file", "The web configuration file.")
            return flags
        case "demo":
            return Demo.flags
        case "watch":
            return Watch.flags
        case "curve-keygen":
            return CurveKeygenCommand.flags
        default:
            var flags = FlagSet(command: "", summary: "Prometheus exporter and observability agent for ZeroMQ.")
            flags.value("config.file", default: "zmq-exporter.yml", placeholder: "zmq-exporter.yml", help: "Path to the configuration file.")
            WebOptions.declare(in: &flags, defaultAddress: ":10027")
            flags.value("preload.dir", default: PreloadDirectory.defaultPath, placeholder: PreloadDirectory.defaultPath,
                        help: "Directory of the preload library's stats files (programs run by 'watch'), read at each scrape; empty: none.")
            flags.value("preload.max-processes", default: "200", placeholder: "200", help: "Most processes of --preload.dir exported; more are counted as over_limit.")
            flags.value("preload.grace", default: "5m", placeholder: "5m", help: "How long an exited process's last counts stay before its file is removed.")
            flags.value("preload.max-sockets", default: "50", placeholder: "50", help: "Most sockets of one process exported one by one; the rest are summed under socket=\"_other\".")
            flags.value("zmq.loops", default: "\(Agent.defaultLoops)", placeholder: "N",
                        help: "Socket-loop threads that run every tap and probe (default: one per core).")
            flags.value("zmq.io-threads", default: "\(Agent.defaultIOThreads)", placeholder: "N",
                        help: "libzmq I/O threads of the agent's context (ZMQ_IO_THREADS).")
            flags.value("zmq.max-sockets", default: "", placeholder: "N",
                        help: "libzmq sockets the agent's context may hold (ZMQ_MAX_SOCKETS; default: 12 per configured socket at start, at least \(Agent.minimumMaxSockets)).")
            return flags
        }
    }

    static func help(for command: String) -> String {
        flags(for: command).help(program: program, commands: command == "run" ? commands : [])
    }

    static func usageFailure(_ message: String) -> Never {
        StandardStream.error.write("\(program): error: \(message), try --help\n")
        exit(2)
    }

    static func run(_ parsed: FlagSet.Parsed) throws(UsageError) -> Int32 {
        var web = try WebOptions(parsed, defaultAddress: ":10027")
        let configFile = parsed.value("config.file")
        var preload: PreloadCollector.Options?
        let preloadDir = parsed.value("preload.dir")
        if !preloadDir.isEmpty {
            var options = PreloadCollector.Options()
            options.directory = preloadDir
            options.maxProcesses = try parsed.integer("preload.max-processes")
            options.maxSocketsPerProcess = try parsed.integer("preload.max-sockets")
            guard let grace = ConfigValues.duration(parsed.value("preload.grace")) else {
                throw UsageError("--preload.grace must be a duration such as 5m or 30s, not '\(parsed.value("preload.grace"))'")
            }
            options.grace = grace
            guard options.maxProcesses >= 1, options.maxSocketsPerProcess >= 1 else {
                throw UsageError("--preload.max-processes and --preload.max-sockets must be 1 or more")
            }
            preload = options
        }
        let loops = try parsed.integer("zmq.loops")
        let ioThreads = try parsed.integer("zmq.io-threads")
        guard (1...256).contains(loops), (1...64).contains(ioThreads) else {
            throw UsageError("--zmq.loops must be 1 to 256 and --zmq.io-threads 1 to 64")
        }
        var maxSockets: Int?
        if !parsed.value("zmq.max-sockets").isEmpty {
            maxSockets = try parsed.integer("zmq.max-sockets")
            guard let value = maxSockets, (16...65535).contains(value) else {
                throw UsageError("--zmq.max-sockets must be 16 to 65535")
            }
        }
        Lifecycle.blockSignals()
        let logger = web.makeLogger()
        do {
            try web.loadWebConfig()
        } catch {
            StandardStream.error.write("\(program): invalid web config:\n\(error)\n")
            return 1
        }
        let config: ExporterConfig
        do {
            config = try ConfigLoader.load(path: configFile)
        } catch {
            StandardStream.error.write("\(program): invalid config:\n\(error)\n")
            return 1
        }
        Lifecycle.raiseFileLimit()
        do {
            let agent = try Agent(configPath: configFile, logger: logger, loops: loops, ioThreads: ioThreads,
                                  maxSockets: maxSockets ?? Agent.maxSockets(for: config))
            agent.start(config)
            var serviceOptions = web.serviceOptions()
            serviceOptions.preload = preload
            let service = ExporterService(agent: agent, options: serviceOptions)
            try Lifecycle.serve(service, logger: logger)
            return 0
        } catch Lifecycle.ExitCodeError.listen {
            return 1  // serve has logged why
        } catch {
            StandardStream.error.write("\(program): \(error)\n")
            return 1
        }
    }

    static func checkConfig(_ parsed: FlagSet.Parsed) throws(UsageError) -> Int32 {
        let webConfig = parsed.value("web.config.file")
        if parsed.positional == nil && !webConfig.isEmpty { return checkWebConfig(webConfig) }
        guard let file = parsed.positional else { throw UsageError("required argument 'file' not provided") }
        if !webConfig.isEmpty && checkWebConfig(webConfig) != 0 { return 1 }
        do {
            let config = try ConfigLoader.load(path: file)
            for socket in config.sockets { StandardStream.output.write(ConfigSummary.line(socket) + "\n") }
            for module in config.modules { StandardStream.output.write(ConfigSummary.line(module) + "\n") }
            let modules = config.modules.isEmpty ? "" : ", \(config.modules.count) module(s)"
            StandardStream.output.write("\(file): \(config.sockets.count) socket(s)\(modules), OK\n")
            return 0
        } catch {
            StandardStream.error.write("\(error)\n")
            return 1
        }
    }
}

/// Flags shared by the agent and the demo, named as in the Prometheus exporters.
struct WebOptions {
    var listenAddresses: [String]
    var telemetryPath: String
    var maxRequests: Int
    var logLevel: Logger.Level
    var logFormat: ExporterLogHandler.Format
    var webConfigFile = ""
    var healthWithoutAuth = false
    var handshakeTimeout = Duration.seconds(10)
    var webSecurity: WebSecuritySetup?
    var readyRegardless: Bool
    var enableLifecycle: Bool

    static func declare(in flags: inout FlagSet, defaultAddress: String) {
        flags.repeated("web.listen-address", placeholder: defaultAddress, help: "Address to listen on for the web interface and telemetry; repeat for several (e.g. :10027, 127.0.0.1:0, [::1]:10027).")
        flags.value("web.telemetry-path", default: "/metrics", placeholder: "/metrics", help: "Path under which to expose metrics.")
        flags.value("web.max-requests", default: "40", placeholder: "40", help: "Maximum number of parallel scrape requests; 0 disables the limit.")
        flags.toggle("web.enable-lifecycle", help: "Enable POST /-/reload (without it the endpoint answers 403); SIGHUP reloads either way.")
        flags.toggle("web.ready-regardless", help: "Answer /-/ready with 200 even while a socket is down (a bind or connect failed and is being retried); the body still lists them.")
        flags.value("log.level", default: "info", placeholder: "info", help: "Only log messages with the given severity or above: debug, info, warn, error.")
        flags.value("log.format", default: "logfmt", placeholder: "logfmt", help: "Output format of log messages: logfmt or json.")
        declareSecurity(in: &flags)
    }

    init(_ parsed: FlagSet.Parsed, defaultAddress: String) throws(UsageError) {
        listenAddresses = parsed.values("web.listen-address")
        if listenAddresses.isEmpty { listenAddresses = [defaultAddress] }
        // Refused here, before any ZeroMQ socket is bound, rather than after the agent started.
        for address in listenAddresses {
            do {
                try ExporterService.validate(listenAddress: address)
            } catch {
                throw UsageError("--web.listen-address '\(address)': \(error)")
            }
        }
        telemetryPath = parsed.value("web.telemetry-path")
        guard telemetryPath.hasPrefix("/") else { throw UsageError("--web.telemetry-path must start with /") }
        maxRequests = try parsed.integer("web.max-requests")
        guard maxRequests >= 0 else { throw UsageError("--web.max-requests must be 0 or more") }
        switch parsed.value("log.level") {
        case "debug": logLevel = .debug
        case "info": logLevel = .info
        case "warn": logLevel = .warning
        case "error": logLevel = .error
        case let other: throw UsageError("--log.level must be debug, info, warn or error, not '\(other)'")
        }
        let format = parsed.value("log.format")
        guard let known = ExporterLogHandler.Format(rawValue: format) else {
            throw UsageError("--log.format must be logfmt or json, not '\(format)'")
        }
        logFormat = known
        webConfigFile = parsed.value("web.config.file")
        healthWithoutAuth = parsed.toggle("web.health-without-auth")
        let timeout = parsed.value("web.tls-handshake-timeout")
        guard let parsedTimeout = WebConfigLoader.duration(timeout), parsedTimeout > .zero else {
            throw UsageError("--web.tls-handshake-timeout must be a duration like 10s or 500ms, not '\(timeout)'")
        }
        handshakeTimeout = parsedTimeout
        readyRegardless = parsed.toggle("web.ready-regardless")
        enableLifecycle = parsed.toggle("web.enable-lifecycle")
    }

    func makeLogger() -> Logger {
        let (level, format) = (logLevel, logFormat)
        return Logger(label: "zmq-exporter") { label in ExporterLogHandler(label: label, level: level, format: format) }
    }

    func serviceOptions() -> ExporterService.Options {
        var options = ExporterService.Options()
        options.listenAddresses = listenAddresses
        options.telemetryPath = telemetryPath
        options.maxRequests = maxRequests
        options.webSecurity = webSecurity
        options.readyRegardless = readyRegardless
        options.enableLifecycle = enableLifecycle
        return options
    }
}
