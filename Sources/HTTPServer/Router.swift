/// A route handler: runs on a worker thread, never on the event loop.
public typealias HTTPHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// Exact-path routing (no prefixes, no decoding: "/metrics" and "/metrics/" are different).
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
    }

    private(set) var routes: [String: Route] = [:]

    mutating func add(_ path: String, methods: Set<String>, handler: @escaping HTTPHandler) {
        routes[path] = Route(methods: methods, handler: handler)
    }

    func match(path: String, method: String) -> Match {
        guard let route = routes[path] else { return .notFound }
        guard route.methods.contains(method) else {
            return .methodNotAllowed(allow: route.methods.sorted().joined(separator: ", "))
        }
        return .route(route)
    }
}
