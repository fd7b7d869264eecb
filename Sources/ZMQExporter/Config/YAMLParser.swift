import CYAML

/// Reads one YAML document into ``YAMLNode``s with libyaml's event parser (the engine inside
/// PyYAML's CLoader, fuzzed by OSS-Fuzz). The tree is built here rather than by libyaml's
/// document loader so that nesting depth and alias expansion have our limits, and an alias can
/// only name a node that is complete (so no tree refers to itself).
///
/// Tags are read and dropped; a second document and explicit keys (`? `) are refused with a
/// message that says so; tabs and everything else are as libyaml reads them.
struct YAMLParser {
    static let maxDepth = 64
    /// Nodes a document may expand to through aliases (`&a [*b, *b, ...]` nests exponentially).
    static let maxWeight = 1_000_000

    /// A collection being read: its entries so far (a mapping's alternate key, value, key, ...).
    struct Open {
        let mark: YAMLMark
        let anchor: String?
        let isMapping: Bool
        var items: [YAMLNode] = []
        var weight = 1
    }

    let text: UnsafeBufferPointer<UInt8>
    /// The last character index turned into a byte offset, and that offset (see ``offset(of:)``).
    var cursor = (index: 0, offset: 0)

    /// The document's root, or nil when the text holds no document (empty, only comments, or `---`).
    static func parse(_ source: String) throws(YAMLError) -> YAMLNode? {
        var bytes = Array(source.utf8)
        // libyaml skips a BOM but counts marks from the first byte after it; so do we.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard !bytes.isEmpty else { return nil }
        let result = bytes.withUnsafeBufferPointer { buffer in
            var reader = YAMLParser(text: buffer)
            return Result { () throws(YAMLError) in try reader.document() }
        }
        return try result.get()
    }

    private init(text: UnsafeBufferPointer<UInt8>) { self.text = text }

    private mutating func document() throws(YAMLError) -> YAMLNode? {
        // libyaml keeps a pointer to the parser inside it: it needs a stable address.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else { throw YAMLError(mark: YAMLMark(line: 1, column: 1), message: "out of memory") }
        defer { yaml_parser_delete(parser); parser.deallocate() }
        yaml_parser_set_input_string(parser, text.baseAddress, text.count)
        var open: [Open] = []
        var anchors: [String: YAMLNode] = [:]
        var root: YAMLNode?
        var sawDocument = false
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else { throw failure(parser.pointee) }
            defer { yaml_event_delete(&event) }
            let mark = YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            let node: YAMLNode
            let anchor: UnsafeMutablePointer<yaml_char_t>?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                // `---` alone is a document whose root is an empty plain scalar: nothing to read.
                if let root, root.string == "", root.style == .plain { return nil }
                return root
            case YAML_DOCUMENT_START_EVENT:
                if sawDocument { throw YAMLError(mark: mark, message: "a second YAML document ('---'); the config is one document") }
                sawDocument = true
                continue
            case YAML_SCALAR_EVENT:
                try refuseExplicitKey(at: event.start_mark, in: open)
                let scalar = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                node = YAMLNode(.scalar(value), style: YAMLNode.Style(rawValue: scalar.style.rawValue) ?? .plain, at: mark)
                anchor = scalar.anchor
            case YAML_ALIAS_EVENT:
                try refuseExplicitKey(at: event.start_mark, in: open)
                let name = String(cString: event.data.alias.anchor)
                guard let target = anchors[name] else {
                    throw YAMLError(mark: mark, message: "alias '*\(name)' names no anchor defined before it")
                }
                node = YAMLNode(target.kind, style: target.style, at: mark)
                anchor = nil
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                try refuseExplicitKey(at: event.start_mark, in: open)
                guard open.count < Self.maxDepth else { throw YAMLError(mark: mark, message: "nested more than \(Self.maxDepth) levels deep") }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let name = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                open.append(Open(mark: mark, anchor: name.map { String(cString: $0) }, isMapping: isMapping))
                continue
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let done = open.removeLast()
                let items = done.items
                let kind: YAMLNode.Kind = done.isMapping
                    ? .mapping(stride(from: 0, to: items.count, by: 2).map { (key: items[$0], value: items[$0 + 1]) })
                    : .sequence(items)
                node = YAMLNode(kind, at: done.mark)
                if let name = done.anchor { anchors[name] = node }
                anchor = nil
            default:
                continue  // stream start, document end
            }
            if let anchor { anchors[String(cString: anchor)] = node }
            guard !open.isEmpty else { root = node; continue }
            open[open.count - 1].items.append(node)
            open[open.count - 1].weight &+= node.weight
            guard open[open.count - 1].weight <= Self.maxWeight else {
                throw YAMLError(mark: mark, message: "the document expands to more than \(Self.maxWeight) nodes (aliases of aliases?)")
            }
        }
    }
}
