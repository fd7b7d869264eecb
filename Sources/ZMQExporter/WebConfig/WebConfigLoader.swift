import Glibc
import HTTPServer
import Posix

/// Reads a web config file (exporter-toolkit's format: `tls_server_config`,
/// `http_server_config`, `basic_auth_users`, `rate_limit`) into the HTTP server's
/// ``WebSecurity``, loading and checking the certificates as it goes.
public enum WebConfigLoader {
    /// Loads `path`. Throws ``ConfigErrors``, each `file:line:column: what`.
    public static func load(path: String) throws(ConfigErrors) -> WebSecuritySetup.Loaded {
        switch loadDetailed(path: path) {
        case .success(let loaded): return loaded
        case .failure(let failure): throw failure.errors
        }
    }

    /// The server's setup: the file loaded now (throws as ``load(path:)``) and its reload.
    public static func setup(path: String, authExemptPaths: Set<String> = [], handshakeTimeout: Duration = .seconds(10)) throws(ConfigErrors) -> WebSecuritySetup {
        let initial = try load(path: path)
        return WebSecuritySetup(
            initial: initial,
            reload: {
                loadDetailed(path: path).mapError { failure in
                    WebSecuritySetup.LoadError(failure.materialOnly ? .material : .config, failure.errors.description)
                }
            },
            authExemptPaths: authExemptPaths, handshakeTimeout: handshakeTimeout)
    }

    struct Failure: Error {
        let errors: ConfigErrors
        /// Every error is about certificate material (a file missing or a key not matching yet),
        /// not the config's text: a rotation in progress.
        let materialOnly: Bool
    }

    static func loadDetailed(path: String) -> Result<WebSecuritySetup.Loaded, Failure> {
        func failed(_ message: String) -> Result<WebSecuritySetup.Loaded, Failure> {
            .failure(Failure(errors: ConfigErrors(errors: [ConfigError(file: path, line: 0, column: 0, message: message)]), materialOnly: false))
        }
        let bytes: [UInt8]
        switch Files.contents(path, limit: 1 << 20) {
        case .success(let read): bytes = read
        case .failure(let problem):
            // As for the agent's config: the path in the message, no line and column to point at.
            return failed(problem.openFailure.map { "cannot open \(path): \($0)" } ?? "\(path): \(problem.message)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return failed("\(path): the file is not UTF-8") }
        return parse(text, file: path, directory: directory(of: path))
    }

    /// Parses web config `text`; `file` names it in errors, `directory` anchors relative paths.
    static func parse(_ text: String, file: String, directory: String) -> Result<WebSecuritySetup.Loaded, Failure> {
        var reader = NodeReader(file: file)
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(text)
        } catch {
            let problem = ConfigError(file: file, line: error.mark.line, column: error.mark.column, message: "invalid YAML: \(error.message)")
            return .failure(Failure(errors: ConfigErrors(errors: [problem]), materialOnly: false))
        }
        // An empty file is a valid web config that turns nothing on, as in exporter-toolkit.
        let config = root.map { reader.readWebConfig($0, directory: directory) } ?? WebConfig()
        if !reader.errors.isEmpty { return .failure(Failure(errors: ConfigErrors(errors: reader.errors), materialOnly: false)) }
        if config.tls != nil || !config.users.isEmpty, let problem = SecurityLibraries.loadProblem() {
            reader.fail(root, problem)
            return .failure(Failure(errors: ConfigErrors(errors: reader.errors), materialOnly: false))
        }
        var context: TLSServerContext?
        if let settings = config.tls {
            do {
                context = try TLSServerContext(settings)
            } catch {
                let node: YAMLNode?
                let material: Bool
                switch error.part {
                case .certificate: (node, material) = (config.certificateNode, isFile(settings.certificate))
                case .privateKey: (node, material) = (config.keyNode, isFile(settings.privateKey))
                case .keyMismatch: (node, material) = (config.keyNode, isFile(settings.certificate) || isFile(settings.privateKey))
                case .clientCA: (node, material) = (config.clientCANode, settings.clientCA.map(isFile) ?? false)
                case .cipherSuites: (node, material) = (config.cipherNode ?? config.tlsNode, false)
                case .curves: (node, material) = (config.curveNode ?? config.tlsNode, false)
                case .versions, .context: (node, material) = (config.tlsNode, false)
                }
                reader.fail(node, error.message)
                return .failure(Failure(errors: ConfigErrors(errors: reader.errors), materialOnly: material))
            }
        }
        let security = WebSecurity(tls: context, users: config.users, responseHeaders: config.headers, rateLimit: config.rateLimit)
        return .success(WebSecuritySetup.Loaded(security: security, files: [file] + config.materialFiles))
    }

    private static func isFile(_ source: TLSSettings.Source) -> Bool {
        if case .file = source { return true }
        return false
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

extension WebConfigLoader {
    /// A duration flag's value: `250ms`, `5s`, `1m`; nil when it is not one.
    public static func duration(_ text: String) -> Duration? { ConfigValues.duration(text) }
}
