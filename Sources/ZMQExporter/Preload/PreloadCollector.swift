import Glibc
import Posix
import ZeroMQ

/// The sockets of programs run under the preload library, read from their stats files at each
/// scrape and exported in the same `zmq_socket_*` families as the agent's own sockets, with
/// `process` and `pid` labels added (docs/zero-code.md).
///
/// Files are untrusted input (``PreloadDirectory`` checks them). A process that exited keeps its
/// final counts for ``Options/grace``, then its file is removed and its series go. Cardinality is
/// bounded: at most ``Options/maxSocketsPerProcess`` sockets of a process one by one (the rest
/// summed under `socket="_other"`), at most ``Options/maxProcesses`` processes (the rest are
/// counted in `zmq_exporter_preload_files{state="over_limit"}`).
public final class PreloadCollector: Collector {
    public struct Options: Sendable {
        public var directory = PreloadDirectory.defaultPath
        public var maxProcesses = 200
        public var maxSocketsPerProcess = 50
        /// How long an exited process's last counts stay (at least two scrapes at 1 min).
        public var grace: Duration = .seconds(300)
        /// Owners whose files are read; nil: this process's uid and root.
        public var allowedOwners: Set<UInt32>?

        public init() {}
    }

    let options: Options
    /// Lines of one family written as one part: the two rendering threads share a family of
    /// 40,000 lines (the events of 2,000 sockets) in parts of this size.
    static let linesPerPart = 4000
    /// The monotonic clock, in seconds; tests move it to end a grace period without waiting.
    let clock: @Sendable () -> Double

    struct State {
        /// Two halves of the files, read on two threads (``load(_:in:directory:caches:)``).
        var caches: [PreloadFileCache]
        /// When each file was first seen without its writer, on ``clock``.
        var exitedSince: [String: Double] = [:]
        /// What the last scan saw, for the landing page.
        var lastSeen: [(plan: PreloadPlan, values: PreloadPlan.Values)] = []
        /// The second half's reader, started by the first scan of many files.
        var reader: ReadingThread?
    }

    private let state: Locked<State>

    public convenience init(options: Options) {
        self.init(options: options, clock: { Monotonic.seconds() })
    }

    init(options: Options, clock: @escaping @Sendable () -> Double) {
        self.options = options
        self.clock = clock
        state = Locked(State(caches: Array(repeating: PreloadFileCache(maxSockets: options.maxSocketsPerProcess), count: 2)))
    }

    deinit {
        state.withLock { $0.reader?.stop() }
    }

    /// Files decoded in full so far (each file once while it does not change).
    var decodes: Int { state.withLock { $0.caches.map(\.decodes).reduce(0, +) } }

