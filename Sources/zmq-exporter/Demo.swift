import Logging
import Posix
import ZMQExporter
import ZMQExporterDemo

/// `zmq-exporter demo`: the seed article's task-distribution system, with faults, watched by the
/// agent through examples/demo.yml.
struct Demo {
    static var flags: FlagSet {
        var flags = FlagSet(command: "demo", summary: """
            Run a small ZeroMQ system with scheduled faults under the agent, configured by examples/demo.yml.

            A producer, 3 pipeline workers, a result collector, an event bus, a REP service with 2 workers,
            a Lazy Pirate client and two CURVE clients run in this process on their own ZeroMQ context; the
            agent runs the proxies, taps and probe of examples/demo.yml (read from ./examples or next to the
            binary, else a built-in copy). Ports: --demo.port-base N uses N to N+7; 0 picks free ones.
            CURVE keys are made at start in a private temporary directory, removed at exit.
            """)
        flags.value("demo.port-base", default: "15550", placeholder: "15550", help: "First of 8 consecutive ZeroMQ ports the demo uses; 0 picks free ports.")
        flags.toggle("demo.print-config", help: "Print the built-in copy of examples/demo.yml and exit.")
        WebOptions.declare(in: &flags, defaultAddress: ":10027")
        return flags
    }

    let portBase: Int
    let printConfig: Bool
    var web: WebOptions

    /// How often the one-line summary is printed.
    static let summaryInterval = 10

    init(_ parsed: FlagSet.Parsed) throws(UsageError) {
        portBase = try parsed.integer("demo.port-base")
        let last = 65535 - DemoEndpoints.collectorOffset
        guard portBase == 0 || (1...last).contains(portBase) else {
            throw UsageError("--demo.port-base must be 0 (free ports) or between 1 and \(last), not \(portBase)")
        }
        printConfig = parsed.toggle("demo.print-config")
        web = try WebOptions(parsed, defaultAddress: ":10027")
    }

    mutating func run() -> Int32 {
        if printConfig {
            StandardStream.output.write(DemoConfigFile.builtIn)
            return 0
        }
        Lifecycle.blockSignals()
        let logger = web.makeLogger()
        do {
            try web.loadWebConfig()  // the demo's web port can be secured like the agent's
        } catch {
            StandardStream.error.write("zmq-exporter demo: invalid web config:\n\(error)\n")
            return 1
        }
        let file = DemoConfigFile.locate(executablePath: DemoConfigFile.executablePath() ?? CommandLine.arguments.first)
        let keys: DemoKeys
        do {
            keys = try DemoKeys.create()
        } catch {
            StandardStream.error.write("zmq-exporter demo: \(error)\n")
            return 1
        }
        // Whatever happens next, the keys do not outlive the demo (a SIGKILL leaves them, in a 0700 directory).
        defer { keys.remove() }
        let agent: Agent
        do {
            agent = try Agent(configPath: nil, logger: logger)
        } catch {
            StandardStream.error.write("zmq-exporter demo: \(error)\n")
            return 1
        }
        let endpoints: DemoEndpoints
        let system: DemoSystem
        do {
            endpoints = try DemoLaunch.start(agent, file: file, portBase: portBase, keyDirectory: keys.directory)
            system = try DemoSystem(endpoints: endpoints, keys: keys, logger: logger)
        } catch {
            agent.stop()
            StandardStream.error.write("zmq-exporter demo: \(error)\n")
            return 1
        }
        let service = ExporterService(agent: agent, options: web.serviceOptions())
        var summary: Ticker?
        do {
            try Lifecycle.serve(service, logger: logger, onStart: { addresses in
                Lifecycle.printLine("demo: agent config from \(file.source); tasks \(endpoints.endpoint(.tasksFrontend)), events \(endpoints.endpoint(.eventsFrontend)), service \(endpoints.endpoint(.serviceFrontend)), reports \(endpoints.endpoint(.reports)) (CURVE), results \(system.collectorEndpoint)")
                Lifecycle.printLine("demo: CURVE keys of the reports tap in \(keys.directory) (removed at exit)")
                for address in addresses {
                    let url = "http://\(Self.browsable(address))"
                    Lifecycle.printLine("demo: landing page \(url)/  metrics \(url)\(web.telemetryPath)")
                }
                system.start()
                do {
                    summary = try Ticker(name: "demo-summary", every: .seconds(Self.summaryInterval)) {
                        Lifecycle.printLine(DemoSummary.line(system, agent: agent))
                    }
                } catch {
                    logger.warning("no summary lines: cannot start their thread", metadata: ["error": "\(error)"])
                }
            }, onStop: {
                summary?.stop()
                if !system.stop(timeout: .seconds(2)) {
                    logger.warning("some demo parts did not stop in time")
                }
                Lifecycle.printLine("final " + DemoSummary.line(system, agent: agent))
            })
            return 0
        } catch {
            return 1  // serve has logged why
        }
    }

    /// A listen address made clickable: the wildcard hosts become loopback.
    static func browsable(_ address: String) -> String {
        if address.hasPrefix("0.0.0.0:") { return "127.0.0.1" + address.dropFirst("0.0.0.0".count) }
        if address.hasPrefix("[::]:") { return "localhost" + address.dropFirst("[::]".count) }
        return address
    }
}
