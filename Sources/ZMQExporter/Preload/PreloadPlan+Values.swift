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

    /// Writes `family`'s lines of every file in order, through a scratch buffer that is moved
    /// into `out` in large pieces: 84,000 lines appended one by one cost an append each.
    static func write(_ family: Family, _ files: [(plan: PreloadPlan, values: Values)], into out: inout [UInt8]) {
        let capacity = max(1 << 16, files.map { $0.plan.templates[family.rawValue].bound }.max() ?? 0)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { scratch.deallocate() }
        var used = 0
        for (plan, values) in files {
            let template = plan.templates[family.rawValue]
            if used + template.bound > capacity {
                out.append(contentsOf: UnsafeBufferPointer(start: scratch, count: used))
                used = 0
            }
            used += template.write(values, to: scratch + used)
        }
        out.append(contentsOf: UnsafeBufferPointer(start: scratch, count: used))
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
