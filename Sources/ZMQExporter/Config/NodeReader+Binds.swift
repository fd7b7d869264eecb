/// One configured bind: the endpoint, whose it is (`tap 'events'`, `proxy 'work' backend`) and
/// where it is written.
struct BindSite {
    let endpoint: String
    let owner: String
    let node: YAMLNode
}

/// Two binds of one endpoint cannot both work: the second fails with EADDRINUSE at run time
/// (and for ipc, libzmq would silently take the path from the first), so the checker refuses
/// them up front.
extension NodeReader {
    mutating func checkBindClashes() {
        var earlier: [(key: BindKey, site: BindSite)] = []
        for site in binds {
            guard let key = BindKey(site.endpoint) else { continue }
            if let first = earlier.first(where: { $0.key.clashes(with: key) }) {
                let same = first.site.endpoint == site.endpoint ? "" : " (\(first.site.endpoint))"
                fail(site.node, "\(site.owner): bind \(site.endpoint) clashes with the bind of \(first.site.owner) at line \(first.site.node.mark.line)\(same): both cannot listen there")
            }
            earlier.append((key, site))
        }
    }
}

/// What a bind occupies: a tcp port on a host (or on every interface), an ipc path, an inproc
/// name. Port `*` or 0 occupies nothing known in advance.
struct BindKey: Equatable {
    let scheme: String
    /// nil for every interface (`*`, `0.0.0.0`, `[::]`).
    let host: String?
    let port: String

    init?(_ endpoint: String) {
        guard let schemeEnd = endpoint.firstRange(of: "://") else { return nil }
        scheme = String(endpoint[..<schemeEnd.lowerBound])
        let rest = endpoint[schemeEnd.upperBound...]
        guard scheme == "tcp" else {
            host = ""
            port = String(rest)
            return
        }
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let name = String(rest[..<colon])
        port = String(rest[rest.index(after: colon)...])
        if port == "*" || port == "0" { return nil }
        host = ["*", "0.0.0.0", "[::]", "[*]"].contains(name) ? nil : name
    }

    func clashes(with other: BindKey) -> Bool {
        guard scheme == other.scheme, port == other.port else { return false }
        return host == nil || other.host == nil || host == other.host
    }
}
