import Synchronization
extension PreloadPlan {
    /// One scrape's numbers for a plan, read from one copy of its file.
    struct Values: Sendable {
        /// Laid out as the plan says: the constant 1, the process's values, then each group's.
        var ints: [Int64]
        /// Each group's sum of connection lifetimes, seconds.
        var doubles: [Double]
        /// Per group, unclamped for the landing page: messages received, sent, handshake failures.
        var totals: [(received: UInt64, sent: UInt64, handshakeFailures: UInt64)]
        var handshakeLines = 0
        var alive: Bool
    }

    /// The counters of `copy` (a copy of the file whose signature matched this plan's), slots of
    /// one label added up as the collector always has: with wrapping adds, each total clamped to
    /// Int64 as the text format's integers are. Nil when the copy is too short for the plan.
    func values(_ copy: UnsafeRawBufferPointer, alive: Bool, droppedEvents: UInt64) -> Values? {
        guard copy.count >= requiredSize, let file = copy.baseAddress else { return nil }
        let groupCount = groups.count
        var handshakeLines = 0
        var doubles = [Double](repeating: 0, count: groupCount)
        var totals: [(received: UInt64, sent: UInt64, handshakeFailures: UInt64)] = []
        totals.reserveCapacity(groupCount)
        var ints = [Int64](repeating: 0, count: intCount)
        ints[Self.one] = 1
        ints[Self.alive] = alive ? 1 : 0
        ints[Self.dropped] = Int64(clamping: droppedEvents)
        ints[Self.unmonitored] = unmonitoredSockets
        let eventCount = Self.buckets - Self.events, buckets = Self.buckets, bucketCount = self.bucketCount
        let c = PreloadFile.Slot.counters, eventsAt = PreloadFile.Slot.events, bucketsAt = PreloadFile.Slot.buckets
        let sumAt = PreloadFile.Slot.lifetimeSum
        ints.withUnsafeMutableBufferPointer { ints in
        doubles.withUnsafeMutableBufferPointer { doubles in
        flat.bases.withUnsafeBufferPointer { bases in
        flat.slots.withUnsafeBufferPointer { slots in
        flat.slotEnds.withUnsafeBufferPointer { slotEnds in
        flat.liveSlots.withUnsafeBufferPointer { liveSlots in
        flat.liveEnds.withUnsafeBufferPointer { liveEnds in
        flat.reasonValues.withUnsafeBufferPointer { reasonValues in
        flat.reasonEnds.withUnsafeBufferPointer { reasonEnds in
        flat.sources.withUnsafeBufferPointer { sources in
        flat.sourceEnds.withUnsafeBufferPointer { sourceEnds in
        // A slot's counters, events and buckets are one run of words: each slot is added word
        // by word into `sums`, laid out as the file is from the counters on.
        let words = (sumAt - c) / 8, eventsWord = (eventsAt - c) / 8, bucketsWord = (bucketsAt - c) / 8
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { sums in
            // Every offset read is under requiredSize, checked above.
            func word(_ offset: Int) -> UInt64 { UnsafeRawPointer(file).loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
            var slot = 0, live = 0, reason = 0, source = 0
            for group in 0..<groupCount {
                sums.initialize(repeating: 0)
                var lifetimeSum = 0.0
                while slot < slotEnds[group] {
                    let at = slots[slot] + c
                    for index in 0..<words { sums[index] &+= word(at + 8 * index) }
                    lifetimeSum += Double(word(slots[slot] + sumAt)) / 1e9
                    slot += 1
                }
                var connections: Int64 = 0
                while live < liveEnds[group] {
                    connections &+= Int64(bitPattern: word(liveSlots[live] + c + 56))
                    live += 1
                }
                let base = bases[group]
                // The file has sent before received; the families want received first.
                ints[base + Self.received] = Int64(clamping: sums[1])
                ints[base + Self.sent] = Int64(clamping: sums[0])
                ints[base + Self.bytesReceived] = Int64(clamping: sums[3])
                ints[base + Self.bytesSent] = Int64(clamping: sums[2])
                for index in 0..<3 { ints[base + Self.sendFailures + index] = Int64(clamping: sums[4 + index]) }
                ints[base + Self.connections] = max(0, connections)
                for index in 0..<eventCount { ints[base + Self.events + index] = Int64(clamping: sums[eventsWord + index]) }
                // Cumulative buckets; a sum past Int64.max stays there rather than trap.
                var cumulative: Int64 = 0
                for index in 0..<bucketCount {
                    let (next, overflow) = cumulative.addingReportingOverflow(Int64(clamping: sums[bucketsWord + index]))
                    cumulative = overflow ? .max : next
                    ints[base + buckets + index] = cumulative
                }
                doubles[group] = lifetimeSum
                var failures: UInt64 = 0
                while reason < reasonEnds[group] {
                    var count: UInt64 = 0
                    var seen = false
                    while source < sourceEnds[reason] {
                        let one = word(sources[source])
                        count &+= one
                        seen = seen || one > 0
                        source += 1
                    }
                    failures &+= count
                    ints[reasonValues[reason]] = Int64(clamping: count)
                    ints[reasonValues[reason] + 1] = seen ? 1 : 0
                    if seen { handshakeLines += 1 }
                    reason += 1
                }
                totals.append((sums[1], sums[0], failures))
            }
        }
        }}}}}}}}}}}
        return Values(ints: ints, doubles: doubles, totals: totals, handshakeLines: handshakeLines, alive: alive)
    }

    /// How many lines `family` has for these values.
    func lineCount(_ family: Family, _ values: Values) -> Int {
        family == .handshake ? values.handshakeLines : templates[family.rawValue].lines.count
    }

    /// Adds `family`'s lines of every file in order to `out`, one array per file: its kept
    /// text (``RenderedText``), sent as it is, never copied into one buffer.
    static func write(_ family: Family, _ files: ArraySlice<(plan: PreloadPlan, values: Values)>, into out: inout [[UInt8]]) {
        for (plan, values) in files {
            let text = plan.rendered[family.rawValue].text(plan.templates[family.rawValue], values)
            if !text.isEmpty { out.append(text) }
        }
    }

    /// What the landing page shows of the process: the same sockets, summed the same way.
    func watched(_ values: Values) -> PreloadCollector.WatchedProcess {
        PreloadCollector.WatchedProcess(name: processName, pid: pid, alive: values.alive, sockets: groups.enumerated().map { position, group in
            let totals = values.totals[position]
            return .init(label: group.label, type: group.typeName, connections: values.ints[group.base + Self.connections],
                         messagesIn: totals.received, messagesOut: totals.sent, handshakeFailures: totals.handshakeFailures)
        })
    }
}

extension PreloadPlan.Template {
    /// Writes the lines with `numbers` at `out`, which has room for ``bound`` bytes; returns
    /// how many bytes it wrote.
    func write(_ numbers: PreloadPlan.Values, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var at = 0
        text.withUnsafeBufferPointer { text in
            lines.withUnsafeBufferPointer { lines in
                numbers.ints.withUnsafeBufferPointer { ints in
                    let text = text.baseAddress!
                    for line in lines {
                        if line.shown >= 0 && ints[Int(line.shown)] == 0 { continue }
                        at += Self.copy(text + Int(line.head), Int(line.headCount), to: out + at)
                        at += Self.copy(text + Int(line.rest), Int(line.restCount), to: out + at)
                        if line.value >= 0 {
                            at += SampleText.writeDecimal(ints[Int(line.value)], to: out + at)
                        } else {
                            at += SampleText.writeSample(numbers.doubles[Int(~line.value)], to: out + at)
                        }
                        out[at] = UInt8(ascii: "\n")
                        at += 1
                    }
                }
            }
        }
        return at
    }

