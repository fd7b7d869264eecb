/// A route handler: runs on a worker thread, never on the event loop.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// Exact-path routing on the decoded, cleaned path (``RequestPath``): no prefixes, so "/metrics"
/// and "/metrics/" are different routes.
struct Router: Sendable {
    struct Route: Sendable {
        let methods: Set<String>
        let handler: HTTPHandler
    }

    enum Match {
        case route(Route)
        case notFound
        /// The path exists but not for this method; the value is the `Allow` header.
        case methodNotAllowed(allow: String)
        /// The path is not in canonical form: 301 to this location (query kept).
        case redirect(location: String)
        /// A bad percent-escape: 400 with this message.
        case badRequest(String)
        /// `OPTIONS *`: the server itself, 200 with no body (as Go answers it).
        case serverOptions
    }

    private(set) var routes: [String: Route] = [:]

    /// Every method some route takes, for `OPTIONS *`'s `Allow`.
    var allMethods: String { Set(routes.values.flatMap(\.methods)).union(["OPTIONS"]).sorted().joined(separator: ", ") }

    mutating func add(_ path: String, methods: Set<String>, handler: @escaping HTTPHandler) {
        routes[path] = Route(methods: methods, handler: handler)
    }

    func match(path rawPath: String, query: String = "", method: String) -> Match {
        if rawPath == "*" { return method == "OPTIONS" ? .serverOptions : .notFound }
        let path: String
        switch RequestPath.resolve(rawPath) {
        case .canonical(let canonical): path = canonical
        case .redirect(let cleaned):
            return .redirect(location: RequestPath.escaped(cleaned) + (query.isEmpty ? "" : "?" + query))
        case .invalid(let message): return .badRequest(message)
        }
        guard let route = routes[path] else { return .notFound }
        guard route.methods.contains(method) else {
            return .methodNotAllowed(allow: route.methods.sorted().joined(separator: ", "))
        }
        return .route(route)
    }
}
