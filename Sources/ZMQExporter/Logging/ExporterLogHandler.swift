import Logging
import Posix
import Synchronization

/// Writes log lines to standard error as logfmt (`ts=… level=info msg="…" key=value`) or JSON,
/// the two formats of the Prometheus exporters' `--log.format`.
public struct ExporterLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case logfmt, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let format: Format
    let label: String
    private static let lock = Locked<Void>(())

    public init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", WallClock.iso8601(WallClock.now())),
            ("level", Self.levelName(event.level)),
            ("msg", event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            fields.append((key, Self.plain(value)))
        }
        let line: String
        switch format {
        case .logfmt:
            line = fields.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + fields.map { "\(Self.jsonString($0.0)):\(Self.jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        Self.lock.withLock { _ in
            StandardStream.error.write(line + "\n")
        }
    }

    /// The four level names `--log.level` takes: swift-log's trace is logged as debug, notice as
    /// info and critical as error, so a filter on `level=` sees nothing else.
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }

    /// A metadata value as one plain string: a list joined with commas, a dictionary as
    /// `key:value` pairs, never a bracketed structure inside a logfmt field.
    static func plain(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let item): item.description
        case .array(let items): items.map(plain).joined(separator: ",")
        case .dictionary(let entries): entries.sorted { $0.key < $1.key }.map { "\($0.key):\(plain($0.value))" }.joined(separator: ",")
        }
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline }
        guard needsQuotes else { return value }
        return jsonString(value)
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(cFormat: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
