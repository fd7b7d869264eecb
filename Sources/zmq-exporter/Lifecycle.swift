import Dispatch
import Foundation
import Logging
import ZMQExporter

/// Signals: SIGTERM and SIGINT stop gracefully, SIGHUP reloads; SIGPIPE is ignored.
enum Lifecycle {
    /// Serves until SIGTERM/SIGINT. `onStart` gets the bound addresses once listening; `onStop`
    /// runs after the signal, before HTTP and the agent stop (the demo stops its system there).
    /// Raises the soft open-file limit to the hard one, as Go programs do since 1.19: every
    /// configured socket holds several descriptors (its own, libzmq mailboxes, peers).
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    static func serve(_ service: ExporterService, logger: Logger, onStart: ([String]) -> Void = { _ in }, onStop: () -> Void = {}) throws {
        signal(SIGPIPE, SIG_IGN)
        let addresses: [String]
        do {
            addresses = try service.start().map(\.description)
        } catch {
            logger.error("cannot listen", metadata: ["error": "\(error)"])
            service.agent.stop()
            throw ExitCodeError.listen
        }
        for address in addresses {
            printLine("listening on http://\(address)")
        }
        logger.info("zmq-exporter started", metadata: ["addresses": "\(addresses.joined(separator: ","))", "sockets": "\(service.agent.sockets.count)"])
        onStart(addresses)
        let done = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                if sig == SIGHUP {
                    service.agent.reload()
                } else {
                    logger.info("stopping", metadata: ["signal": "\(sig)"])
                    done.signal()
                }
            }
            source.resume()
            sources.append(source)
        }
        done.wait()
        onStop()
        service.stop(timeout: .seconds(4))
        logger.info("stopped")
        _ = sources
    }

    enum ExitCodeError: Error { case listen }

    /// Writes a line to standard output at once (scripts read the bound port from it).
    static func printLine(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