    public func collect(into samples: inout Samples) {
        var states: [String: Int64] = ["live": 0, "exited": 0, "invalid": 0, "refused": 0, "over_limit": 0]
        defer { for (state, count) in states.sorted(by: { $0.key < $1.key }) { samples.add(MetricCatalog.preloadFiles, [("state", state)], count) } }
        let directory = PreloadDirectory(path: options.directory, allowedOwners: options.allowedOwners)
        let now = clock()
        let graceSeconds = options.grace.seconds
        var processes: [(plan: PreloadPlan, values: PreloadPlan.Values)] = []
        // One scan at a time: the caches and the exit times are the scans' shared memory.
        let scanned: Bool = state.withLock { state in
            do {
                try directory.list { directoryFD, listed in
                    var removed = Set<String>()
                    let names = listed.map(\.name)
                    let files = Self.load(listed, in: directoryFD, directory: directory, caches: &state.caches, reader: &state.reader)
                    for (name, loaded) in zip(names, files) {
                        guard case .read(let plan, let values) = loaded else {
                            if case .failed(.notAllowedOwner) = loaded {
                                states["refused", default: 0] += 1
                            } else {
                                states["invalid", default: 0] += 1
                            }
                            continue
                        }
                        if values.alive {
                            state.exitedSince[name] = nil
                            processes.append((plan, values))
                            continue
                        }
                        let since = state.exitedSince[name] ?? now
                        state.exitedSince[name] = since
                        if now - since >= graceSeconds {
                            // The writer is gone and its grace is over: the file goes, and its series.
                            unlink(options.directory + "/" + name)
                            state.exitedSince[name] = nil
                            removed.insert(name)
                            continue
                        }
                        processes.append((plan, values))
                    }
                    let seen = Set(names)
                    for name in state.exitedSince.keys where !seen.contains(name) { state.exitedSince[name] = nil }
                    for index in state.caches.indices { state.caches[index].keep(only: seen.subtracting(removed)) }
                }
                return true
            } catch {
                return false
            }
        }
        guard scanned else { return }
        // A reused pid: the live process wins over an exited one with the same labels.
        if processes.contains(where: { !$0.values.alive }) {
            let live = Set(processes.filter(\.values.alive).map(\.plan.processKey))
            processes.removeAll { !$0.values.alive && live.contains($0.plan.processKey) }
        }
        processes.sort { ($0.plan.pid, $0.plan.startTime) < ($1.plan.pid, $1.plan.startTime) }
        if processes.count > options.maxProcesses {
            states["over_limit", default: 0] += Int64(processes.count - options.maxProcesses)
            processes.removeLast(processes.count - options.maxProcesses)
        }
        for process in processes { states[process.values.alive ? "live" : "exited", default: 0] += 1 }
        state.withLock { $0.lastSeen = processes }
        // The lines are written when their family is rendered, by whichever thread renders it;
        // a family of many lines in parts of about ``linesPerPart``, of whole files each.
        let files = processes
        var lineCounts = [Int](repeating: 0, count: PreloadPlan.Family.allCases.count)
        for file in files {
            for family in PreloadPlan.Family.allCases { lineCounts[family.rawValue] += file.plan.lineCount(family, file.values) }
        }
        for family in PreloadPlan.Family.allCases {
            let lines = lineCounts[family.rawValue]
            guard lines > 0 else { continue }
            let parts = min(files.count, (lines + Self.linesPerPart - 1) / Self.linesPerPart)
            samples.appendWriter(family.catalog, parts: parts) { part, out in
                PreloadPlan.write(family, files[files.count * part / parts ..< files.count * (part + 1) / parts], into: &out)
            }
        }
    }

    /// The processes of --preload.dir and their sockets as a scan sees them now (one scan, as a
    /// scrape makes; the landing page calls it on each view).
    public func watched() -> [WatchedProcess] {
        var discarded = Samples()
        collect(into: &discarded)
        return state.withLock { $0.lastSeen }.map { $0.plan.watched($0.values) }
    }

    /// A process of --preload.dir, summed per `socket` label as /metrics shows it.
    public struct WatchedProcess: Sendable {
        public struct Socket: Sendable {
            public var label: String
            public var type: String
            public var connections: Int64
            public var messagesIn: UInt64
            public var messagesOut: UInt64
            public var handshakeFailures: UInt64
        }

        public var name: String
        public var pid: Int32
        public var alive: Bool
        public var sockets: [Socket]
    }

    static func processName(_ process: PreloadProcess) -> String {
        process.name.isEmpty ? "pid-\(process.pid)" : process.name
    }

    /// libzmq's socket type numbers (`ZMQ_PAIR` 0 ... `ZMQ_STREAM` 11).
    static let typeNames = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"]

    static func typeName(_ type: Int32) -> String {
        type >= 0 && Int(type) < typeNames.count ? typeNames[Int(type)] : "type-\(type)"
    }

    /// The `socket` label: the operator's name (`ZMQ_EXPORTER_SOCKET_NAMES`), else the type and
    /// the first endpoint as the program wrote it (`PUSH tcp://*:5557`), stable across restarts.
    static func socketLabel(_ socket: PreloadSocket) -> String {
        if socket.isOverflow { return "_other" }
        if socket.named { return socket.name }
        let type = typeName(socket.type)
        return socket.name.isEmpty ? type : type + " " + socket.name
    }
}
