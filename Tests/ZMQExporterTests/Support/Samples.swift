import Foundation
import ZMQExporter

/// One sample line of a text exposition: `name{label="value",...} value`.
struct Sample: Equatable, CustomStringConvertible {
    let name: String
    let labels: [String: String]
    let value: Double

    var description: String {
        let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        return "\(name){\(text)} \(value)"
    }
}

/// A parsed `/metrics` exposition, queried by metric name and exact label set.
struct Scrape: CustomStringConvertible {
    let text: String
    let samples: [Sample]

    init(text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { Self.parse(Substring($0)) }
    }

    /// The value of the series `name` whose labels are exactly `labels`; nil when absent.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every sample whose labels include all of `subset`.
    func samples(_ name: String, matching subset: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in
            sample.name == name && subset.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    /// Every sample of any family that has `label` set to `value`.
    func samples(withLabel label: String, _ value: String) -> [Sample] {
        samples.filter { $0.labels[label] == value }
    }

    var description: String { text }

    /// Parses one line; nil for comments, blank lines and anything malformed.
    static func parse(_ line: Substring) -> Sample? {
        if line.isEmpty || line.hasPrefix("#") { return nil }
        let chars = Array(line)
        var index = 0
        var name = ""
        while index < chars.count, chars[index] != "{", chars[index] != " " {
            name.append(chars[index]); index += 1
        }
        var labels: [String: String] = [:]
        if index < chars.count, chars[index] == "{" {
            index += 1
            while index < chars.count, chars[index] != "}" {
                var key = ""
                while index < chars.count, chars[index] != "=" { key.append(chars[index]); index += 1 }
                index += 2 // `="`
                var value = ""
                while index < chars.count, chars[index] != "\"" {
                    if chars[index] == "\\", index + 1 < chars.count {
                        index += 1
                        value.append(chars[index] == "n" ? "\n" : chars[index])
                    } else {
                        value.append(chars[index])
                    }
                    index += 1
                }
                index += 1 // closing quote
                if index < chars.count, chars[index] == "," { index += 1 }
                labels[key] = value
            }
            index += 1 // `}`
        }
        let rest = String(chars[min(index, chars.count)...]).trimmingCharacters(in: .whitespaces)
        let valueText = rest.split(separator: " ").first.map(String.init) ?? ""
        let value: Double? = switch valueText {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(valueText)
        }
        guard !name.isEmpty, let value else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}

extension Agent {
    /// The exposition as `/metrics` would serve it (registry and process metrics).
    func scrape() -> Scrape {
        Scrape(text: String(decoding: Exposition(metrics: metrics).render(), as: UTF8.self))
    }
}