    /// Copies a piece of at most a few hundred bytes eight at a time, past its end by up to
    /// seven: a call to memmove per piece cost more than the copy. The text has eight bytes of
    /// slack after its last piece (``finish()``), and what lands past the end at `out` is
    /// overwritten by what follows, within ``bound``.
    @inline(__always)
    static func copy(_ from: UnsafePointer<UInt8>, _ count: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var done = 0
        while done < count {
            UnsafeMutableRawPointer(out + done).storeBytes(of: UnsafeRawPointer(from + done).loadUnaligned(as: UInt64.self), as: UInt64.self)
            done += 8
        }
        return count
    }
}

/// A family's lines of one file as last written, and the values they showed: written again
/// only when one of those values changed, and otherwise sent as they are. Most of a file's
/// lines are events and lifetime buckets, which seldom change, so most of a scrape is text
/// already made, neither formatted nor copied again (the text is kept once per file and family).
// @unchecked Sendable: `values` and `text` are touched only by the thread that holds `busy`.
final class RenderedText: @unchecked Sendable {
    private let busy = Atomic<Bool>(false)
    /// Per line, the two numbers of its ``key(_:_:)``.
    private var values: [Int64] = []
    private var text: [UInt8] = []
    /// The arrays the text was made from: the same arrays again (a file not changed since)
    /// need no comparison.
    private var madeFrom: (ints: [Int64], doubles: [Double]) = ([], [])

