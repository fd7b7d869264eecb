/// Where a node starts in the config text: 1-based line and column (columns count Unicode scalars).
struct YAMLMark: Sendable, Equatable {
    let line: Int
    let column: Int
}

/// One node of a YAML document as the config reads it: every scalar is kept as its text (the
/// config decides what a value means), mappings keep file order and duplicate keys so the reader
/// can name them.
struct YAMLNode: Sendable {
    enum Kind: Sendable {
        case scalar(String)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    let kind: Kind
    let mark: YAMLMark
    /// Nodes in this subtree, aliases expanded: what a reader walking it would visit.
    let weight: Int

    init(_ kind: Kind, at mark: YAMLMark) {
        self.kind = kind
        self.mark = mark
        switch kind {
        case .scalar: weight = 1
        case .mapping(let pairs): weight = pairs.reduce(1) { $0 &+ $1.key.weight &+ $1.value.weight }
        case .sequence(let items): weight = items.reduce(1) { $0 &+ $1.weight }
        }
    }

    /// The text of a scalar; nil for a mapping or a sequence.
    var string: String? {
        if case .scalar(let text) = kind { return text }
        return nil
    }
}

/// A document that is not YAML, or uses a part of YAML a config has no need for.
struct YAMLError: Error, Sendable, Equatable {
    let mark: YAMLMark
    let message: String
}
