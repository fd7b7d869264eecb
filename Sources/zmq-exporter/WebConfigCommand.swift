import HTTPServer
import Posix
import ZMQExporter

/// `--web.config.file` and its companions, and `check-web-config`.
extension ZMQExporterCommand {
    static func checkWebConfig(_ parsed: FlagSet.Parsed) throws(UsageError) -> Int32 {
        guard let file = parsed.positional else { throw UsageError("required argument 'file' not provided") }
        return checkWebConfig(file)
    }

    static func checkWebConfig(_ file: String) -> Int32 {
        do {
            let loaded = try WebConfigLoader.load(path: file)
            let security = loaded.security
            var parts: [String] = []
            if let tls = security.tls {
                parts.append("TLS on" + (tls.certificateExpiry.map { ", certificate expires at \($0) (Unix time)" } ?? ""))
            } else {
                parts.append("TLS off")
            }
            parts.append("\(security.users.count) basic-auth user(s)")
            if let limit = security.rateLimit { parts.append("rate limit \(limit.burst) per \(limit.interval)") }
            if !security.responseHeaders.isEmpty { parts.append("\(security.responseHeaders.count) extra header(s)") }
            StandardStream.output.write("\(file): \(parts.joined(separator: ", ")), OK\n")
            return 0
        } catch {
            StandardStream.error.write("\(error)\n")
            return 1
        }
    }
}

extension WebOptions {
    static func declareSecurity(in flags: inout FlagSet) {
        flags.value("web.config.file", default: "", placeholder: "FILE", help: "Path to a configuration file that can enable TLS, basic auth, response headers and a rate limit (exporter-toolkit's format; see docs/security.md).")
        flags.toggle("web.health-without-auth", help: "Answer /-/healthy and /-/ready without basic auth (for probes that cannot send credentials); /metrics, / and /-/reload always ask.")
        flags.value("web.tls-handshake-timeout", default: "10s", placeholder: "10s", help: "Time a TLS client has from connecting to completing its handshake.")
    }

    /// Reads `--web.config.file` (if given) into the service options; throws ``ConfigErrors``.
    mutating func loadWebConfig() throws(ConfigErrors) {
        guard !webConfigFile.isEmpty else { return }
        webSecurity = try WebConfigLoader.setup(
            path: webConfigFile,
            authExemptPaths: healthWithoutAuth ? ["/-/healthy", "/-/ready"] : [],
            handshakeTimeout: handshakeTimeout)
    }
}
