extension Agent {
    /// Starts the ZAP handler the first time a config has a CURVE server, and swaps in the
    /// config's allow lists. Without CURVE servers nothing starts (no thread, no socket).
    /// When the handler cannot start, CURVE servers stay refused (``MonitoredSocket``) and the
    /// next apply tries again.
    func updateZAP(_ config: ExporterConfig) {
        let lists = config.curveAllowLists
        zap.withLock { handler in
            if handler == nil && !lists.isEmpty {
                do {
                    handler = try ZAPHandler(context: context, metrics: metrics, logger: logger)
                } catch {
                    logger.error("cannot start the ZAP handler; CURVE server sockets are refused", metadata: ["error": "\(error)"])
                }
            }
            handler?.setAllowLists(lists)
        }
    }

    /// Stops the ZAP handler, after the sockets it serves.
    func stopZAP() {
        let handler = zap.withLock { current in
            defer { current = nil }
            return current
        }
        handler?.stop()
    }
}
