import Glibc
import Posix
import Synchronization

/// The families of one scrape, taken one at a time by whichever thread is free: the scrape's
/// own and the helper, so neither waits long for the other however the families weigh. Each
/// family is written whole by one thread, so the exposition keeps one block per family.
// @unchecked Sendable: the arrays are immutable; the series in them are thread-safe.
final class RenderJob: @unchecked Sendable {
    let families: [(MetricCatalog.Family, [Metrics.Series])]
    let samples: Samples
    private let next = Atomic<Int>(0)

    init(families: [(MetricCatalog.Family, [Metrics.Series])], samples: Samples) {
        self.families = families
        self.samples = samples
    }

    /// Renders families into `buffer` until none is left. A family with neither series nor
    /// samples is left out, as client_golang leaves out an empty one.
    func work(into buffer: inout [UInt8]) {
        while true {
            let index = next.add(1, ordering: .relaxed).oldValue
            guard index < families.count else { return }
            let (family, series) = families[index]
            let collected = samples.byFamily[family.name]
            let writers = samples.writers[family.name] ?? []
            guard !series.isEmpty || collected != nil || !writers.isEmpty else { continue }
            TextFormat.header(family, into: &buffer)
            for one in series { one.emit(into: &buffer) }
            if let collected { buffer.append(contentsOf: collected) }
            for write in writers { write(&buffer) }
        }
    }
}

/// A thread that renders families of a ``RenderJob`` while the scrape's own thread renders
/// the others, so a scrape of many series takes about half as long on two cores.
///
/// One job at a time: a scrape that finds the helper busy with another scrape renders
/// everything itself.
// @unchecked Sendable: `job` and `output` are handed between the two threads by the semaphores
// (`work` after the job is set, `done` after the output is), which order the memory accesses.
final class RenderHelper: @unchecked Sendable {
    private let work = Semaphore()
    private let done = Semaphore()
    private let busy = Atomic<Bool>(false)
    private var job: RenderJob?
    private var capacity = 0
    private var output: [UInt8] = []
    /// Whether the thread is alive, for tests of the stop.
    let running = Atomic<Bool>(true)

    init() throws(SystemError) {
        try Thread.detach(name: "render") { [self] in serve() }
    }

    /// Starts working on `job` (about `capacity` bytes of it); false when another scrape has
    /// the helper.
    func begin(_ job: RenderJob, capacity: Int) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        self.job = job
        self.capacity = capacity
        work.post()
        return true
    }

    /// What the helper rendered of the job given to ``begin(_:capacity:)``, once it is done.
    func finish() -> [UInt8] {
        done.wait()
        let rendered = output
        output = []
        busy.store(false, ordering: .releasing)
        return rendered
    }

    /// Ends the thread once it is idle.
    func stop() {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { sched_yield() }
        job = nil
        work.post()
    }

    private func serve() {
        while true {
            work.wait()
            guard let current = job else {
                running.store(false, ordering: .releasing)
                return
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(capacity)
            current.work(into: &buffer)
            output = buffer
            done.post()
        }
    }
}
