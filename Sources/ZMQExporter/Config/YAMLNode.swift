/// Where a node starts in the config text: 1-based line and column (columns count Unicode scalars).
struct YAMLMark: Sendable, Equatable {
    let line: Int
    let column: Int
}

/// One node of a YAML document as the config reads it: every scalar is kept as its text and how
/// it was written (the config decides what a value means, and a quoted `"~"` is text where a
/// plain `~` is null), mappings keep file order and duplicate keys so the reader can name them.
struct YAMLNode: Sendable {
    enum Kind: Sendable {
        case scalar(String)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    /// How a scalar was written, numbered as libyaml's `yaml_scalar_style_t`; `.plain` for a collection.
    enum Style: UInt32, Sendable {
        case plain = 1, singleQuoted, doubleQuoted, literal, folded
    }

    let kind: Kind
    let style: Style
    let mark: YAMLMark
    /// Nodes in this subtree, aliases expanded: what a reader walking it would visit.
    let weight: Int

    init(_ kind: Kind, style: Style = .plain, at mark: YAMLMark) {
        self.kind = kind
        self.style = style
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

    /// A plain `~`, `null`, `Null` or `NULL`: YAML's null, which no config value is. (A plain
    /// empty value is null to YAML too, but reads as the empty string, as `subscribe:` always has.)
    var isNull: Bool {
        guard style == .plain, let text = string else { return false }
        return text == "~" || text == "null" || text == "Null" || text == "NULL"
    }
}

/// A document that is not YAML, or uses a part of YAML a config has no need for.
struct YAMLError: Error, Sendable, Equatable {
    let mark: YAMLMark
    let message: String
}
