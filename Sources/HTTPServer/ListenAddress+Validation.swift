extension HTTPServer {
    /// Checks a listen address's syntax (`:PORT`, `HOST:PORT`, `[V6]:PORT`) without binding, so
    /// a command line can be refused before anything else starts.
    /// - Throws: ``HTTPServerError/invalidListenAddress(_:reason:)`` saying what is wrong.
    public static func validate(listenAddress text: String) throws(HTTPServerError) {
        _ = try ListenAddress(parsing: text)
    }
}
