import Glibc
import HTTPServer
import Posix
import Synchronization

/// The families of one scrape, cut into pieces that whichever thread is free takes, one at a
/// time: the scrape's own thread and the helper, so neither waits long for the other however
/// the families weigh. A piece is a family's header, series and collected samples, or one part
/// of a writer's lines (a writer of many lines is cut in parts). Each piece is written into a
/// part of its own, and the parts in piece order are the exposition: one block per family, in
/// catalog order, whichever thread wrote what.
// @unchecked Sendable: the arrays are immutable; the series in them are thread-safe; each
// piece's output is written by the one thread that took the piece, and read after both
// threads are done.
final class RenderJob: @unchecked Sendable {
    let families: [(MetricCatalog.Family, [Metrics.Series])]
    let samples: Samples
    private let pieces: [Piece]
    /// Per piece, what it wrote: one array for a family's own lines, any number for a writer.
    private let parts: UnsafeMutableBufferPointer<[[UInt8]]>
    private let next = Atomic<Int>(0)

    /// A family's header and registered lines (`writer` nil), or part `part` of a writer's.
    struct Piece {
        let family: Int
        let writer: Samples.Writer?
        let part: Int
    }

    /// - Parameter reuse: the arrays of an earlier scrape's families' own lines (``reusable()``),
    ///   taken (left empty), and written over in place when nothing else holds them any more
    ///   (their response has been sent): their memory is then neither allocated nor faulted in
    ///   again, which for a scrape of 5 MiB cost more than the writing.
    init(families: [(MetricCatalog.Family, [Metrics.Series])], samples: Samples, reuse: inout [[UInt8]]) {
        self.families = families
        self.samples = samples
        var pieces: [Piece] = []
        for (index, (family, series)) in families.enumerated() {
            let writers = samples.writers[family.name] ?? []
            // A family with neither series nor samples is left out, as client_golang leaves out an empty one.
            guard !series.isEmpty || samples.byFamily[family.name] != nil || !writers.isEmpty else { continue }
            pieces.append(Piece(family: index, writer: nil, part: 0))
            for writer in writers {
                for part in 0..<writer.parts { pieces.append(Piece(family: index, writer: writer, part: part)) }
            }
        }
        self.pieces = pieces
        parts = .allocate(capacity: pieces.count)
        _ = parts.initialize(from: repeatElement([], count: pieces.count))
        var reused = 0
        for index in pieces.indices where pieces[index].writer == nil && reused < reuse.count {
            parts[index] = [[]]
            swap(&parts[index][0], &reuse[reused])
            reused += 1
        }
        reuse = []
    }

    convenience init(families: [(MetricCatalog.Family, [Metrics.Series])], samples: Samples) {
        var none: [[UInt8]] = []
        self.init(families: families, samples: samples, reuse: &none)
    }

    deinit {
        parts.deinitialize()
        parts.deallocate()
    }

    /// Renders pieces until none is left.
    func work() {
        while true {
            let index = next.add(1, ordering: .relaxed).oldValue
            guard index < pieces.count else { return }
            let piece = pieces[index]
            let (family, series) = families[piece.family]
            var written = (parts.baseAddress! + index).move()
            if let writer = piece.writer {
                writer.write(piece.part, &written)
            } else {
                var out = written.popLast() ?? []
                out.removeAll(keepingCapacity: true)
                out.reserveCapacity(4096)
                TextFormat.header(family, into: &out)
                for one in series { one.emit(into: &out) }
                if let collected = samples.byFamily[family.name] { out.append(contentsOf: collected) }
                written = [out]
            }
            (parts.baseAddress! + index).initialize(to: written)
        }
    }

    /// The parts in order, once every piece is rendered (after ``work()`` returned on every
    /// thread that called it). Empty parts are left out.
    func output() -> [[UInt8]] {
        parts.flatMap { $0.filter { !$0.isEmpty } }
    }

    /// The arrays of the families' own lines, for the next scrape's `reuse` (not a writer's,
    /// which may be text its collector keeps).
    func reusable() -> [[UInt8]] {
        pieces.indices.compactMap { pieces[$0].writer == nil ? parts[$0].first : nil }
    }

    /// The whole exposition rendered by the calling thread alone.
    func render() -> [UInt8] {
        work()
        return HTTPResponse.join(output())
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
    /// Whether the thread is alive, for tests of the stop.
    let running = Atomic<Bool>(true)

    init() throws(SystemError) {
        try Thread.detach(name: "render") { [self] in serve() }
    }

    /// Starts working on `job`; false when another scrape has the helper.
    func begin(_ job: RenderJob) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        self.job = job
        work.post()
        return true
    }

    /// Waits until the helper has no more of the job given to ``begin(_:)`` in hand.
    func finish() {
        done.wait()
        job = nil
        busy.store(false, ordering: .releasing)
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
            current.work()
            done.post()
        }
    }
}
