/// The Prometheus text exposition format (version 0.0.4), written into byte buffers.
enum TextFormat {
    /// `# HELP` and `# TYPE` of `family`.
    static func header(_ family: MetricCatalog.Family, into out: inout [UInt8]) {
        out.append(contentsOf: "# HELP ".utf8)
        out.append(contentsOf: family.name.utf8)
        out.append(UInt8(ascii: " "))
        for byte in family.help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            default: out.append(byte)
            }
        }
        out.append(contentsOf: "\n# TYPE ".utf8)
        out.append(contentsOf: family.name.utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: family.kind.rawValue.utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// `name{a="x",b="y"} ` (or `name ` without labels), values escaped; `extra` is appended
    /// inside the braces after the labels (a histogram's `le`).
    static func prefix(_ name: String, _ labels: [(String, String)], extra: (String, String)? = nil) -> [UInt8] {
        let all = extra.map { labels + [$0] } ?? labels
        // Sized up front: every series keeps its prefix, and an array grown by appends holds up
        // to twice its bytes (about 5 MiB more for 1,000 taps).
        var out: [UInt8] = []
        out.reserveCapacity(all.reduce(name.utf8.count + 3) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        out.append(contentsOf: name.utf8)
        if !all.isEmpty {
            out.append(UInt8(ascii: "{"))
            for (index, (label, value)) in all.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: label.utf8)
                out.append(contentsOf: "=\"".utf8)
                appendEscaped(value, into: &out)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        return out
    }

    /// The labels of a ``prefix(_:_:extra:)``'s text, unescaped: the registry keeps no other
    /// copy of them.
    static func labels(inPrefix prefix: [UInt8]) -> [(String, String)] {
        guard let open = prefix.firstIndex(of: UInt8(ascii: "{")) else { return [] }
        var labels: [(String, String)] = []
        var at = open + 1
        while at < prefix.count, prefix[at] != UInt8(ascii: "}") {
            let nameStart = at
            while prefix[at] != UInt8(ascii: "=") { at += 1 }
            let name = String(decoding: prefix[nameStart..<at], as: UTF8.self)
            at += 2  // `="`
            var value: [UInt8] = []
            while prefix[at] != UInt8(ascii: "\"") {
                if prefix[at] == UInt8(ascii: "\\") {
                    at += 1
                    value.append(prefix[at] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : prefix[at])
                } else {
                    value.append(prefix[at])
                }
                at += 1
            }
            labels.append((name, String(decoding: value, as: UTF8.self)))
            at += 1  // the closing quote
            if prefix[at] == UInt8(ascii: ",") { at += 1 }
        }
        return labels
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func appendEscaped(_ value: String, into out: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            default: out.append(byte)
            }
        }
    }

    /// The prefixes of a histogram's lines: one per bound, `+Inf`, `_sum`, `_count`.
    static func histogramPrefixes(_ name: String, _ labels: [(String, String)], bounds: [Double]) -> [[UInt8]] {
        var prefixes = bounds.map { prefix(name + "_bucket", labels, extra: ("le", sampleText($0))) }
        prefixes.append(prefix(name + "_bucket", labels, extra: ("le", "+Inf")))
        prefixes.append(prefix(name + "_sum", labels))
        prefixes.append(prefix(name + "_count", labels))
        return prefixes
    }

    /// A histogram's lines after ``histogramPrefixes(_:_:bounds:)``: the buckets cumulated from
    /// `count(i)` (per bucket, the last above every bound), the sum, and the count.
    static func appendHistogram(prefixes: [[UInt8]], buckets: Int, count: (Int) -> Int64, sum: Double, into out: inout [UInt8]) {
        var cumulative: Int64 = 0
        for index in 0..<buckets {
            cumulative += count(index)
            out.append(contentsOf: prefixes[index])
            out.appendDecimal(cumulative)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: prefixes[buckets])
        out.appendSample(sum)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: prefixes[buckets + 1])
        out.appendDecimal(cumulative)
        out.append(UInt8(ascii: "\n"))
    }

    /// A sample value as Go's client prints it: whole numbers without a fraction, others in
    /// their shortest form that reads back to the same Double, `+Inf`, `-Inf`, `NaN`.
    static func sampleText(_ value: Double) -> String {
        var out: [UInt8] = []
        out.appendSample(value)
        return String(decoding: out, as: UTF8.self)
    }
}

extension [UInt8] {
    /// Appends `value` in decimal without making a String.
    @inline(__always)
    mutating func appendDecimal(_ value: Int64) {
        if value >= 0 && value < 10 {
            append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { append(UInt8(ascii: "-")) }
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    /// Appends a sample value (see ``TextFormat/sampleText(_:)``).
    mutating func appendSample(_ value: Double) {
        if value.isNaN {
            append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            append(contentsOf: (value > 0 ? "+Inf" : "-Inf").utf8)
        } else if value == value.rounded(), value.magnitude < 1e15 {
            appendDecimal(Int64(value))
        } else {
            // Swift's description is the shortest text that reads back to the same Double.
            append(contentsOf: value.description.utf8)
        }
    }
}
