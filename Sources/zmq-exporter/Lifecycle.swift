import Glibc
import Logging
import Posix
import ZMQExporter

/// Signals: SIGTERM and SIGINT stop gracefully, SIGHUP reloads; SIGPIPE is ignored.
enum Lifecycle {
    /// The signals ``serve(_:logger:onStart:onStop:)`` takes with sigwait.
    static let handledSignals = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks the handled signals in the calling thread, and so in every thread started after it
    /// (a new thread inherits its creator's mask): they wait, pending, until ``serve`` takes them,
    /// instead of killing the process or landing on whichever thread the kernel picks. Call
    /// first thing, before the agent, libzmq or the demo start a thread.
    static func blockSignals() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in handledSignals { sigaddset(&set, sig) }
        return set
    }

    /// Raises the soft open-file limit to the hard one, as Go programs do since 1.19: every
    /// configured socket holds several descriptors (its own, libzmq mailboxes, peers).
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Serves until SIGTERM/SIGINT. `onStart` gets the bound addresses once listening; `onStop`
    /// runs after the signal, before HTTP and the agent stop (the demo stops its system there).
    /// The calling thread, which has nothing else to do, waits for the signals (blocked by
    /// ``blockSignals()`` beforehand) and handles each in turn: a reload runs to its end before
    /// a stop is looked at.
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
        // Scripts and tests read the scheme and port from this line.
        let scheme = service.server.configuration.webSecurity?.initial.security.tls == nil ? "http" : "https"
        for address in addresses {
            printLine("listening on \(scheme)://\(address)")
        }
        logger.info("zmq-exporter started", metadata: ["addresses": "\(addresses.joined(separator: ","))", "sockets": "\(service.agent.sockets.count)"])
        onStart(addresses)
        let sig = waitForStopSignal { service.agent.reload() }
        logger.info("stopping", metadata: ["signal": "\(sig)"])
        onStop()
        service.stop(timeout: .seconds(4))
        logger.info("stopped")
    }

    /// Takes the handled signals as they come, calling `reload` for each SIGHUP, until SIGTERM
    /// or SIGINT, which it returns.
    static func waitForStopSignal(reload: () -> Void) -> Int32 {
        var set = signalSet()
        while true {
            var sig: Int32 = 0
            guard sigwait(&set, &sig) == 0 else { continue }
            if sig != SIGHUP { return sig }
            reload()
        }
    }

    enum ExitCodeError: Error { case listen }

    /// Writes a line to standard output at once (scripts read the bound port from it).
    static func printLine(_ text: String) {
        StandardStream.output.write(text + "\n")
    }
}
