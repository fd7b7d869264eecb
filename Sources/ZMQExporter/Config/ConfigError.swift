/// A problem in a config file, with where it is. `description` reads `file:line:column: message`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`; a problem with the whole file (it cannot be opened) has no
    /// position and says `message` alone, which names the file.
    public var description: String { line == 0 ? message : "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in one config file; nothing starts when there is one.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