    /// `template`'s lines with `numbers`: the kept text when the values are those it was made
    /// with, else new text, then kept. Two scrapes at once: the second makes its own.
    func text(_ template: PreloadPlan.Template, _ numbers: PreloadPlan.Values) -> [UInt8] {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return Self.make(template, numbers)
        }
        defer { busy.store(false, ordering: .releasing) }
        if !values.isEmpty && (Self.same(madeFrom.ints, numbers.ints) && Self.same(madeFrom.doubles, numbers.doubles)
                               || unchanged(template, numbers)) {
            madeFrom = (numbers.ints, numbers.doubles)
            return text
        }
        text = Self.make(template, numbers)
        values = Self.shown(template, numbers)
        madeFrom = (numbers.ints, numbers.doubles)
        return text
    }

    /// Whether two arrays share their storage (so hold the same elements); the kept one keeps
    /// its storage alive, so its address cannot have been given to another array meanwhile.
    private static func same<T>(_ a: [T], _ b: [T]) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }

    private static func make(_ template: PreloadPlan.Template, _ numbers: PreloadPlan.Values) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: template.bound) { buffer, count in
            count = template.write(numbers, to: buffer.baseAddress!)
        }
    }

    /// What line `line` shows of `numbers`: its value (a Double's bits for a double) and, for a
    /// line shown only when another value is not 0, that value.
    private static func key(_ line: PreloadPlan.Template.Line, _ numbers: PreloadPlan.Values) -> (value: Int64, shown: Int64) {
        (line.value >= 0 ? numbers.ints[Int(line.value)] : Int64(bitPattern: numbers.doubles[Int(~line.value)].bitPattern),
         line.shown >= 0 ? numbers.ints[Int(line.shown)] : 0)
    }
    private func unchanged(_ template: PreloadPlan.Template, _ numbers: PreloadPlan.Values) -> Bool {
        guard values.count == 2 * template.lines.count else { return false }
        for (index, line) in template.lines.enumerated() where Self.key(line, numbers) != (values[2 * index], values[2 * index + 1]) {
            return false
        }
        return true
    }

    private static func shown(_ template: PreloadPlan.Template, _ numbers: PreloadPlan.Values) -> [Int64] {
        var values: [Int64] = []
        values.reserveCapacity(2 * template.lines.count)
        for line in template.lines {
            let (value, shown) = key(line, numbers)
            values.append(value)
            values.append(shown)
        }
        return values
    }
}
